"""Coupon rules against the rest of the store: thresholds after 满减, category scopes with
their sub-categories, and the per-day claim limit in the store's own days."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.catalog.categories import create_category
from mallkit.core.catalog.models import Product
from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict
from mallkit.core.orders.models import Order
from mallkit.plugins.coupons import service
from mallkit.plugins.coupons.models import UserCoupon
from mallkit.plugins.promotions import service as promotions
from mallkit.plugins.promotions.models import Promotion
from tests.core.orders.conftest import make_product, skus_of
from tests.plugins.coupons.conftest import DAY, place, preview, template


def grant(merchant, buyer, **fields):
    t = template(merchant, **fields)
    return service.claim(merchant.id, t.id, buyer.user.id)


def coupon_of(adjustments):
    return [a["data"]["user_coupon_id"] for a in adjustments if a["source"] == "coupons"]


@pytest.fixture
def full_reduction(merchant, coupons_on, enable_plugin):
    """满300减50 running, with the promotions plugin on."""
    with enable_plugin("promotions", merchant, {}):
        promotions.create(
            merchant.id,
            {
                "name": "满300减50",
                "type": "full_reduction",
                "rules": {"tiers": [{"threshold": 30000, "amount": 5000}]},
                "starts_at": utcnow() - DAY,
                "ends_at": utcnow() + 7 * DAY,
            },
        )
        yield


def test_the_threshold_is_measured_after_full_reduction(merchant, buyer, address, full_reduction):
    coat = skus_of(make_product(merchant, "外套", prices=(16000,), stocks=(10,)))
    items = [(coat[0], 2)]  # ¥320.00, ¥270.00 after 满300减50
    big = grant(merchant, buyer, name="满300减30", threshold=30000, amount=3000)

    out = preview(buyer, items)
    assert [a["source"] for a in out["applied"]] == ["promotions"]
    assert out["total"] == 32000 - 5000
    assert [(u["data"]["user_coupon_id"], u["reason"]) for u in out["unusable"]] == [
        (big.id, "¥30.00 short")
    ]
    # Chosen by the buyer, it refuses the checkout instead of applying; nothing is written.
    with pytest.raises(Conflict) as exc:
        place(buyer, address, items, merchant, [big.id])
    assert exc.value.code == "coupon_unusable"
    assert Order.select().count() == 0 and UserCoupon.get_by_id(big.id).status == "unused"

    # With no choice, the bigger coupon falling short leaves the smaller usable one to apply.
    small = grant(merchant, buyer, name="满200减20", threshold=20000, amount=2000)
    out = preview(buyer, items)
    assert coupon_of(out["applied"]) == [small.id]
    assert [(u["data"]["user_coupon_id"], u["reason"]) for u in out["unusable"]] == [
        (big.id, "¥30.00 short")
    ]
    order = place(buyer, address, items)
    assert order.total == 32000 - 5000 - 2000
    assert UserCoupon.get_by_id(small.id).status == "used"
    assert UserCoupon.get_by_id(big.id).status == "unused"

    # Once the 满减 stops, the same ¥320.00 reaches the 满300 coupon again.
    Promotion.update(status="stopped").execute()
    out = preview(buyer, items)
    assert coupon_of(out["applied"]) == [big.id] and out["total"] == 32000 - 3000


def test_a_category_coupon_covers_its_sub_categories(merchant, buyer, address, coupons_on):
    clothes = create_category(merchant.id, {"name": "服装"})
    tops = create_category(merchant.id, {"name": "上衣", "parent_id": clothes.id})
    tees = create_category(merchant.id, {"name": "T恤", "parent_id": tops.id})
    cups = create_category(merchant.id, {"name": "杯子"})

    def product(name, category, price):
        p = make_product(merchant, name, prices=(price,), stocks=(10,))
        Product.update(category=category.id).where(Product.id == p.id).execute()
        return skus_of(p)[0]

    tee, scarf, mug = (
        product("T恤", tees, 6000),
        product("围巾", clothes, 4000),
        product("杯子", cups, 3000),
    )
    coupon = grant(
        merchant,
        buyer,
        type="no_threshold",
        threshold=0,
        amount=900,
        scope="categories",
        scope_ids=[clothes.id],
    )
    out = preview(buyer, [(tee, 1), (mug, 1)])
    assert coupon_of(out["applied"]) == [coupon.id]
    assert [line["coupon_discount"] for line in out["lines"]] == [900, 0]
    order = place(buyer, address, [(tee, 1), (mug, 1)], merchant, [coupon.id])
    assert order.total == 9000 - 900

    # The product page's coupon centre lists it for a product two levels down, not elsewhere.
    assert [t.id for t in service.coupon_centre(merchant.id, tee.product_id)] == [
        coupon.template_id
    ]
    assert service.coupon_centre(merchant.id, mug.product_id) == []

    # Scoped to the sub-category: its products, not its parent's own.
    sub = grant(
        merchant,
        buyer,
        name="上衣券",
        type="no_threshold",
        threshold=0,
        amount=500,
        scope="categories",
        scope_ids=[tops.id],
    )
    out = preview(buyer, [(tee, 1)], merchant, [sub.id])
    assert coupon_of(out["applied"]) == [sub.id]
    out = preview(buyer, [(scarf, 1)], merchant, [sub.id])
    assert out["applied"] == []
    assert [u["reason"] for u in out["unusable"]] == ["not for this category"]


def test_the_per_day_limit_counts_the_stores_days(merchant, buyer, monkeypatch):
    Merchant.update(timezone="Asia/Shanghai").where(Merchant.id == merchant.id).execute()
    t = template(merchant, per_user=0, per_day=1)
    day = (utcnow() + 2 * DAY).date()  # inside the template's window

    def claim_at(hour, minute):
        at = dt.datetime.combine(day, dt.time(hour, minute))  # naive UTC, like utcnow()
        monkeypatch.setattr(service, "utcnow", lambda: at)
        return service.claim(merchant.id, t.id, buyer.user.id)

    # 23:30 and 00:30 in Shanghai are 15:30 and 16:30 UTC, one UTC day: two store days.
    late = claim_at(15, 30)
    early = claim_at(16, 30)
    assert (late.claimed_day, early.claimed_day) == (
        day.isoformat(),
        (day + dt.timedelta(days=1)).isoformat(),
    )
    # 01:00 in Shanghai: the store's day already has its one claim.
    with pytest.raises(Conflict) as exc:
        claim_at(17, 0)
    assert exc.value.code == "coupon_daily_limit_reached"
    # 23:30 and 00:30 UTC, two UTC days, are 07:30 and 08:30 of one day in Shanghai.
    day += dt.timedelta(days=1)
    claim_at(23, 30)
    day += dt.timedelta(days=1)
    with pytest.raises(Conflict) as exc:
        claim_at(0, 30)
    assert exc.value.code == "coupon_daily_limit_reached"
    assert UserCoupon.select().count() == 3
