"""The coupons plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.coupons.schemas import CodesIn, IssueIn, TemplateIn, TemplatePatch

MONEY = ("threshold", "amount", "cap")
TEMPLATE = "/merchants/{merchant_id}/coupon-templates/{id}"

PAGES = [
    ConsolePage(
        key="templates",
        title="优惠券",
        title_en="Coupons",
        group="marketing",
        roles=("owner", "manager"),
        path="/merchants/{merchant_id}/coupon-templates",
        description="满减、折扣、无门槛券：领券中心、定向发放、兑换码。",
        description_en="Amount-off, discount and no-threshold coupons: centre, issuing, codes.",
        columns=(
            ConsoleColumn("name", "名称", "Name"),
            ConsoleColumn("type", "类型", "Type", kind="status"),
            ConsoleColumn("threshold", "门槛", "Threshold", kind="money"),
            ConsoleColumn("amount", "面额", "Amount", kind="money"),
            ConsoleColumn("issued", "已发", "Issued", kind="number"),
            ConsoleColumn("total", "总量", "Total", kind="number"),
            ConsoleColumn("ends_at", "截止", "Ends", kind="datetime"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
        ),
        create=ConsoleForm(TemplateIn, money=MONEY),
        actions=(
            ConsoleAction.step(
                TEMPLATE, "issue", "发放", "Issue", status=["active"], form=ConsoleForm(IssueIn)
            ),
            ConsoleAction.step(
                TEMPLATE,
                "codes",
                "生成兑换码",
                "Make codes",
                status=["active"],
                form=ConsoleForm(CodesIn),
            ),
            ConsoleAction.edit(TEMPLATE, ConsoleForm(TemplatePatch)),
        ),
    )
]
