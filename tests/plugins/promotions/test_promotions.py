"""Promotions: every type, scope and window; limits under concurrency; the stacking matrix."""

from __future__ import annotations

from contextlib import ExitStack

import pytest

from mallkit.core.checkout import service as checkout
from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.testing import concurrently, make_account
from mallkit.plugins.coupons import service as coupons
from mallkit.plugins.promotions import service
from mallkit.plugins.promotions.models import Promotion, PromotionUsage
from tests.core.orders.conftest import ADDRESS
from tests.plugins.coupons.conftest import DAY, place, preview, template
from tests.sample_plugins import pricing_rules


def promo(merchant, type, rules, **fields):
    data = {
        "name": type,
        "type": type,
        "rules": rules,
        "starts_at": utcnow() - DAY,
        "ends_at": utcnow() + 7 * DAY,
        **fields,
    }
    return service.create(merchant.id, data)


@pytest.fixture
def promotions_on(app, merchant, enable_plugin):
    with enable_plugin("promotions", merchant, {}):
        yield


def unit_prices(out):
    return [line["sale_unit_price"] for line in out["lines"]]


# shirt[0] ¥60.00, shirt[1] ¥45.00 (category 0); mug ¥33.33 (category 1)


def test_full_reduction_tiers_full_discount_and_hints(
    client, merchant, buyer, shirt, mug, promotions_on
):
    promo(
        merchant,
        "full_reduction",
        {"tiers": [{"threshold": 30000, "amount": 5000}, {"threshold": 50000, "amount": 10000}]},
    )
    out = preview(buyer, [(shirt[0], 2)])
    assert out["total"] == 12000 and out["applied"] == []
    assert [u["reason"] for u in out["unusable"]] == ["add ¥180.00 more to save ¥50.00"]
    out = preview(buyer, [(shirt[0], 5)])
    assert out["total"] == 25000
    assert [u["reason"] for u in out["unusable"]] == ["add ¥200.00 more to save ¥100.00"]
    out = preview(buyer, [(shirt[0], 9)])
    assert out["total"] == 44000 and out["unusable"] == []
    # The cart shows the hint too.
    client.post(
        "/api/v1/cart/lines", json={"sku_id": shirt[0].id, "quantity": 2}, headers=buyer.headers
    )
    cart = client.get("/api/v1/cart", headers=buyer.headers).json
    assert [h["reason"] for h in cart["merchants"][0]["hints"]] == [
        "add ¥180.00 more to save ¥50.00"
    ]
    Promotion.update(status="stopped").execute()
    promo(
        merchant,
        "full_discount",
        {"tiers": [{"threshold": 10000, "rate": 90}]},
        scope="categories",
        scope_ids=[shirt[0].product.category_id],
    )
    out = preview(buyer, [(shirt[0], 2), (mug[0], 1)])
    assert out["discount_total"] == 1200 and out["total"] == 12000 + 3333 - 1200
    assert [ln["promotion_discount"] for ln in out["lines"]] == [1200, 0]


def test_buy_n_get_m_and_bundles_apportioned_to_the_fen(
    merchant, buyer, shirt, mug, address, promotions_on
):
    promo(
        merchant,
        "buy_n_get_m",
        {"buy": 2, "free": 1},
        scope="products",
        scope_ids=[shirt[0].product_id],
    )
    out = preview(buyer, [(shirt[0], 1), (shirt[1], 1)])
    assert out["applied"] == [] and out["unusable"][0]["reason"] == "add 1 more to get 1 free"
    order = place(buyer, address, [(shirt[0], 2), (shirt[1], 1), (mug[0], 1)])
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    assert [ln.promotion_discount for ln in lines] == [3273, 1227, 0]  # the ¥45.00 unit free
    assert order.total == 12000 + 4500 + 3333 - 4500
    assert sum(ln.pay_amount for ln in lines) == order.total
    Promotion.update(status="stopped").execute()
    promo(merchant, "bundle", {"sku_ids": [shirt[0].id, mug[0].id], "price": 8000})
    out = preview(buyer, [(shirt[0], 2), (mug[0], 1), (shirt[1], 1)])
    assert out["discount_total"] == 1333  # one set: 6000 + 3333 → 8000
    assert [ln["promotion_discount"] for ln in out["lines"]] == [1043, 290, 0]
    assert preview(buyer, [(shirt[0], 2)])["applied"] == []


@pytest.mark.parametrize(
    ("scope", "ids", "window", "expected"),
    [
        ("all", [], {}, [3000, 2250, 1666]),
        ("products", ["shirt"], {}, [3000, 2250, 3333]),
        ("skus", ["shirt1"], {}, [6000, 2250, 3333]),
        ("categories", ["mugcat"], {}, [6000, 4500, 1666]),
        ("except", ["mug"], {}, [3000, 2250, 3333]),
        ("all", [], {"starts_at": 1, "ends_at": 2}, [6000, 4500, 3333]),
        ("all", [], {"starts_at": -2, "ends_at": -1}, [6000, 4500, 3333]),
        ("all", [], {"status": "stopped"}, [6000, 4500, 3333]),
    ],
)
def test_discount_scopes_and_windows(
    merchant, buyer, shirt, mug, promotions_on, scope, ids, window, expected
):
    names = {
        "shirt": shirt[0].product_id,
        "shirt1": shirt[1].id,
        "mug": mug[0].product_id,
        "mugcat": mug[0].product.category_id,
    }
    p = promo(merchant, "discount", {"rate": 50}, scope=scope, scope_ids=[names[i] for i in ids])
    changes = {k: (v if k == "status" else utcnow() + v * DAY) for k, v in window.items()}
    if changes:
        Promotion.update(**changes).where(Promotion.id == p.id).execute()
    out = preview(buyer, [(shirt[0], 1), (shirt[1], 1), (mug[0], 1)])
    assert unit_prices(out) == expected


def test_special_price_stock_cap_and_per_user_limit(
    merchant, buyer, other_buyer, shirt, address, promotions_on
):
    p = promo(
        merchant,
        "discount",
        {"price": 3000},
        scope="skus",
        scope_ids=[shirt[0].id],
        stock=3,
        per_user=2,
    )
    assert unit_prices(preview(buyer, [(shirt[0], 3)])) == [6000]  # over the per-user limit
    order = place(buyer, address, [(shirt[0], 2)])
    assert order.total == 6000 and Promotion.get_by_id(p.id).sold == 2
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [6000]  # limit reached
    assert unit_prices(preview(other_buyer, [(shirt[0], 2)])) == [6000]  # stock: 1 left
    assert unit_prices(preview(other_buyer, [(shirt[0], 1)])) == [3000]
    orders.cancel(order, Actor("buyer", buyer.user.id))
    assert Promotion.get_by_id(p.id).sold == 0 and PromotionUsage.select().count() == 0
    assert unit_prices(preview(buyer, [(shirt[0], 2)])) == [3000]


def test_every_pricing_sees_the_promotion_as_it_is_now(merchant, buyer, shirt, promotions_on):
    """The running promotions are read on every pricing (only decoding an unchanged row is
    skipped): an edit, a change made behind the service's back and an end all show at once."""
    p = promo(merchant, "discount", {"price": 3000}, scope="skus", scope_ids=[shirt[0].id])
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [3000]
    service.update(merchant.id, p.id, {"rules": {"price": 2500}})
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [2500]
    Promotion.update(rules={"price": 2000}).where(Promotion.id == p.id).execute()
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [2000]
    Promotion.update(stock=1, sold=1).where(Promotion.id == p.id).execute()
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [6000]  # sold out
    Promotion.update(stock=0, ends_at=utcnow()).where(Promotion.id == p.id).execute()
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [6000]  # ended


def test_the_api_prices_without_reading_promotions_once_warm(
    client, merchant, buyer, shirt, promotions_on
):
    """Through the API too (no request-wide transaction keeps the memo from being kept): a
    second preview reads no promotion row."""
    from mallkit.core.testing import count_queries

    promo(merchant, "discount", {"price": 3000}, scope="skus", scope_ids=[shirt[0].id])
    body = {"items": [{"sku_id": shirt[0].id, "quantity": 1}]}
    first = client.post("/api/v1/checkout/preview", json=body, headers=buyer.headers)
    assert first.status_code == 200, first.json
    with count_queries() as q:
        again = client.post("/api/v1/checkout/preview", json=body, headers=buyer.headers)
    assert again.json["total"] == first.json["total"] == 3000
    assert q.statements and not [sql for sql in q.statements if '"promotion"' in sql]


def test_running_promotions_are_kept_per_process_until_one_changes(
    merchant, buyer, shirt, promotions_on
):
    """The store's running promotions are read once per process and kept with its plugin
    view; any change to a promotion moves the store's plugin version (a trigger, whoever
    writes it), except ``sold`` alone — a flash sale's orders — which is read fresh."""
    from mallkit.core.accounts.merchants.models import Merchant
    from mallkit.core.testing import count_queries

    def version():
        return Merchant.get_by_id(merchant.id).plugin_settings_version

    p = promo(merchant, "discount", {"price": 3000}, scope="skus", scope_ids=[shirt[0].id])
    promo(merchant, "full_reduction", {"tiers": [{"threshold": 100000, "amount": 100}]})
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [3000]
    with count_queries() as q:
        assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [3000]
    assert not [sql for sql in q.statements if '"promotion"' in sql]
    before = version()
    Promotion.update(stock=2).where(Promotion.id == p.id).execute()
    assert version() == before + 1
    Promotion.update(sold=2).where(Promotion.id == p.id).execute()  # sold alone
    assert version() == before + 1
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [6000]  # sold out, read fresh
    Promotion.update(sold=Promotion.sold - 1).where(Promotion.id == p.id).execute()
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [3000]
    Promotion.delete().where(Promotion.id == p.id).execute()
    assert version() == before + 2
    assert unit_prices(preview(buyer, [(shirt[0], 1)])) == [6000]
    # A per-buyer limit moves `sold` too: the product page shows it as it is, cache or not.
    q = promo(merchant, "discount", {"rate": 90}, scope="skus", scope_ids=[shirt[0].id], per_user=5)

    def sold_on_page():
        listed = service.for_product(merchant.id, shirt[0].product_id)
        return [r.sold for r in listed if r.id == q.id]

    assert sold_on_page() == [0]
    Promotion.update(sold=3).where(Promotion.id == q.id).execute()
    assert sold_on_page() == [3]


def test_concurrent_checkouts_never_pass_the_discount_stock(app, merchant, shirt, promotions_on):
    from mallkit.core.accounts.service import save_address

    p = promo(merchant, "discount", {"rate": 50}, stock=3, per_user=1)
    buyers = [make_account(email=f"b{i}@test.mallkit.dev").user for i in range(8)]
    data = [
        {
            "items": [{"sku_id": shirt[0].id, "quantity": 1}],
            "address_id": save_address(u, ADDRESS).id,
        }
        for u in buyers
    ]
    prepared = [checkout.prepare(u, d) for u, d in zip(buyers, data, strict=True)]
    assert all(g.priced.total == 3000 for p_ in prepared for g in p_.groups)
    results = concurrently(
        app, lambda i: checkout.place(buyers[i], data[i], prepared=prepared[i]), 8
    )
    won = [r for r in results if isinstance(r, list)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 3 and {e.code for e in lost} == {"promotion_sold_out"} and len(lost) == 5
    assert Promotion.get_by_id(p.id).sold == 3 and Order.select().count() == 3
    assert PromotionUsage.select().count() == 3


def test_one_buyer_racing_the_per_user_limit(app, merchant, buyer, shirt, address, promotions_on):
    promo(merchant, "discount", {"rate": 50}, per_user=1)
    data = {"items": [{"sku_id": shirt[0].id, "quantity": 1}], "address_id": address.id}
    prepared = [checkout.prepare(buyer.user, data) for _ in range(3)]
    results = concurrently(app, lambda i: checkout.place(buyer.user, data, prepared=prepared[i]), 3)
    assert sum(isinstance(r, list) for r in results) == 1
    assert {r.code for r in results if isinstance(r, Conflict)} == {"promotion_limit_reached"}
    assert Order.select().count() == 1


# -- the stacking matrix ---------------------------------------------------------------------
# Five shirts at ¥60.00 = ¥300.00. D: 9折 time-limited discount; M: member price (¥57.00 or
# as given); F: 满250减30; C: a ¥10.00 no-threshold coupon; A: an exclusive activity price.
MATRIX = [
    ("nothing", {}, True, 30000, []),
    ("discount", {"D": 90}, True, 27000, []),
    ("member", {"M": 5700}, True, 28500, []),
    ("discount beats member", {"D": 90, "M": 5700}, True, 27000, []),
    ("member beats discount", {"D": 90, "M": 5300}, True, 26500, []),
    ("满减", {"F": 1}, True, 27000, ["promotions"]),
    ("discount then 满减", {"D": 90, "F": 1}, True, 24000, ["promotions"]),
    ("discount below the 满减 threshold", {"D": 80, "F": 1}, True, 24000, []),
    ("满减 with a coupon", {"F": 1, "C": 1}, True, 26000, ["promotions", "coupons"]),
    ("满减 without a coupon", {"F": 1, "C": 1}, False, 27000, ["promotions"]),
    ("coupon alone when they do not stack", {"C": 1}, False, 29000, ["coupons"]),
    ("everything", {"D": 90, "F": 1, "C": 1}, True, 23000, ["promotions", "coupons"]),
    ("activity price keeps both off", {"A": 5000, "F": 1, "C": 1}, True, 25000, []),
]


@pytest.mark.parametrize(
    ("parts", "stack", "total", "applied"),
    [m[1:] for m in MATRIX],
    ids=[m[0] for m in MATRIX],
)
def test_stacking_matrix(
    app, merchant, buyer, shirt, address, enable_plugin, parts, stack, total, applied
):
    pricing_rules.reset()
    with ExitStack() as stack_:
        stack_.enter_context(enable_plugin("promotions", merchant, {"stack_with_coupons": stack}))
        stack_.enter_context(enable_plugin("coupons", merchant, {}))
        stack_.enter_context(enable_plugin(pricing_rules, merchant))
        if "D" in parts:
            promo(merchant, "discount", {"rate": parts["D"]})
        if "M" in parts:
            pricing_rules.RULES["prices"].append((shirt[0].id, parts["M"], "member", 0))
        if "A" in parts:
            pricing_rules.RULES["prices"].append((shirt[0].id, parts["A"], "activity", 0, True))
        if "F" in parts:
            promo(merchant, "full_reduction", {"tiers": [{"threshold": 25000, "amount": 3000}]})
        if "C" in parts:
            t = template(merchant, type="no_threshold", threshold=0, amount=1000)
            coupons.claim(merchant.id, t.id, buyer.user.id)
        out = preview(buyer, [(shirt[0], 5)])
        assert out["total"] == total
        assert [a["source"] for a in out["applied"]] == applied
        order = place(buyer, address, [(shirt[0], 5)])
        lines = list(OrderLine.select().where(OrderLine.order == order.id))
        assert order.total == total == sum(ln.pay_amount for ln in lines)
        pricing_rules.reset()


def test_a_merchant_without_the_plugin_sees_no_effect_and_routes_404(
    client, merchant, owner, buyer, shirt, address
):
    p = promo(merchant, "discount", {"rate": 50})
    promo(merchant, "full_reduction", {"tiers": [{"threshold": 100, "amount": 50}]})
    out = preview(buyer, [(shirt[0], 1)])
    assert out["total"] == 6000 and out["unusable"] == []
    assert place(buyer, address, [(shirt[0], 1)]).total == 6000
    assert Promotion.get_by_id(p.id).sold == 0
    for url in (
        f"/api/v1/merchants/{merchant.id}/promotions",
        f"/api/v1/merchants/{merchant.id}/products/{shirt[0].product_id}/promotions",
    ):
        assert client.get(url, headers=owner.headers).status_code == 404
