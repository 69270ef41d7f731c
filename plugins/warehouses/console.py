"""The warehouses plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.warehouses.schemas import (
    WarehouseIn,
    WarehousePatch,
    WarehouseTransferIn,
)

BASE = "/merchants/{merchant_id}/warehouses"
TRANSFER = BASE + "/transfers/{id}"


PAGES = [
    ConsolePage(
        key="warehouses",
        title="仓库",
        title_en="Warehouses",
        group="orders",
        roles=("owner", "manager"),
        path=BASE,
        description="多仓库存：优先级、配送区域；订单就近分仓发货。",
        description_en="Stock per warehouse; orders go to the nearest serving warehouse.",
        columns=(
            ConsoleColumn("name", "名称", "Name"),
            ConsoleColumn("priority", "优先级", "Priority", kind="number"),
            ConsoleColumn("province", "省份", "Province"),
            ConsoleColumn("city", "城市", "City"),
            ConsoleColumn("regions", "配送区域", "Regions", kind="json"),
            ConsoleColumn("active", "启用", "Active", kind="bool"),
        ),
        create=ConsoleForm(WarehouseIn),
        actions=(ConsoleAction.edit(BASE + "/{id}", ConsoleForm(WarehousePatch)),),
    ),
    ConsolePage(
        key="transfers",
        title="调拨单",
        title_en="Transfers",
        group="orders",
        roles=("owner", "manager"),
        path=f"{BASE}/transfers",
        description="仓库间调拨：草稿 → 审核 → 发出 → 入库；取消已发出的调拨退回原仓。",
        description_en="Draft → approved → shipped → received; cancelling a shipped one "
        "puts the stock back.",
        columns=(
            ConsoleColumn("number", "单号", "Number"),
            ConsoleColumn("source_id", "调出仓", "From", kind="number"),
            ConsoleColumn("target_id", "调入仓", "To", kind="number"),
            ConsoleColumn("lines", "明细", "Lines", kind="json"),
            # draft is the transfer's own word; the other states are shared texts (已通过 ...)
            ConsoleColumn(
                "status", "状态", "Status", kind="status", choices={"draft": ("草稿", "Draft")}
            ),
            ConsoleColumn("updated_at", "更新", "Updated", kind="datetime"),
        ),
        create=ConsoleForm(WarehouseTransferIn),
        actions=(
            ConsoleAction.step(TRANSFER, "approve", "审核", "Approve", status=["draft"]),
            ConsoleAction.step(TRANSFER, "ship", "发出", "Ship", status=["approved"]),
            ConsoleAction.step(TRANSFER, "receive", "入库", "Receive", status=["shipped"]),
            ConsoleAction.step(
                TRANSFER,
                "cancel",
                "取消",
                "Cancel",
                status=["draft", "approved", "shipped"],
                confirm=True,
            ),
        ),
    ),
]
