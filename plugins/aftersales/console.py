"""The aftersales plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.aftersales.models import TYPES_EN, TYPES_ZH
from mallkit.plugins.aftersales.schemas import CaseFilterIn, CaseReasonIn, DecisionNoteIn, ParcelIn

CASE = "/merchants/{merchant_id}/aftersales/cases/{id}"

PAGES = [
    ConsolePage(
        key="cases",
        title="售后",
        title_en="After-sales",
        group="service",
        path="/merchants/{merchant_id}/aftersales/staff/cases",
        description="仅退款、退货退款、换货：审核、收货、退款、补发。",
        description_en="Refund only, return and refund, exchange: approve, receive, refund.",
        columns=(
            ConsoleColumn("number", "售后单号", "Case"),
            ConsoleColumn("order_id", "订单", "Order", kind="number"),
            ConsoleColumn(
                "type",
                "类型",
                "Type",
                kind="status",
                choices={k: (TYPES_ZH[k], en) for k, en in TYPES_EN.items()},
            ),
            ConsoleColumn("quantity", "数量", "Qty", kind="number"),
            ConsoleColumn("amount", "金额", "Amount", kind="money"),
            ConsoleColumn("reason", "原因", "Reason"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
            ConsoleColumn("created_at", "申请时间", "Applied", kind="datetime"),
        ),
        filters=ConsoleForm(CaseFilterIn, only=("status", "type", "order_id")),
        actions=(
            ConsoleAction.step(
                CASE,
                "approve",
                "同意",
                "Approve",
                status=["applied"],
                form=ConsoleForm(DecisionNoteIn),
            ),
            ConsoleAction.step(
                CASE, "reject", "拒绝", "Reject", status=["applied"], form=ConsoleForm(CaseReasonIn)
            ),
            ConsoleAction.step(
                CASE, "receive", "确认收货", "Received", status=["returning"], confirm=True
            ),
            ConsoleAction.step(
                CASE,
                "refuse",
                "拒收",
                "Refuse",
                status=["returning", "received"],
                form=ConsoleForm(CaseReasonIn),
            ),
            ConsoleAction.step(
                CASE, "refund", "退款", "Refund", status=["received", "approved"], confirm=True
            ),
            ConsoleAction.step(
                CASE, "reship", "补发", "Reship", status=["received"], form=ConsoleForm(ParcelIn)
            ),
        ),
    )
]
