"""membership: levels and growth, points (earning, redemption, expiry), daily sign-in,
stored value (储值) with a ``balance`` payment channel, and buyer segments.

The level's discount is a ``member`` unit price; points redeem as a ``points`` adjustment and
are taken in the order's transaction; a paid order earns growth (and points, at payment or
at receipt) which a refund takes back in proportion; a recharge is a virtual order paid
through any channel. Other plugins read the perks and segments through the core hooks
``buyer_perks``, ``buyer_in_segment`` and ``segment_members``. See
docs/plugins/membership.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mallkit.core.plugin_api import (
    Conflict,
    JobHandler,
    MigrationSource,
    OrderTransition,
    PluginMeta,
)
from mallkit.hookspecs import hookimpl
from mallkit.plugins.membership import members, points, pricing, segments, wallet
from mallkit.plugins.membership.api import blp
from mallkit.plugins.membership.demo import extend_demo as _extend_demo
from mallkit.plugins.membership.schemas import MembershipConfig

EXPIRE_JOB = "membership.expire_points"

meta = PluginMeta(
    name="membership",
    version="1.0.0",
    title="Membership (会员)",
    description="Levels, growth, points, daily sign-in, stored value and buyer segments.",
    mallkit=">=0.1,<1",
    config_schema=MembershipConfig,
    level="merchant",
    category="marketing",
    title_zh="会员",
    description_zh="会员等级、成长值、积分、每日签到、储值和人群分组。",
)


@hookimpl
def register_migrations():
    return [MigrationSource("membership", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_job_handlers():
    # Shortly after the store's midnight, in its own time zone, while membership is on.
    return [JobHandler(EXPIRE_JOB, points.run_expiry, daily_at=dt.time(0, 5))]


@hookimpl
def register_payment_channels():
    return [wallet.CHANNEL]


@hookimpl
def register_order_transitions():
    # A paid recharge is delivered at once: its virtual order completes without shipping.
    return [OrderTransition("paid", "completed", "fulfil", ("system",))]


@hookimpl
def validate_order_transition(order, source, target, actor):
    if (source, target) == ("paid", "completed") and not points.is_recharge(order):
        raise Conflict(
            "only a recharge completes without shipping",
            code="invalid_transition",
            errors={"status": [source]},
        )


@hookimpl
def on_plugin_enabled(merchant, plugin, config):
    # Enabled again or with new levels: members move to the level their growth reaches.
    if plugin == meta.name:
        members.relevel_all(merchant.id, config["levels"])


@hookimpl
def propose_unit_prices(merchant, buyer, lines):
    return pricing.member_prices(merchant, buyer, lines) + pricing.goods_prices(
        merchant, buyer, lines
    )


@hookimpl
def validate_checkout(merchant, buyer, order):
    pricing.check_goods(order)


@hookimpl
def propose_adjustments(merchant, buyer, lines, context):
    return pricing.points_adjustment(merchant, buyer, lines, context)


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    pricing.spend_for_order(order)
    pricing.spend_for_goods(order, lines)
    pricing.flag_priority(order)


@hookimpl
def on_order_state_changed(order, source, target, actor):
    if target == "paid" and source == "pending_payment":  # not a group buy's second "paid"
        if wallet.credit(order):
            return
        members.record_paid(order)
        # Points first: the multiplier is the level's before this order's growth.
        if members.config(order.merchant_id)["earn_points_at"] == "pay":
            points.earn(order)
        members.change_growth(
            order.merchant_id,
            order.buyer_id,
            members.growth_for(order),
            "earn",
            key=f"earn:{order.id}",
            order_id=order.id,
            reason=f"order {order.number}",
        )
    elif target == "completed" and source != "paid":
        if members.config(order.merchant_id)["earn_points_at"] == "receipt":
            points.earn(order)
    elif target == "cancelled":
        points.give_back(order, None, key=f"cancel:{order.id}", reason="order cancelled")


@hookimpl
def on_order_refunded(order, refund, lines, full):
    if points.is_recharge(order):
        wallet.on_refunded(order, refund)
        return
    members.record_refund(order, refund.amount)
    growth = members.growth_for(order)
    if growth:
        # Growth goes back in proportion to the money refunded so far (all of it when full).
        target = growth if full else growth * order.refunded_amount // order.paid_amount
        taken = -members.growth_taken_back(order.id)
        members.change_growth(
            order.merchant_id,
            order.buyer_id,
            -(target - taken),
            "reverse",
            key=f"reverse:{refund.number}",
            order_id=order.id,
            reason=f"refund {refund.number}",
        )
    points.reverse(order, refund, full)
    points.return_for_refund(order, refund, full)


@hookimpl
def on_share_visited(share, visit):
    points.reward_share_visit(share, visit)


@hookimpl
def buyer_perks(merchant, buyer):
    return members.perks(merchant.id, buyer.id)


@hookimpl
def buyer_in_segment(merchant, buyer, segment_id):
    return segments.contains(merchant.id, buyer, segment_id)


@hookimpl
def segment_members(merchant, segment_id):
    return segments.member_ids(merchant.id, segment_id)


@hookimpl
def extend_demo(app, merchant, base_url):
    return _extend_demo(app, merchant, base_url)


@hookimpl
def register_console_pages():
    from mallkit.plugins.membership.console import PAGES

    return PAGES
