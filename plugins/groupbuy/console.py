"""The groupbuy plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.groupbuy.schemas import GroupActivityIn

PAGES = [
    ConsolePage(
        key="activities",
        title="拼团",
        title_en="Group buys",
        group="marketing",
        roles=("owner", "manager"),
        path="/merchants/{merchant_id}/groupbuy/activities",
        description='拼团价按 SKU 填写（prices：{"SKU编号": 分}）。',
        description_en='Group prices per SKU (prices: {"sku id": fen}).',
        columns=(
            ConsoleColumn("title", "活动", "Activity"),
            ConsoleColumn("product_id", "商品", "Product", kind="number"),
            ConsoleColumn("group_size", "成团人数", "Group size", kind="number"),
            ConsoleColumn("time_limit_minutes", "时限(分)", "Minutes", kind="number"),
            ConsoleColumn("starts_at", "开始", "Starts", kind="datetime"),
            ConsoleColumn("ends_at", "结束", "Ends", kind="datetime"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
        ),
        create=ConsoleForm(GroupActivityIn),
        actions=(
            ConsoleAction.step(
                "/merchants/{merchant_id}/groupbuy/activities/{id}",
                "close",
                "结束活动",
                "Close",
                status=["active", "scheduled"],
                confirm=True,
            ),
        ),
    )
]
