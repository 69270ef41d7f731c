"""Coupon rules against the rest of the store: thresholds after 满减."""

from __future__ import annotations

import pytest

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
