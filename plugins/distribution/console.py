"""The distribution plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.distribution.schemas import (
    ApplicationQuery,
    AppointIn,
    PaidIn,
    PromoterQuery,
    RejectIn,
    WithdrawalQuery,
)

BASE = "/merchants/{merchant_id}/distribution"
MANAGERS = ("owner", "manager")

PAGES = [
    ConsolePage(
        key="promoters",
        title="推广员",
        title_en="Promoters",
        group="marketing",
        roles=MANAGERS,
        path=BASE + "/promoters",
        columns=(
            ConsoleColumn("name", "推广员", "Promoter"),
            ConsoleColumn("code", "邀请码", "Code"),
            ConsoleColumn("balance", "可提现", "Balance", kind="money"),
            ConsoleColumn("source", "来源", "Source"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
            ConsoleColumn("created_at", "加入时间", "Joined", kind="datetime"),
        ),
        filters=ConsoleForm(PromoterQuery),
        create=ConsoleForm(AppointIn),
    ),
    ConsolePage(
        key="applications",
        title="推广员申请",
        title_en="Applications",
        group="marketing",
        roles=MANAGERS,
        path=BASE + "/applications",
        columns=(
            ConsoleColumn("user_id", "用户", "User", kind="number"),
            ConsoleColumn("fields_", "申请信息", "Details", kind="json"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
            ConsoleColumn("created_at", "申请时间", "Applied", kind="datetime"),
        ),
        filters=ConsoleForm(ApplicationQuery),
        actions=(
            ConsoleAction(
                "approve",
                "通过",
                "Approve",
                path=BASE + "/applications/{id}/approve",
                confirm=True,
                when={"status": ["pending"]},
            ),
            ConsoleAction(
                "reject",
                "拒绝",
                "Reject",
                path=BASE + "/applications/{id}/reject",
                form=ConsoleForm(RejectIn),
                when={"status": ["pending"]},
            ),
        ),
    ),
    ConsolePage(
        key="withdrawals",
        title="提现审核",
        title_en="Withdrawals",
        group="finance",
        roles=MANAGERS,
        path=BASE + "/withdrawals",
        columns=(
            ConsoleColumn("number", "单号", "Number"),
            ConsoleColumn("promoter_id", "推广员", "Promoter", kind="number"),
            ConsoleColumn("amount", "金额", "Amount", kind="money"),
            ConsoleColumn("fee", "手续费", "Fee", kind="money"),
            ConsoleColumn("net", "实付", "Net", kind="money"),
            ConsoleColumn("channel", "方式", "Channel"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
            ConsoleColumn("created_at", "申请时间", "Requested", kind="datetime"),
        ),
        filters=ConsoleForm(WithdrawalQuery),
        actions=(
            ConsoleAction(
                "approve",
                "通过",
                "Approve",
                path=BASE + "/withdrawals/{id}/approve",
                confirm=True,
                when={"status": ["pending"]},
            ),
            ConsoleAction(
                "reject",
                "驳回",
                "Reject",
                path=BASE + "/withdrawals/{id}/reject",
                form=ConsoleForm(RejectIn),
                when={"status": ["pending"]},
            ),
            ConsoleAction(
                "paid",
                "已打款",
                "Paid",
                path=BASE + "/withdrawals/{id}/paid",
                form=ConsoleForm(PaidIn),
                when={"status": ["approved"]},
            ),
            ConsoleAction(
                "failed",
                "打款失败",
                "Failed",
                path=BASE + "/withdrawals/{id}/failed",
                form=ConsoleForm(RejectIn),
                when={"status": ["approved"]},
            ),
        ),
    ),
]
