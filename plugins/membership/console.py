"""The membership plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.membership.schemas import MemberAdjustIn, MemberQuery, PackageIn, PackagePatch

BASE = "/merchants/{merchant_id}/membership"
MEMBER = BASE + "/members/{user_id}"
MANAGERS = ("owner", "manager")

PAGES = [
    ConsolePage(
        key="members",
        title="会员",
        title_en="Members",
        group="customers",
        roles=MANAGERS,
        path=BASE + "/members",
        columns=(
            ConsoleColumn("user_id", "用户", "User", kind="number"),
            ConsoleColumn("level_name", "等级", "Level"),
            ConsoleColumn("growth", "成长值", "Growth", kind="number"),
            ConsoleColumn("points", "积分", "Points", kind="number"),
            ConsoleColumn("balance", "储值余额", "Balance", kind="money"),
            ConsoleColumn("total_spent", "累计消费", "Spent", kind="money"),
            ConsoleColumn("order_count", "订单数", "Orders", kind="number"),
            ConsoleColumn("joined_at", "加入时间", "Joined", kind="datetime"),
        ),
        filters=ConsoleForm(MemberQuery),
        actions=(
            ConsoleAction.step(
                MEMBER, "points", "调整积分", "Adjust points", form=ConsoleForm(MemberAdjustIn)
            ),
            ConsoleAction.step(
                MEMBER, "growth", "调整成长值", "Adjust growth", form=ConsoleForm(MemberAdjustIn)
            ),
        ),
    ),
    ConsolePage(
        key="packages",
        title="储值套餐",
        title_en="Top-up packages",
        group="customers",
        roles=MANAGERS,
        path=BASE + "/recharge-packages",
        columns=(
            ConsoleColumn("title", "名称", "Title"),
            ConsoleColumn("amount", "充值", "Amount", kind="money"),
            ConsoleColumn("bonus", "赠送", "Bonus", kind="money"),
            ConsoleColumn("active", "上架", "Active", kind="bool"),
        ),
        create=ConsoleForm(PackageIn, money=("amount", "bonus")),
        actions=(
            ConsoleAction.edit(
                BASE + "/recharge-packages/{id}", ConsoleForm(PackagePatch, money=("bonus",))
            ),
        ),
    ),
]
