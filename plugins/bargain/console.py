"""The bargain plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.bargain.schemas import BargainActivityIn

PAGES = [
    ConsolePage(
        key="activities",
        title="砍价",
        title_en="Bargains",
        group="marketing",
        roles=("owner", "manager"),
        path="/merchants/{merchant_id}/bargain/activities",
        columns=(
            ConsoleColumn("title", "活动", "Activity"),
            ConsoleColumn("sku_id", "SKU", "SKU", kind="number"),
            ConsoleColumn("start_price", "原价", "Start price", kind="money"),
            ConsoleColumn("floor_price", "底价", "Floor price", kind="money"),
            ConsoleColumn("helpers_needed", "需助力", "Helpers", kind="number"),
            ConsoleColumn("ends_at", "结束", "Ends", kind="datetime"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
        ),
        create=ConsoleForm(BargainActivityIn, money=("start_price", "floor_price")),
        actions=(
            ConsoleAction.step(
                "/merchants/{merchant_id}/bargain/activities/{id}",
                "close",
                "结束活动",
                "Close",
                status=["active", "scheduled"],
                confirm=True,
            ),
        ),
    )
]
