"""The invoices plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.invoices.schemas import InvoiceListArgs, IssueUploadIn

BASE = "/merchants/{merchant_id}/invoices"

PAGES = [
    ConsolePage(
        key="invoices",
        title="发票",
        title_en="Invoices",
        group="finance",
        roles=("owner", "manager"),
        path=BASE,
        columns=(
            ConsoleColumn("order_id", "订单", "Order", kind="number"),
            ConsoleColumn("title_name", "抬头", "Title"),
            ConsoleColumn("tax_number", "税号", "Tax number"),
            ConsoleColumn("medium", "类型", "Medium", kind="status"),
            ConsoleColumn("amount", "金额", "Amount", kind="money"),
            ConsoleColumn(
                "status",
                "状态",
                "Status",
                kind="status",
                choices={"reversal_required": ("待红冲", "Reversal due")},  # the rest: shared
            ),
            ConsoleColumn("due_at", "期限", "Due", kind="datetime"),
        ),
        filters=ConsoleForm(InvoiceListArgs),
        actions=(
            ConsoleAction.step(
                BASE + "/{id}",
                "issue",
                "开票（上传 PDF）",
                "Issue (upload PDF)",
                status=["requested"],
                form=ConsoleForm(IssueUploadIn),
            ),
            ConsoleAction.step(
                BASE + "/{id}",
                "reversal",
                "红冲（上传 PDF）",
                "Reverse (upload PDF)",
                status=["issued"],
                form=ConsoleForm(IssueUploadIn),
            ),
        ),
    )
]
