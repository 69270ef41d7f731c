"""Coupons: types, scopes, validity, limits, checkout effects, concurrency, API and isolation."""

from __future__ import annotations

import pytest

from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.payments import service as payments
from mallkit.core.payments.channel import ChannelPayment
from mallkit.core.tasks import queue as tasks
from mallkit.core.tasks import runner
from mallkit.core.testing import concurrently, make_account
from mallkit.plugins.coupons import service
from mallkit.plugins.coupons.models import CouponTemplate, RedeemCode, UserCoupon
from tests.plugins.coupons.conftest import DAY, place, preview, template


def grant(merchant, buyer, **fields):
    t = template(merchant, **fields)
    return service.claim(merchant.id, t.id, buyer.user.id)


# shirt[0] ¥60.00, shirt[1] ¥45.00 (category 0); mug ¥33.33 (category 1)
CASES = [
    # (template fields, items as (fixture, index, qty), discount, reason)
    ({}, [("shirt", 0, 2)], 2000, ""),
    ({}, [("shirt", 1, 1), ("mug", 0, 1)], 0, "¥21.67 short"),
    ({"type": "no_threshold", "threshold": 0, "amount": 500}, [("mug", 0, 1)], 500, ""),
    ({"type": "no_threshold", "threshold": 0, "amount": 9999}, [("mug", 0, 1)], 3332, ""),
    ({"type": "discount", "rate": 85, "threshold": 0, "amount": 0}, [("shirt", 0, 1)], 900, ""),
    (
        {"type": "discount", "rate": 85, "cap": 1000, "threshold": 0, "amount": 0},
        [("shirt", 0, 2), ("mug", 0, 1)],
        1000,
        "",
    ),
    (
        {"type": "discount", "rate": 90, "threshold": 5000, "amount": 0},
        [("shirt", 1, 1)],
        0,
        "¥5.00 short",
    ),
    ({"scope": "categories", "scope_ids": ["cat1"]}, [("shirt", 0, 2)], 0, "not for this category"),
    (
        {"scope": "categories", "scope_ids": ["cat0"], "threshold": 10000},
        [("shirt", 0, 1), ("mug", 0, 3)],
        0,
        "¥40.00 short",
    ),
    ({"scope": "products", "scope_ids": ["mug"], "threshold": 6000}, [("mug", 0, 2)], 2000, ""),
    (
        {"scope": "except", "scope_ids": ["mug"], "threshold": 6000},
        [("shirt", 1, 1), ("mug", 0, 2)],
        0,
        "¥15.00 short",
    ),
    ({"ends_at_offset": -1}, [("shirt", 0, 2)], 0, "expired"),
    ({"starts_at_offset": 1}, [("shirt", 0, 2)], 0, "not valid yet"),
]


@pytest.mark.parametrize(("fields", "items", "discount", "reason"), CASES)
def test_types_scopes_and_validity(
    merchant, buyer, shirt, mug, categories, coupons_on, fields, items, discount, reason
):
    skus = {"shirt": shirt, "mug": mug}
    ids = {"cat0": categories[0].id, "cat1": categories[1].id, "mug": mug[0].product_id}
    fields = dict(fields)
    if "scope_ids" in fields:
        fields["scope_ids"] = [ids[x] for x in fields["scope_ids"]]
    ends, starts = fields.pop("ends_at_offset", None), fields.pop("starts_at_offset", None)
    coupon = grant(merchant, buyer, **fields)
    if ends is not None:
        UserCoupon.update(ends_at=utcnow() + ends * DAY).where(UserCoupon.id == coupon.id).execute()
    if starts is not None:
        UserCoupon.update(starts_at=utcnow() + starts * DAY).where(
            UserCoupon.id == coupon.id
        ).execute()
    out = preview(buyer, [(skus[f][i], q) for f, i, q in items])
    subtotal = sum(skus[f][i].price * q for f, i, q in items)
    assert out["discount_total"] == discount
    assert out["total"] == subtotal - discount
    assert sum(line["pay_amount"] for line in out["lines"]) == out["total"]
    if reason:
        assert [u["reason"] for u in out["unusable"]] == [reason]
    else:
        assert [a["data"]["user_coupon_id"] for a in out["applied"]] == [coupon.id]


def test_best_coupon_by_default_one_per_order_and_the_buyers_choice(
    merchant, buyer, shirt, address, coupons_on
):
    small = grant(merchant, buyer, name="减20")
    big = grant(merchant, buyer, name="减30", amount=3000)
    items = [(shirt[0], 2)]
    out = preview(buyer, items)
    assert [a["data"]["user_coupon_id"] for a in out["applied"]] == [big.id]
    assert out["unusable"][0]["data"]["user_coupon_id"] == small.id
    assert out["unusable"][0]["reason"].startswith("does not combine")
    chosen = preview(buyer, items, merchant, [small.id])
    assert chosen["discount_total"] == 2000 and chosen["unusable"] == []
    # Allowed to stack: the buyer may choose both.
    service_config = {"one_per_order": False}
    from mallkit.core import plugin_settings

    plugin_settings.configure(merchant, "coupons", service_config)
    both = preview(buyer, items, merchant, [small.id, big.id])
    assert both["discount_total"] == 5000
    order = place(buyer, address, items, merchant, [small.id, big.id])
    assert {c.status for c in UserCoupon.select()} == {"used"}
    assert order.total == 12000 - 5000


def test_one_coupon_per_template_and_state_is_offered_the_first_claimed(
    merchant, buyer, shirt, coupons_on
):
    """Coupons of one template are alike: the pricing offers the first claimed of each
    template and validity state, whatever the number held."""
    alike = template(merchant, name="减20")
    held = [service.issue(merchant.id, alike.id, [buyer.user.id])[0] for _ in range(3)]
    late = held[2]
    UserCoupon.update(ends_at=utcnow() - DAY).where(UserCoupon.id == late.id).execute()
    other = grant(merchant, buyer, name="减30", amount=3000)
    out = preview(buyer, [(shirt[0], 2)])
    offered = [a["data"]["user_coupon_id"] for a in out["applied"] + out["unusable"]]
    first = min(c.id for c in UserCoupon.select().where(UserCoupon.template == alike.id))
    assert sorted(offered) == sorted([first, late.id, other.id])
    assert [a["data"]["user_coupon_id"] for a in out["applied"]] == [other.id]
    reasons = {u["data"]["user_coupon_id"]: u["reason"] for u in out["unusable"]}
    assert reasons[late.id] == "expired"


def test_offered_coupons_by_template_and_state_among_many(
    merchant, buyer, shirt, address, coupons_on
):
    """With many coupons held, per template: the usable one expiring soonest, the first
    expired one (not swept yet) and, for a window not open yet, its first coupon; used
    coupons never. (Found through an index per template, not by reading every coupon.)
    Placing the order (which looks up usable coupons only) uses the one the preview applied."""
    a = template(merchant, name="减20")
    a_held = [service.issue(merchant.id, a.id, [buyer.user.id])[0] for _ in range(6)]
    UserCoupon.update(ends_at=utcnow() - DAY).where(
        UserCoupon.id.in_([a_held[1].id, a_held[4].id])
    ).execute()
    UserCoupon.update(ends_at=utcnow() + 2 * DAY).where(UserCoupon.id == a_held[3].id).execute()
    b = template(merchant, name="减30", amount=3000)
    b_held = [service.issue(merchant.id, b.id, [buyer.user.id])[0] for _ in range(3)]
    UserCoupon.update(starts_at=utcnow() + DAY).where(
        UserCoupon.id.in_([c.id for c in b_held])
    ).execute()
    c = template(merchant, name="减10", amount=1000)
    used = service.issue(merchant.id, c.id, [buyer.user.id])[0]
    UserCoupon.update(status="used").where(UserCoupon.id == used.id).execute()
    out = preview(buyer, [(shirt[0], 2)])
    offered = {a_["data"]["user_coupon_id"]: a_["reason"] for a_ in out["applied"]}
    offered.update({u["data"]["user_coupon_id"]: u["reason"] for u in out["unusable"]})
    # a_held[3] expires sooner than the rest of the template's usable ones.
    assert offered == {a_held[3].id: "", a_held[1].id: "expired", b_held[0].id: "not valid yet"}
    order = place(buyer, address, [(shirt[0], 2)])
    assert order.discount_total == out["discount_total"] == 2000
    assert [c.id for c in UserCoupon.select().where(UserCoupon.order_id == order.id)] == [
        a_held[3].id
    ]


def test_discount_is_apportioned_exactly_to_the_fen(
    merchant, buyer, shirt, mug, address, coupons_on
):
    coupon = grant(merchant, buyer, type="no_threshold", threshold=0, amount=1001)
    order = place(
        buyer, address, [(shirt[0], 1), (shirt[1], 1), (mug[0], 1)], merchant, [coupon.id]
    )
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    shares = [ln.coupon_discount for ln in lines]
    assert sum(shares) == 1001 and shares == [434, 326, 241]
    assert sum(ln.pay_amount for ln in lines) == order.total == 13833 - 1001
    assert order.pricing["applied"][0]["data"]["user_coupon_id"] == coupon.id


def test_placing_consumes_cancelling_returns_paid_keeps_unless_allowed(
    app, client, owner, merchant, buyer, shirt, address, coupons_on, enable_plugin
):
    coupon = grant(merchant, buyer)
    order = place(buyer, address, [(shirt[0], 2)], merchant, [coupon.id])
    used = UserCoupon.get_by_id(coupon.id)
    assert (used.status, used.order_id, used.order_total) == ("used", order.id, 10000)
    # Used: a second order cannot have it.
    with pytest.raises(Conflict) as exc:
        place(buyer, address, [(shirt[0], 2)], merchant, [coupon.id])
    assert exc.value.code == "coupon_unusable"
    orders.cancel(order, Actor("buyer", buyer.user.id))
    assert UserCoupon.get_by_id(coupon.id).status == "unused"
    assert UserCoupon.get_by_id(coupon.id).order_id is None

    with enable_plugin("payment_manual", merchant, {}):

        def paid_and_refunded():
            order = place(buyer, address, [(shirt[0], 2)], merchant, [coupon.id])
            attempt = payments.start(order, "manual", method="transfer")
            payments.record_payment(
                merchant.id,
                "manual",
                ChannelPayment(attempt.number, "paid", f"t-{order.id}", order.total, "CNY"),
                "staff",
            )
            r = client.post(
                f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds",
                json={"reason": "all"},
                headers=owner.headers,
            )
            assert r.status_code == 201, r.json
            assert Order.get_by_id(order.id).status == "closed"

        paid_and_refunded()
        assert UserCoupon.get_by_id(coupon.id).status == "used"
        # The merchant allows the return on a full refund.
        UserCoupon.update(status="unused", order_id=None).execute()
        from mallkit.core import plugin_settings

        plugin_settings.configure(merchant, "coupons", {"return_on_full_refund": True})
        paid_and_refunded()
        assert UserCoupon.get_by_id(coupon.id).status == "unused"


def test_claim_limits_total_per_user_per_day_validity_and_status(merchant, buyer, other_buyer):
    t = template(merchant, total=3, per_user=2, per_day=1)
    service.claim(merchant.id, t.id, buyer.user.id)
    with pytest.raises(Conflict) as exc:
        service.claim(merchant.id, t.id, buyer.user.id)
    assert exc.value.code == "coupon_daily_limit_reached"
    UserCoupon.update(claimed_day="2000-01-01").execute()
    service.claim(merchant.id, t.id, buyer.user.id)
    with pytest.raises(Conflict) as exc:
        service.claim(merchant.id, t.id, buyer.user.id)
    assert exc.value.code == "coupon_limit_reached"
    service.claim(merchant.id, t.id, other_buyer.user.id)
    third = make_account(email="third@test.mallkit.dev")
    with pytest.raises(Conflict) as exc:
        service.claim(merchant.id, t.id, third.user.id)
    assert exc.value.code == "coupon_exhausted"
    assert CouponTemplate.get_by_id(t.id).issued == 3 and UserCoupon.select().count() == 3
    # Relative validity: N days from the claim; the template's rules are copied.
    rel = template(merchant, validity="relative", valid_days=3, ends_at=None, starts_at=None)
    c = service.claim(merchant.id, rel.id, buyer.user.id)
    assert (c.ends_at - c.starts_at).days == 3 and c.rules["amount"] == 2000
    CouponTemplate.update(amount=1).where(CouponTemplate.id == rel.id).execute()
    assert UserCoupon.get_by_id(c.id).rules["amount"] == 2000
    expired = template(merchant, ends_at=utcnow() + DAY)
    CouponTemplate.update(ends_at=utcnow() - DAY).where(CouponTemplate.id == expired.id).execute()
    with pytest.raises(Conflict) as exc:
        service.claim(merchant.id, expired.id, buyer.user.id)
    assert exc.value.code == "coupon_expired"
    service.update_template(merchant.id, rel.id, {"status": "stopped"})
    with pytest.raises(Conflict) as exc:
        service.issue(merchant.id, rel.id, [other_buyer.user.id])
    assert exc.value.code == "coupon_stopped"
    with pytest.raises(Exception) as exc:
        service.claim(merchant.id, rel.id, other_buyer.user.id)
    assert exc.value.code == "coupon_template_not_found"


def test_fifty_threads_claim_a_total_of_ten(app, merchant):
    t = template(merchant, total=10, per_user=0)
    users = [make_account(email=f"u{i}@test.mallkit.dev").user.id for i in range(50)]
    results = concurrently(app, lambda i: service.claim(merchant.id, t.id, users[i]), 50)
    won = [r for r in results if isinstance(r, UserCoupon)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 10 and len(lost) == 40
    assert {e.code for e in lost} == {"coupon_exhausted"}
    assert CouponTemplate.get_by_id(t.id).issued == 10 and UserCoupon.select().count() == 10


def test_one_user_per_limit_holds_under_concurrency(app, merchant, buyer):
    t = template(merchant, total=100, per_user=2)
    results = concurrently(app, lambda i: service.claim(merchant.id, t.id, buyer.user.id), 10)
    assert sum(isinstance(r, UserCoupon) for r in results) == 2
    assert UserCoupon.select().count() == 2 and CouponTemplate.get_by_id(t.id).issued == 2


def test_one_coupon_in_two_concurrent_checkouts_one_wins(
    app, merchant, buyer, shirt, address, coupons_on
):
    from mallkit.core.checkout import service as checkout

    coupon = grant(merchant, buyer)
    data = {
        "items": [{"sku_id": shirt[0].id, "quantity": 2}],
        "address_id": address.id,
        "merchants": [{"merchant_id": merchant.id, "coupon_ids": [coupon.id]}],
    }
    # Both are priced with the coupon before either writes.
    prepared = [checkout.prepare(buyer.user, data) for _ in range(2)]
    results = concurrently(app, lambda i: checkout.place(buyer.user, data, prepared=prepared[i]), 2)
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and [e.code for e in lost] == ["coupon_unavailable"]
    assert Order.select().count() == 1 and OrderLine.select().count() == 1
    assert UserCoupon.get_by_id(coupon.id).order_id == won[0][0].id
    from mallkit.core.catalog.models import Sku

    assert Sku.get_by_id(shirt[0].id).stock == 48


def test_issue_redeem_codes_new_user_gift_and_stats(
    app, merchant, buyer, other_buyer, shirt, address, coupons_on
):
    t = template(merchant, total=5, claimable=False)
    issued = service.issue(merchant.id, t.id, [buyer.user.id, other_buyer.user.id])
    assert [c.channel for c in issued] == ["issue", "issue"]
    with pytest.raises(Exception) as exc:
        service.issue(merchant.id, t.id, [999999])
    assert exc.value.code == "validation_error"
    codes = service.generate_codes(merchant.id, t.id, 3)
    assert len(set(codes)) == 3 and RedeemCode.select().count() == 3
    c = service.redeem(merchant.id, codes[0].lower(), buyer.user.id)
    assert c.channel == "code"
    with pytest.raises(Conflict) as exc:
        service.redeem(merchant.id, codes[0], other_buyer.user.id)
    assert exc.value.code == "redeem_code_used"
    # New users get the gift templates of merchants with coupons enabled.
    template(
        merchant, name="新人券", type="no_threshold", threshold=0, amount=500, new_user_gift=True
    )
    newcomer = make_account(email="new@test.mallkit.dev")
    gifts = list(UserCoupon.select().where(UserCoupon.user_id == newcomer.user.id))
    assert [(g.channel, g.rules["name"]) for g in gifts] == [("gift", "新人券")]
    # Stats: one order with one of the template's coupons.
    order = place(buyer, address, [(shirt[0], 2)], merchant, [issued[0].id])
    assert service.stats(merchant.id, t.id) == {
        "template_id": t.id,
        "issued": 3,
        "claimed": 0,
        "used": 1,
        "orders": 1,
        "sales": order.total,
    }


def test_the_daily_task_expires_coupons(app, merchant, buyer, coupons_on):
    old = grant(merchant, buyer)
    fresh = grant(merchant, buyer, name="later")
    UserCoupon.update(ends_at=utcnow() - DAY).where(UserCoupon.id == old.id).execute()
    task = tasks.ScheduledTask.get(tasks.ScheduledTask.kind == service.EXPIRE_JOB)
    assert task.merchant_id == merchant.id and task.run_at > utcnow()
    # The store's midnight: Asia/Shanghai, 16:00 UTC.
    assert (task.run_at.hour, task.run_at.minute) == (16, 0)
    assert runner.run_due(worker_id="t", now=task.run_at + DAY / 24) == 1
    assert UserCoupon.get_by_id(old.id).status == "expired"
    assert UserCoupon.get_by_id(fresh.id).status == "unused"
    nxt = tasks.ScheduledTask.select().where(
        (tasks.ScheduledTask.kind == service.EXPIRE_JOB) & (tasks.ScheduledTask.status == "pending")
    )
    assert [x.run_at for x in nxt] == [task.run_at + DAY]


def test_a_merchant_without_the_plugin_sees_no_effect_and_routes_404(
    client, merchant, other_merchant, owner, buyer, shirt, address
):
    coupon = grant(merchant, buyer)  # held, but the plugin is off
    out = preview(buyer, [(shirt[0], 2)])
    assert out["applied"] == [] and out["unusable"] == [] and out["total"] == 12000
    order = place(buyer, address, [(shirt[0], 2)])
    assert order.total == 12000 and UserCoupon.get_by_id(coupon.id).status == "unused"
    for url in (
        f"/api/v1/merchants/{merchant.id}/coupon-centre",
        f"/api/v1/merchants/{merchant.id}/coupon-templates",
    ):
        assert client.get(url, headers=owner.headers).status_code == 404
