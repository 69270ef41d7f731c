"""The distribution plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.distribution import models
from mallkit.plugins.distribution.models import (
    PROMOTER_STATUSES,
    SOURCES,
    WITHDRAWAL_CHANNELS,
    WITHDRAWAL_STATUSES,
)
from mallkit.plugins.distribution.schemas import (
    ApplicationQuery,
    AppointIn,
    PaidIn,
    PromoterQuery,
    RejectIn,
    WithdrawalQuery,
)

BASE = "/merchants/{merchant_id}/distribution"
APPLICATION = BASE + "/applications/{id}"
WITHDRAWAL = BASE + "/withdrawals/{id}"
MANAGERS = ("owner", "manager")
# the states whose rows show a button (the models' own: a withdrawal is requested, then paying)
APPLIED, REQUESTED, PAYING = (models.PENDING,), (models.REQUESTED,), (models.PAYING,)

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
            ConsoleColumn("source", "来源", "Source", choices=SOURCES),
            ConsoleColumn("status", "状态", "Status", kind="status", choices=PROMOTER_STATUSES),
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
            ConsoleAction.step(
                APPLICATION, "approve", "通过", "Approve", status=APPLIED, confirm=True
            ),
            ConsoleAction.step(
                APPLICATION, "reject", "拒绝", "Reject", status=APPLIED, form=ConsoleForm(RejectIn)
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
            ConsoleColumn("channel", "方式", "Channel", choices=WITHDRAWAL_CHANNELS),
            ConsoleColumn("status", "状态", "Status", kind="status", choices=WITHDRAWAL_STATUSES),
            ConsoleColumn("created_at", "申请时间", "Requested", kind="datetime"),
        ),
        filters=ConsoleForm(WithdrawalQuery),
        actions=(
            ConsoleAction.step(
                WITHDRAWAL, "approve", "通过", "Approve", status=REQUESTED, confirm=True
            ),
            ConsoleAction.step(
                WITHDRAWAL, "reject", "驳回", "Reject", status=REQUESTED, form=ConsoleForm(RejectIn)
            ),
            ConsoleAction.step(
                WITHDRAWAL, "paid", "已打款", "Paid", status=PAYING, form=ConsoleForm(PaidIn)
            ),
            ConsoleAction.step(
                WITHDRAWAL,
                "failed",
                "打款失败",
                "Failed",
                status=PAYING,
                form=ConsoleForm(RejectIn),
            ),
        ),
    ),
]
