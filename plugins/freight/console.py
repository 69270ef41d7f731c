"""The freight plugin's page in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.freight.models import METHODS_EN, METHODS_ZH
from mallkit.plugins.freight.schemas import FreightTemplateIn

TEMPLATE = "/merchants/{merchant_id}/freight/templates/{id}"

PAGES = [
    ConsolePage(
        key="templates",
        title="运费模板",
        title_en="Freight templates",
        group="orders",
        roles=("owner", "manager"),
        path="/merchants/{merchant_id}/freight/templates",
        description="按件或按重量计费；首件/续件、包邮条件、不配送区域、时效。",
        description_en="By piece or weight: first and extra units, free shipping, "
        "undeliverable regions, delivery times.",
        columns=(
            ConsoleColumn("name", "名称", "Name"),
            ConsoleColumn(
                "method",
                "计费方式",
                "Method",
                kind="status",
                choices={k: (METHODS_ZH[k], en) for k, en in METHODS_EN.items()},
            ),
            ConsoleColumn("is_default", "默认", "Default", kind="bool"),
            ConsoleColumn("default_row", "默认运费", "Default row", kind="json"),
            ConsoleColumn("undeliverable", "不配送", "Undeliverable", kind="json"),
            ConsoleColumn("updated_at", "更新", "Updated", kind="datetime"),
        ),
        create=ConsoleForm(FreightTemplateIn),
        actions=(
            ConsoleAction.edit(TEMPLATE, ConsoleForm(FreightTemplateIn), method="PUT"),
            ConsoleAction.delete(TEMPLATE),
        ),
    )
]
