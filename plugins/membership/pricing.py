"""Membership at checkout: the level's member price and the points deduction.

The member price is a ``member`` unit-price candidate: the core gives a line the better of it
and a time-limited discount, never both. Points are an ``Adjustment(kind="points")`` after
promotions and coupons: ``points_per_yuan_redeemed`` points take ¥1 off, at most
``redeem_cap_percent`` of the goods total, and never the whole order (the core keeps at least
one fen). The points are taken in the order's transaction (``on_order_placed``) — by the
amount the core actually applied — and a checkout racing another for the same points fails
with ``points_insufficient``, writing nothing.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context

from mallkit.core.plugin_api import Adjustment, Conflict, PriceCandidate, ValidationError
from mallkit.plugins.membership import members, points
from mallkit.plugins.membership.models import PriorityOrder

SOURCE = "membership"
GOODS = "points_goods"  # the activity type of a line bought for points
GOODS_SOURCE = "membership:points_goods"


def _remember(merchant_id: int, buyer_id: int, member: Any) -> None:
    if has_app_context():
        g.setdefault("membership_member", {})[(merchant_id, buyer_id)] = member
        g.setdefault("membership_level", {})[(merchant_id, buyer_id)] = (
            member.level if member else None
        )


def _recall(merchant_id: int, buyer_id: int) -> Any:
    """The member row ``propose_unit_prices`` read in this same pricing (the core always
    calls it first), so one pricing reads it once; read again otherwise."""
    if has_app_context():
        cached = g.setdefault("membership_member", {})
        if (merchant_id, buyer_id) in cached:
            return cached.pop((merchant_id, buyer_id))
    return members.find(merchant_id, buyer_id)


def member_prices(merchant: Any, buyer: Any, lines: list[dict[str, Any]]) -> list[PriceCandidate]:
    if buyer is None:
        return []
    member = members.find(merchant.id, buyer.id)
    _remember(merchant.id, buyer.id, member)
    if member is None:
        return []
    table = members.levels(merchant.id)
    level = table[min(member.level, len(table) - 1)]
    off = level["discount_percent"]
    if not off:
        return []
    return [
        PriceCandidate(
            line_key=line["key"],
            # Rounded half up to the fen; a 1-fen item stays 1 fen.
            unit_price=max(1, (line["unit_price"] * (100 - off) + 50) // 100),
            source=SOURCE,
            kind="member",
            label=f"{level['name']}价",
        )
        for line in lines
    ]


def points_for_discount(discount: int, per_yuan: int) -> int:
    """The fewest points that pay ``discount`` fen (``per_yuan`` points = 100 fen)."""
    return -(-discount * per_yuan // 100)


def wanted_points(context: dict[str, Any]) -> int:
    wanted = context.get("points") or 0
    if not isinstance(wanted, int) or wanted < 0:
        raise ValidationError("points is a whole number ≥ 0", errors={"points": ["Not below 0."]})
    return wanted


def points_adjustment(
    merchant: Any, buyer: Any, lines: list[dict[str, Any]], context: dict[str, Any]
) -> list[Adjustment]:
    wanted = wanted_points(context)
    if buyer is None or not wanted:
        return []
    cfg = members.config(merchant.id)
    member = _recall(merchant.id, buyer.id)
    have = member.points if member else 0
    per_yuan = cfg["points_per_yuan_redeemed"]
    goods = sum(line["amount"] for line in lines)
    cap = goods * cfg["redeem_cap_percent"] // 100
    usable = min(wanted, have)
    discount = min(usable * 100 // per_yuan, cap)
    common = {"source": SOURCE, "kind": "points", "label": "积分抵扣"}
    if discount <= 0:
        reason = "not enough points" if have < wanted else "below the smallest deduction"
        if not cap:
            reason = "points cannot pay for this order"
        return [Adjustment(**common, amount=0, usable=False, reason=reason)]
    return [
        Adjustment(
            **common,
            amount=-discount,
            data={"points": points_for_discount(discount, per_yuan), "wanted": wanted},
        )
    ]


def flag_priority(order: Any) -> None:
    """Remember an order of a member whose level ships first (staff list them). The level is
    the one this checkout was priced at (read again only outside a pricing)."""
    table = members.levels(order.merchant_id)
    if not any(level["priority_shipping"] for level in table):
        return
    key = (order.merchant_id, order.buyer_id)
    cached = g.setdefault("membership_level", {}) if has_app_context() else {}
    if key in cached:
        rank = cached.pop(key)
    else:
        member = members.find(order.merchant_id, order.buyer_id)
        rank = member.level if member else None
    if rank is None:
        return
    if table[min(rank, len(table) - 1)]["priority_shipping"]:
        PriorityOrder.create(
            merchant_id=order.merchant_id, order_id=order.id, user_id=order.buyer_id, level=rank
        )


def spend_for_order(order: Any) -> int:
    """Take the points the core applied to the order, in its transaction."""
    applied = [a for a in order.pricing.get("applied", []) if a["source"] == SOURCE]
    if not applied:
        return 0
    discount = -sum(a["amount"] for a in applied)
    per_yuan = members.config(order.merchant_id)["points_per_yuan_redeemed"]
    return points.take(
        order.merchant_id,
        order.buyer_id,
        points_for_discount(discount, per_yuan),
        "spend",
        order_id=order.id,  # a new order: no key needed to make it once
        reason=f"order {order.number}",
    )


# -- goods for points ------------------------------------------------------------------------


def _goods_line(line: dict[str, Any]) -> bool:
    activity = line.get("activity")
    return isinstance(activity, dict) and activity.get("type") == GOODS


def goods_offers(merchant_id: int) -> dict[int, dict[str, Any]]:
    return {o["sku_id"]: o for o in members.config(merchant_id).get("points_goods") or []}


def goods_prices(merchant: Any, buyer: Any, lines: list[dict[str, Any]]) -> list[PriceCandidate]:
    """A line bought as points goods (``activity={"type": "points_goods", "id": <sku id>}``)
    costs the offer's cash ``price``; its points are taken when the order is placed. An
    exclusive activity price: no promotion or coupon on it."""
    wanted = [ln for ln in lines if _goods_line(ln)]
    if buyer is None or not wanted:
        return []
    offers = goods_offers(merchant.id)
    out = []
    for line in wanted:
        offer = offers.get(line["sku_id"])
        if offer is None or line["activity"].get("id") != line["sku_id"]:
            continue
        out.append(
            PriceCandidate(
                line_key=line["key"],
                unit_price=offer["price"],
                source=GOODS_SOURCE,
                kind="activity",
                label=f"{offer['points']}积分",
                data={"exclusive": True, "points": offer["points"]},
            )
        )
    return out


def check_goods(draft: dict[str, Any]) -> None:
    """A points-goods line must carry the points price (the SKU is on offer, below its
    catalog price); nothing is written otherwise."""
    for line in draft["lines"]:
        if _goods_line(line) and line.get("price_source") != GOODS_SOURCE:
            raise Conflict(
                "this SKU is not sold for points",
                code="not_points_goods",
                errors={str(line["sku_id"]): ["Not on offer for points."]},
            )


def spend_for_goods(order: Any, lines: list[dict[str, Any]]) -> int:
    """Take the points of the order's points-goods lines, in the checkout transaction."""
    offers = goods_offers(order.merchant_id)
    wanted = sum(
        offers[ln["sku_id"]]["points"] * ln["quantity"]
        for ln in lines
        if ln.get("price_source") == GOODS_SOURCE and ln["sku_id"] in offers
    )
    return points.take(
        order.merchant_id,
        order.buyer_id,
        wanted,
        "spend",
        order_id=order.id,
        reason=f"points goods, order {order.number}",
    )
