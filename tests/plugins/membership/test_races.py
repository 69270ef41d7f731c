"""Concurrent requests never overspend points or balance, sign in twice a day, or return
points that expired."""

from __future__ import annotations

import datetime as dt

from mallkit.core.checkout import service as checkout
from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict
from mallkit.core.orders.models import Order
from mallkit.core.payments import service as payments
from mallkit.core.testing import TEST_ADDRESS, concurrently, pay_order, place_order, refund_order
from mallkit.plugins.membership import points, signin, wallet
from mallkit.plugins.membership.models import (
    BalanceEntry,
    Member,
    PointEntry,
    PointLot,
    SignIn,
)


def member(merchant, buyer):
    return Member.get(Member.merchant_id == merchant.id, Member.user_id == buyer.user.id)


def lots_total(merchant, buyer):
    return sum(
        lot.remaining
        for lot in PointLot.select().where(
            (PointLot.merchant_id == merchant.id)
            & (PointLot.user_id == buyer.user.id)
            & (PointLot.status == "active")
        )
    )


def test_two_checkouts_spending_the_same_points_cannot_both_win(
    app, membership, merchant, buyer, sku
):
    points.add(merchant.id, buyer.user.id, 3000, "adjust", reason="test")
    data = {
        "items": [{"sku_id": sku.id, "quantity": 1}],
        "address": TEST_ADDRESS,
        "merchants": [{"merchant_id": merchant.id, "points": 3000}],
    }
    # Both are priced with the 3000 points before either writes.
    prepared = [checkout.prepare(buyer.user, data) for _ in range(2)]
    results = concurrently(app, lambda i: checkout.place(buyer.user, data, prepared=prepared[i]), 2)
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and [e.code for e in lost] == ["points_insufficient"]
    assert Order.select().count() == 1
    assert member(merchant, buyer).points == 0 == lots_total(merchant, buyer)


def test_two_orders_paid_with_the_same_balance_cannot_both_be_paid(
    app, membership, merchant, buyer, sku
):
    wallet.move(merchant.id, buyer.user.id, 15000, "adjust", key="seed")
    orders = [place_order(buyer, [(sku, 1)]) for _ in range(2)]
    results = concurrently(app, lambda i: payments.start(orders[i], "balance"), 2)
    paid = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(paid) == 1 and [e.code for e in refused] == ["balance_insufficient"]
    assert sorted(Order.get_by_id(o.id).status for o in orders) == ["paid", "pending_payment"]
    assert member(merchant, buyer).balance == 5000
    assert sum(e.delta for e in BalanceEntry.select()) == 5000


def test_one_sign_in_a_day_under_concurrent_requests(app, membership, merchant, buyer):
    results = concurrently(app, lambda i: signin.sign_in(merchant.id, buyer.user.id), 8)
    assert sum(1 for r in results if isinstance(r, SignIn)) == 1
    assert {r.code for r in results if isinstance(r, Conflict)} == {"already_signed_in"}
    assert SignIn.select().count() == 1
    assert member(merchant, buyer).points == 5 == lots_total(merchant, buyer)


def test_a_refund_racing_expiry_returns_points_at_most_once(app, membership, merchant, buyer, sku):
    points.add(merchant.id, buyer.user.id, 1000, "adjust", reason="test")
    order = pay_order(place_order(buyer, [(sku, 1)], options={"points": 1000}))
    # The spent lot is due: expiry and the refund's return race for it.
    PointLot.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(
        PointLot.source == "adjust"
    ).execute()
    order = Order.get_by_id(order.id)
    results = concurrently(
        app,
        lambda i: points.expire_due(merchant.id) if i == 0 else refund_order(order),
        2,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    m = member(merchant, buyer)
    assert m.points == lots_total(merchant, buyer) == 0  # the earned 90 reversed as well
    # Either expiry came first (nothing returned, nothing left to expire) or the return did
    # (1000 back in the lot, then expired with it): never returned and kept.
    returned = sum(e.delta for e in PointEntry.select().where(PointEntry.kind == "return"))
    expired = -sum(e.delta for e in PointEntry.select().where(PointEntry.kind == "expire"))
    assert (returned, expired) in ((0, 0), (1000, 1000))
