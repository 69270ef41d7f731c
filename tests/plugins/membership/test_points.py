"""Points: earned per yuan paid times the level multiplier, redeemed at checkout within the
cap, returned on cancel and refund, reversed on refund, expired oldest lot first."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.checkout import service as checkout
from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict
from mallkit.core.orders.machine import SYSTEM, Actor, transition
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.orders.service import confirm_receipt
from mallkit.core.testing import (
    TEST_ADDRESS,
    cancel_order,
    pay_order,
    place_order,
    refund_order,
    run_tasks,
)
from mallkit.plugins.membership import members, points
from mallkit.plugins.membership.models import Member, PointEntry, PointLot
from tests.plugins.membership.conftest import CONFIG


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


def test_a_paid_order_earns_a_point_per_whole_yuan_and_growth(membership, merchant, buyer, sku):
    order = pay_order(place_order(buyer, [(sku, 1)]))  # ¥100.00
    m = member(merchant, buyer)
    assert (m.points, m.growth, m.level) == (100, 100, 1)  # 银卡 at 100 growth
    assert m.total_spent == 10000 and m.order_count == 1 and m.region == "上海市"
    # Paying again reports nothing new: points are earned once per order.
    assert points.earn(Order.get_by_id(order.id)) == 0
    assert lots_total(merchant, buyer) == 100


def test_the_level_discount_is_a_member_price_and_the_multiplier_applies(
    membership, merchant, buyer, sku
):
    members.change_growth(merchant.id, buyer.user.id, 500, "adjust", reason="test")  # 金卡
    order = place_order(buyer, [(sku, 1)])
    line = OrderLine.get(OrderLine.order == order.id)
    assert (line.sale_unit_price, line.price_kind) == (9000, "member")
    pay_order(order)
    assert member(merchant, buyer).points == 90 * 2  # ¥90 × 2 (金卡 multiplier 200 %)


def test_points_redeem_within_the_cap_and_are_taken_with_the_order(
    membership, merchant, buyer, sku
):
    points.add(merchant.id, buyer.user.id, 10000, "adjust", reason="test")
    order = place_order(buyer, [(sku, 1)], options={"points": 8000})  # ¥80 wanted, cap 50 %
    assert order.total == 10000 - 5000
    assert OrderLine.get(OrderLine.order == order.id).points_discount == 5000
    assert member(merchant, buyer).points == 10000 - 5000
    assert lots_total(merchant, buyer) == 5000


def test_more_points_than_the_buyer_has_only_redeem_what_is_there(membership, merchant, buyer, sku):
    points.add(merchant.id, buyer.user.id, 1234, "adjust", reason="test")
    order = place_order(buyer, [(sku, 1)], options={"points": 5000})
    assert order.total == 10000 - 1234
    assert member(merchant, buyer).points == 0


def test_cancel_returns_the_points_to_their_lots(membership, merchant, buyer, sku):
    points.add(merchant.id, buyer.user.id, 3000, "adjust", reason="test")
    order = place_order(buyer, [(sku, 1)], options={"points": 3000})
    assert member(merchant, buyer).points == 0
    cancel_order(order)
    assert member(merchant, buyer).points == 3000 == lots_total(merchant, buyer)


def test_refund_reverses_earned_points_and_returns_spent_ones_in_proportion(
    membership, merchant, buyer, sku
):
    points.add(merchant.id, buyer.user.id, 2000, "adjust", reason="test")
    order = pay_order(place_order(buyer, [(sku, 2)], options={"points": 2000}))
    assert order.total == 20000 - 2000
    m = member(merchant, buyer)
    assert m.points == 180  # ¥180 paid, 银卡 reached only after this order's growth
    (line,) = OrderLine.select().where(OrderLine.order == order.id)
    refund_order(order, {line: 1})  # half
    m = member(merchant, buyer)
    assert m.points == 180 - 90 + 1000
    assert m.growth == 180 - 90
    refund_order(Order.get_by_id(order.id))  # the rest
    m = member(merchant, buyer)
    assert (m.points, m.growth, m.total_spent) == (2000, 0, 0)
    assert m.points == lots_total(merchant, buyer)


def test_points_earned_at_receipt_wait_for_the_order_to_complete(
    merchant, buyer, sku, enable_plugin
):
    with enable_plugin("membership", merchant, {**CONFIG, "earn_points_at": "receipt"}):
        order = pay_order(place_order(buyer, [(sku, 1)]))
        assert (member(merchant, buyer).points, member(merchant, buyer).growth) == (0, 100)
        transition(Order.get_by_id(order.id), "shipped", SYSTEM)
        confirm_receipt(Order.get_by_id(order.id), Actor("buyer", buyer.user.id))
        # Earned at the level reached by then (银卡, ×1.5), once.
        assert member(merchant, buyer).points == 150
        assert points.earn(Order.get_by_id(order.id)) == 0


def test_expiry_takes_the_oldest_lots_and_spending_uses_them_first(
    membership, merchant, buyer, sku
):
    points.add(merchant.id, buyer.user.id, 300, "adjust", reason="old")
    old = PointLot.select().order_by(PointLot.id.desc()).get()
    PointLot.update(expires_at=utcnow() + dt.timedelta(days=1)).where(
        PointLot.id == old.id
    ).execute()
    points.add(merchant.id, buyer.user.id, 500, "adjust", reason="new")
    points.take(merchant.id, buyer.user.id, 200, "adjust", reason="spend")
    assert PointLot.get_by_id(old.id).remaining == 100  # the oldest lot paid first
    assert points.expire_due(merchant.id) == 0  # not due yet
    PointLot.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(
        PointLot.id == old.id
    ).execute()
    assert run_tasks(at=utcnow() + dt.timedelta(days=1))  # the daily job of the next store day
    m = member(merchant, buyer)
    assert m.points == 500 == lots_total(merchant, buyer)
    assert PointEntry.get(PointEntry.kind == "expire").delta == -100


def test_a_refund_after_expiry_does_not_return_expired_points(membership, merchant, buyer, sku):
    points.add(merchant.id, buyer.user.id, 1000, "adjust", reason="test")
    order = pay_order(place_order(buyer, [(sku, 1)], options={"points": 1000}))
    PointLot.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    points.expire_due(merchant.id)
    before = member(merchant, buyer).points
    refund_order(Order.get_by_id(order.id))
    m = member(merchant, buyer)
    assert m.points == max(before - 90, 0)  # the earned 90 reversed, nothing returned
    assert m.points == lots_total(merchant, buyer)


def test_taking_more_points_than_there_are_is_refused(membership, merchant, buyer):
    points.add(merchant.id, buyer.user.id, 10, "adjust", reason="test")
    with pytest.raises(Conflict) as err:
        points.take(merchant.id, buyer.user.id, 11, "adjust")
    assert err.value.code == "points_insufficient"
    assert member(merchant, buyer).points == 10


def test_visits_through_a_buyer_s_share_earn_points_up_to_a_daily_cap(
    client, merchant, buyer, other_buyer, sku, enable_plugin
):
    config = {**CONFIG, "share_points": 10, "share_rewards_per_day": 3}
    with enable_plugin("membership", merchant, config):
        r = client.post(
            "/api/v1/shares",
            json={"kind": "product", "target_id": sku.product_id},
            headers=buyer.headers,
        )
        assert r.status_code == 201, r.json
        visits = f"/api/v1/shares/{r.json['code']}/visits"
        assert client.post(visits, json={}, headers=buyer.headers).status_code == 201  # own
        assert members.find(merchant.id, buyer.user.id) is None  # nothing for your own
        for n in range(5):
            assert client.post(visits, json={"device_id": f"d{n}"}).status_code == 201
        assert client.post(visits, json={}, headers=other_buyer.headers).status_code == 201
        m = member(merchant, buyer)
        assert m.points == 30 == lots_total(merchant, buyer)  # 3 rewards a day
        assert PointEntry.select().where(PointEntry.kind == "share").count() == 3


def goods_checkout(buyer, sku, quantity=1):
    item = {"type": "points_goods", "id": sku.id}
    data = {
        "items": [{"sku_id": sku.id, "quantity": quantity, "activity": item}],
        "address": TEST_ADDRESS,
    }
    (order,) = checkout.place(buyer.user, data)
    return order


def test_goods_for_points_plus_cash_take_the_points_with_the_order(
    client, merchant, buyer, sku, enable_plugin
):
    offer = {"sku_id": sku.id, "points": 2000, "price": 990}
    with enable_plugin("membership", merchant, {**CONFIG, "points_goods": [offer]}):
        assert client.get(f"/api/v1/merchants/{merchant.id}/membership/points-goods").json == [
            offer
        ]
        points.add(merchant.id, buyer.user.id, 5000, "adjust")
        order = goods_checkout(buyer, sku, quantity=2)
        line = OrderLine.get(OrderLine.order == order.id)
        assert (order.total, line.price_kind) == (2 * 990, "activity")
        assert member(merchant, buyer).points == 1000 == lots_total(merchant, buyer)
        with pytest.raises(Conflict) as refused:  # 1000 left, 2000 needed: nothing written
            goods_checkout(buyer, sku)
        assert refused.value.code == "points_insufficient"
        assert Order.select().count() == 1
        cancel_order(order)
        assert member(merchant, buyer).points == 5000


def test_a_sku_not_offered_for_points_is_refused(merchant, buyer, sku, enable_plugin):
    with enable_plugin("membership", merchant, CONFIG):
        points.add(merchant.id, buyer.user.id, 5000, "adjust")
        with pytest.raises(Conflict) as refused:
            goods_checkout(buyer, sku)
        assert refused.value.code == "not_points_goods"
        assert member(merchant, buyer).points == 5000


def test_goods_for_points_alone_are_paid_as_they_are_placed(merchant, buyer, sku, enable_plugin):
    offer = {"sku_id": sku.id, "points": 3000, "price": 0}
    with enable_plugin("membership", merchant, {**CONFIG, "points_goods": [offer]}):
        points.add(merchant.id, buyer.user.id, 3000, "adjust")
        order = Order.get_by_id(goods_checkout(buyer, sku).id)
        assert (order.total, order.status) == (0, "paid")
        m = member(merchant, buyer)
        assert (m.points, m.growth) == (0, 0)  # spent, and a free order earns nothing
