"""The promotions plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.promotions.models import TYPES_EN, TYPES_ZH
from mallkit.plugins.promotions.schemas import PromotionIn, PromotionPatch, PromotionQuery

PROMOTION = "/merchants/{merchant_id}/promotions/{id}"

PAGES = [
    ConsolePage(
        key="promotions",
        title="促销活动",
        title_en="Promotions",
        group="marketing",
        roles=("owner", "manager"),
        path="/merchants/{merchant_id}/promotions",
        description="限时折扣、满减满折、满赠、买N送M、套餐；规则格式见插件文档。",
        description_en="Time-limited prices, tiers, gifts, buy N get M, bundles.",
        columns=(
            ConsoleColumn("name", "名称", "Name"),
            ConsoleColumn(
                "type",
                "类型",
                "Type",
                kind="status",
                choices={k: (TYPES_ZH[k], en) for k, en in TYPES_EN.items()},
            ),
            ConsoleColumn("summary", "规则", "Rules"),
            ConsoleColumn("starts_at", "开始", "Starts", kind="datetime"),
            ConsoleColumn("ends_at", "结束", "Ends", kind="datetime"),
            ConsoleColumn("sold", "已售", "Sold", kind="number"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
        ),
        filters=ConsoleForm(PromotionQuery),
        create=ConsoleForm(PromotionIn),
        actions=(
            ConsoleAction.edit(PROMOTION, ConsoleForm(PromotionPatch)),
            ConsoleAction.delete(PROMOTION),
        ),
    )
]
