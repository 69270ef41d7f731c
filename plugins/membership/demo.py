"""The demo store's membership: a recharge package and a gold member with points and a
balance, so the README walkthrough can pay an order with balance."""

from __future__ import annotations

from mallkit.core.plugin_api import User, merchant_plugins, transaction
from mallkit.plugins.membership import members, points, wallet
from mallkit.plugins.membership.models import RechargePackage

DEMO_BUYER = "buyer@demo.mallkit.dev"  # the account `mallkit demo` creates


def extend_demo(app, merchant, base_url):
    buyer = User.get_or_none(User.email == DEMO_BUYER)
    if buyer is None or "membership" not in merchant_plugins(merchant.id).enabled:
        return None
    with transaction():
        if not RechargePackage.select().where(RechargePackage.merchant_id == merchant.id).exists():
            RechargePackage.create(
                merchant_id=merchant.id, title="充100送20", amount=10000, bonus=2000
            )
        table = members.levels(merchant.id)
        gold = next((lv for lv in table if lv["name"] == "金卡会员"), table[-1])
        member = members.ensure(merchant.id, buyer.id)
        if member.growth < gold["threshold"]:
            members.change_growth(
                merchant.id,
                buyer.id,
                gold["threshold"] - member.growth,
                "adjust",
                key=f"demo:growth:{merchant.id}",
                reason="demo",
            )
        points.add(
            merchant.id,
            buyer.id,
            2000,
            "adjust",
            key=f"demo:points:{merchant.id}",
            reason="演示赠送",  # typed by the store: the storefront shows it as it is
        )
        wallet.move(
            merchant.id, buyer.id, 50000, "adjust", key=f"demo:balance:{merchant.id}", reason="demo"
        )
    return [f"membership     {DEMO_BUYER} is a {gold['name']} with 2000 points and ¥500.00 balance"]
