"""Other plugins read membership through the core hooks: promotions give early access to a
member level and target segments; coupons are issued to a segment. With membership off
nobody answers, and they behave as before."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.checkout import service as checkout
from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.testing import (
    TEST_ADDRESS,
    make_account,
    make_product,
    pay_order,
    place_order,
    skus_of,
)
from mallkit.plugins.coupons.models import UserCoupon
from mallkit.plugins.groupbuy import service as groupbuy
from mallkit.plugins.groupbuy.models import Member as GroupMember
from mallkit.plugins.membership import members, points, segments
from mallkit.plugins.promotions import service as promotions
from tests.plugins.membership.conftest import CONFIG


def flash_sale(merchant, sku, starts_in_minutes, **extra):
    now = utcnow()
    return promotions.create(
        merchant.id,
        {
            "name": "秒杀",
            "type": "discount",
            "rules": {"rate": 50},
            "scope": "skus",
            "scope_ids": [sku.id],
            "starts_at": now + dt.timedelta(minutes=starts_in_minutes),
            "ends_at": now + dt.timedelta(days=1),
            **extra,
        },
    )


def unit_price(order):
    return OrderLine.get(OrderLine.order == order.id).sale_unit_price


def test_a_gold_member_buys_a_flash_sale_early_and_others_wait(
    membership, merchant, buyer, other_buyer, sku, enable_plugin
):
    with enable_plugin("promotions", merchant, {}):
        flash_sale(merchant, sku, starts_in_minutes=20)
        members.change_growth(merchant.id, buyer.user.id, 500, "adjust")  # 金卡: 30 minutes early
        assert unit_price(place_order(buyer, [(sku, 1)])) == 5000
        assert unit_price(place_order(other_buyer, [(sku, 1)])) == 10000  # 普通: not yet


def test_early_access_ends_where_it_ends(membership, merchant, buyer, sku, enable_plugin):
    with enable_plugin("promotions", merchant, {}):
        flash_sale(merchant, sku, starts_in_minutes=45)  # beyond the 30 minutes
        members.change_growth(merchant.id, buyer.user.id, 500, "adjust")
        assert unit_price(place_order(buyer, [(sku, 1)])) == 9000  # the member price only


def test_without_membership_nobody_has_early_access(merchant, buyer, sku, enable_plugin):
    with enable_plugin("membership", merchant, CONFIG):
        members.change_growth(merchant.id, buyer.user.id, 500, "adjust")
    with enable_plugin("promotions", merchant, {}):
        flash_sale(merchant, sku, starts_in_minutes=20)
        assert unit_price(place_order(buyer, [(sku, 1)])) == 10000


def test_a_promotion_for_a_segment_prices_only_its_buyers(
    client, membership, merchant, owner, buyer, other_buyer, sku, enable_plugin
):
    pay_order(place_order(buyer, [(sku, 3)]))
    vip = segments.create(merchant.id, {"name": "大客户", "rules": {"min_total_spent": 20000}})
    with enable_plugin("promotions", merchant, {}):
        r = client.post(
            f"/api/v1/merchants/{merchant.id}/promotions",
            json={
                "name": "VIP 满减",
                "type": "full_reduction",
                "rules": {"tiers": [{"threshold": 5000, "amount": 1000}]},
                "starts_at": (utcnow() - dt.timedelta(hours=1)).isoformat() + "Z",
                "ends_at": (utcnow() + dt.timedelta(days=1)).isoformat() + "Z",
                "segment_id": vip.id,
            },
            headers=owner.headers,
        )
        assert r.status_code == 201, r.json
        assert r.json["segment_id"] == vip.id
        assert place_order(buyer, [(sku, 1)]).discount_total == 1000
        assert place_order(other_buyer, [(sku, 1)]).discount_total == 0
        r = client.post(
            f"/api/v1/merchants/{merchant.id}/promotions",
            json={
                "name": "x",
                "type": "full_reduction",
                "rules": {"tiers": [{"threshold": 5000, "amount": 1000}]},
                "starts_at": utcnow().isoformat() + "Z",
                "ends_at": (utcnow() + dt.timedelta(days=1)).isoformat() + "Z",
                "segment_id": 9999,
            },
            headers=owner.headers,
        )
        assert r.status_code == 422 and set(r.json["errors"]) == {"segment_id"}


def test_a_coupon_is_issued_to_every_buyer_of_a_segment(
    client, membership, merchant, owner, buyer, other_buyer, sku, enable_plugin
):
    third = make_account(email="third@example.com")
    for account in (buyer, other_buyer):
        pay_order(place_order(account, [(sku, 1)]))
    members.ensure(merchant.id, third.user.id)  # a member without orders
    buyers = segments.create(merchant.id, {"name": "下过单", "rules": {"min_orders": 1}})
    with enable_plugin("coupons", merchant, {}):
        r = client.post(
            f"/api/v1/merchants/{merchant.id}/coupon-templates",
            json={
                "name": "回馈券",
                "type": "no_threshold",
                "amount": 500,
                "total": 100,
                "validity": "relative",
                "valid_days": 7,
            },
            headers=owner.headers,
        )
        assert r.status_code == 201, r.json
        template = r.json["id"]
        issue = f"/api/v1/merchants/{merchant.id}/coupon-templates/{template}/issue"
        r = client.post(issue, json={"segment_id": buyers.id}, headers=owner.headers)
        assert r.status_code == 201, r.json
        assert len(r.json) == 2
        held = {c.user_id for c in UserCoupon.select().where(UserCoupon.template == template)}
        assert held == {buyer.user.id, other_buyer.user.id}
        r = client.post(issue, json={"segment_id": 9999}, headers=owner.headers)
        assert r.status_code == 422 and set(r.json["errors"]) == {"segment_id"}
        r = client.post(
            issue, json={"segment_id": buyers.id, "user_ids": [1]}, headers=owner.headers
        )
        assert r.status_code == 422


def test_a_group_order_counts_once_though_it_becomes_paid_twice(
    membership, merchant, buyer, other_buyer, enable_plugin
):
    (sku,) = skus_of(make_product(merchant, prices=(20000,)))

    def buy(account, **params):
        item = {"type": "groupbuy", "id": activity.id, "params": params}
        data = {"items": [{"sku_id": sku.id, "quantity": 1, "activity": item}]}
        (order,) = checkout.place(account.user, {**data, "address": TEST_ADDRESS})
        return pay_order(order)

    with enable_plugin("groupbuy", merchant, {}):
        now = utcnow()
        activity = groupbuy.create_activity(
            merchant.id,
            {
                "title": "二人团",
                "product_id": sku.product_id,
                "prices": {str(sku.id): 10000},
                "group_size": 2,
                "starts_at": now - dt.timedelta(hours=1),
                "ends_at": now + dt.timedelta(days=1),
            },
        )
        leader = buy(buyer)
        assert leader.status == "awaiting_group"
        group_id = GroupMember.get(GroupMember.order_id == leader.id).group_id
        buy(other_buyer, group_id=group_id)
        assert Order.get_by_id(leader.id).status == "paid"
    m = members.find(merchant.id, buyer.user.id)
    # paid → awaiting_group → paid: counted, grown and rewarded once.
    assert (m.order_count, m.total_spent, m.growth, m.points) == (1, 10000, 100, 100)


def coupon_template(client, merchant, owner, total=10, per_user=0):
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/coupon-templates",
        json={
            "name": "积分兑换券",
            "type": "no_threshold",
            "amount": 1000,
            "total": total,
            "per_user": per_user,
            "validity": "relative",
            "valid_days": 30,
            "claimable": False,
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.json
    return r.json["id"]


def test_points_buy_a_coupon_through_the_coupons_plugin(
    client, merchant, owner, buyer, enable_plugin
):
    with enable_plugin("coupons", merchant, {}):
        template = coupon_template(client, merchant, owner, total=1)
        offers = [{"template_id": template, "points": 800}]
        with enable_plugin("membership", merchant, {**CONFIG, "coupon_offers": offers}):
            base = f"/api/v1/merchants/{merchant.id}/membership/coupon-offers"
            assert client.get(base).json == offers
            points.add(merchant.id, buyer.user.id, 1000, "adjust")
            r = client.post(f"{base}/{template}/buy", headers=buyer.headers)
            assert r.status_code == 201, r.json
            assert (r.json["points"], r.json["balance"], r.json["name"]) == (800, 200, "积分兑换券")
            coupon = UserCoupon.get_by_id(r.json["coupon_id"])
            assert (coupon.user_id, coupon.channel) == (buyer.user.id, "points")
            # Too few points: no coupon. The last coupon gone: no points taken.
            r = client.post(f"{base}/{template}/buy", headers=buyer.headers)
            assert r.status_code == 409 and r.json["code"] == "points_insufficient"
            points.add(merchant.id, buyer.user.id, 1000, "adjust")
            r = client.post(f"{base}/{template}/buy", headers=buyer.headers)
            assert r.status_code == 409 and r.json["code"] == "coupon_exhausted"
            assert members.find(merchant.id, buyer.user.id).points == 1200
            assert UserCoupon.select().count() == 1
            assert client.post(f"{base}/999/buy", headers=buyer.headers).status_code == 404


def test_without_coupons_points_buy_nothing_and_are_kept(
    client, merchant, owner, buyer, enable_plugin
):
    with enable_plugin("coupons", merchant, {}):
        template = coupon_template(client, merchant, owner)
    offers = [{"template_id": template, "points": 100}]
    with enable_plugin("membership", merchant, {**CONFIG, "coupon_offers": offers}):
        points.add(merchant.id, buyer.user.id, 500, "adjust")
        r = client.post(
            f"/api/v1/merchants/{merchant.id}/membership/coupon-offers/{template}/buy",
            headers=buyer.headers,
        )
        assert r.status_code == 409 and r.json["code"] == "coupons_unavailable"
        assert members.find(merchant.id, buyer.user.id).points == 500


def test_a_gold_member_opens_a_group_early_and_others_wait(
    membership, merchant, buyer, other_buyer, enable_plugin
):
    (sku,) = skus_of(make_product(merchant, prices=(20000,)))
    members.change_growth(merchant.id, buyer.user.id, 500, "adjust")  # 金卡: 30 minutes early
    with enable_plugin("groupbuy", merchant, {}):
        now = utcnow()
        activity = groupbuy.create_activity(
            merchant.id,
            {
                "title": "二人团",
                "product_id": sku.product_id,
                "prices": {str(sku.id): 10000},
                "group_size": 2,
                "starts_at": now + dt.timedelta(minutes=20),
                "ends_at": now + dt.timedelta(days=1),
            },
        )
        item = {"type": "groupbuy", "id": activity.id, "params": {}}
        data = {
            "items": [{"sku_id": sku.id, "quantity": 1, "activity": item}],
            "address": TEST_ADDRESS,
        }
        (order,) = checkout.place(buyer.user, data)
        assert order.total == 10000
        with pytest.raises(Conflict) as refused:  # 普通: not before the start
            checkout.place(other_buyer.user, data)
        assert refused.value.code == "activity_not_running"
