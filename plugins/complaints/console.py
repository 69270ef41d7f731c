"""The complaints plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.complaints.schemas import AppealIn, ComplaintFilterIn, DecisionIn

COLUMNS = (
    ConsoleColumn("number", "投诉单号", "Complaint"),
    ConsoleColumn("order_id", "订单", "Order", kind="number"),
    ConsoleColumn("type", "类型", "Type", kind="status"),
    ConsoleColumn("description", "内容", "Description"),
    ConsoleColumn("status", "状态", "Status", kind="status"),
    ConsoleColumn("due_at", "处理期限", "Due", kind="datetime"),
)
ITEM = "/merchants/{merchant_id}/complaints/{id}"

PAGES = [
    ConsolePage(
        key="complaints",
        title="投诉",
        title_en="Complaints",
        group="service",
        path="/merchants/{merchant_id}/complaints/staff",
        description="买家投诉：在期限内申诉，或由平台仲裁。",
        description_en="Buyer complaints: appeal in time, or the platform arbitrates.",
        columns=COLUMNS,
        filters=ConsoleForm(ComplaintFilterIn),
        actions=(
            ConsoleAction.step(
                ITEM,
                "appeal",
                "申诉",
                "Appeal",
                status=["awaiting_appeal"],
                form=ConsoleForm(AppealIn),
            ),
        ),
    ),
    ConsolePage(
        key="arbitration",
        title="投诉仲裁",
        title_en="Complaint arbitration",
        scope="platform",
        group="platform",
        path="/platform/complaints",
        description="平台对升级的投诉作出裁决；裁决通过售后执行。",
        description_en="The platform decides escalated complaints, carried out via after-sales.",
        columns=(ConsoleColumn("merchant_id", "商家", "Merchant", kind="number"), *COLUMNS),
        filters=ConsoleForm(ComplaintFilterIn),
        actions=(
            ConsoleAction.step(
                ITEM, "forward", "转商家申诉", "Forward to the store", status=["new"], confirm=True
            ),
            ConsoleAction.step(
                ITEM,
                "decide",
                "裁决",
                "Decide",
                status=["new", "in_conversation", "awaiting_arbitration"],
                form=ConsoleForm(DecisionIn, money=("amount",)),
            ),
        ),
    ),
]
