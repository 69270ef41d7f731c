"""The pricing pipeline: the fixed order, stacking, and exact apportionment."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mallkit.core.checkout import pricing
from mallkit.core.errors import Conflict
from tests.sample_plugins import pricing_rules


@pytest.fixture
def rules(app, merchant, enable_plugin):
    pricing_rules.reset()
    with enable_plugin(pricing_rules, merchant):
        yield pricing_rules.RULES


def lines(*specs):
    """``(sku_id, quantity, unit_price)`` → pricing input lines."""
    return [
        {"key": f"k{sku}", "sku_id": sku, "product_id": sku, "quantity": q, "unit_price": p}
        for sku, q, p in specs
    ]


P = ("prices",)

CASES = [
    # name, rules, lines, expected (per-line pay amounts, total, applied sources)
    ("catalog price", {}, [(1, 2, 1000)], [2000], 2000, []),
    ("member beats catalog", {"prices": [(1, 900, "member", 0)]}, [(1, 2, 1000)], [1800], 1800, []),
    (
        "better of member and discount, never both",
        {"prices": [(1, 900, "member", 0), (1, 850, "discount", 0)]},
        [(1, 1, 1000)],
        [850],
        850,
        [],
    ),
    (
        "activity price outranks a cheaper member price",
        {"prices": [(1, 950, "activity", 0), (1, 800, "member", 0)]},
        [(1, 1, 1000)],
        [950],
        950,
        [],
    ),
    (
        "a candidate above the catalog price is ignored",
        {"prices": [(1, 1200, "member", 0)]},
        [(1, 1, 1000)],
        [1000],
        1000,
        [],
    ),
    (
        "满减 apportioned by line amount",
        {
            "adjustments": [
                {"source": "full-300", "kind": "promotion", "amount": -100, "threshold": 3000}
            ]
        },
        [(1, 1, 1000), (2, 1, 2000), (3, 1, 1000)],
        [975, 1950, 975],
        3900,
        ["full-300"],
    ),
    (
        "满减 under the threshold is unusable with the reason",
        {
            "adjustments": [
                {"source": "full-300", "kind": "promotion", "amount": -100, "threshold": 30000}
            ]
        },
        [(1, 1, 1000)],
        [1000],
        1000,
        [],
    ),
    (
        "promotion then coupon, both apply",
        {
            "adjustments": [
                {"source": "coupon-5", "kind": "coupon", "amount": -500},
                {"source": "full-10", "kind": "promotion", "amount": -1000},
            ]
        },
        [(1, 1, 3000), (2, 1, 1000)],
        [1875, 625],
        2500,
        ["full-10", "coupon-5"],
    ),
    (
        "same stacking group: the first in order wins",
        {
            "adjustments": [
                {"source": "coupon-a", "kind": "coupon", "amount": -300, "stacking": "one-coupon"},
                {"source": "coupon-b", "kind": "coupon", "amount": -500, "stacking": "one-coupon"},
            ]
        },
        [(1, 1, 1000)],
        [500],
        500,
        ["coupon-b"],
    ),
    (
        "priority beats size inside a kind",
        {
            "adjustments": [
                {
                    "source": "coupon-a",
                    "kind": "coupon",
                    "amount": -300,
                    "stacking": "one",
                    "priority": 5,
                },
                {"source": "coupon-b", "kind": "coupon", "amount": -500, "stacking": "one"},
            ]
        },
        [(1, 1, 1000)],
        [700],
        700,
        ["coupon-a"],
    ),
    (
        "scoped to some lines",
        {"adjustments": [{"source": "cat", "kind": "coupon", "amount": -99, "sku_ids": [2]}]},
        [(1, 1, 1000), (2, 1, 1000)],
        [1000, 901],
        1901,
        ["cat"],
    ),
    (
        "a discount never takes the order to zero",
        {"adjustments": [{"source": "huge", "kind": "coupon", "amount": -999999}]},
        [(1, 1, 1000), (2, 2, 10)],
        [1, 0],
        1,
        ["huge"],
    ),
    (
        "an exclusive activity price keeps coupons and promotions off its line",
        {
            "prices": [(1, 600, "activity", 0, True)],
            "adjustments": [
                {"source": "coupon", "kind": "coupon", "amount": -100},
                {"source": "points", "kind": "points", "amount": -10},
            ],
        },
        [(1, 1, 1000), (2, 1, 1000)],
        [596, 894],
        1490,
        ["coupon", "points"],
    ),
    (
        "points after coupon",
        {
            "adjustments": [
                {"source": "points", "kind": "points", "amount": -200},
                {"source": "coupon", "kind": "coupon", "amount": -300},
            ]
        },
        [(1, 1, 1000)],
        [500],
        500,
        ["coupon", "points"],
    ),
    (
        "freight: cheapest deliverable quote, apportioned",
        {
            "quotes": [
                {"source": "t", "code": "express", "label": "Express", "amount": 2000},
                {"source": "t", "code": "std", "label": "Std", "amount": 1001},
                {"source": "t", "code": "free", "label": "Free", "amount": 0, "deliverable": False},
            ]
        },
        [(1, 1, 1000), (2, 1, 2000)],
        [1334, 2667],
        4001,
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "setup", "spec", "pays", "total", "applied"), CASES, ids=[c[0] for c in CASES]
)
def test_pricing_order_and_stacking(
    rules, merchant, buyer, name, setup, spec, pays, total, applied
):
    rules.update(setup)
    result = pricing.price(merchant, buyer.user, lines(*spec))
    assert [ln.pay_amount for ln in result.lines] == pays
    assert result.total == total == sum(pays)
    assert [a.source for a in result.applied] == applied
    assert result.subtotal - result.discount_total + result.freight == result.total


def test_unusable_offers_come_with_reasons(rules, merchant, buyer):
    rules["adjustments"] = [
        {"source": "full-300", "kind": "promotion", "amount": -100, "threshold": 30000},
        {"source": "a", "kind": "coupon", "amount": -10, "stacking": "g"},
        {"source": "b", "kind": "coupon", "amount": -20, "stacking": "g"},
    ]
    result = pricing.price(merchant, buyer.user, lines((1, 1, 1000)))
    reasons = {a.source: a.reason for a in result.unusable}
    assert reasons == {"full-300": "¥290.00 short", "a": "does not combine with b"}


def test_a_threshold_is_measured_after_the_adjustments_of_earlier_kinds(rules, merchant, buyer):
    # ¥320.00: 满300减50 leaves ¥270.00, short of a 满300 coupon; a 满250 one still applies.
    rules["adjustments"] = [
        {"source": "full-300", "kind": "promotion", "amount": -5000, "core_threshold": 30000},
        {
            "source": "c300",
            "kind": "coupon",
            "amount": -3000,
            "stacking": "c",
            "core_threshold": 30000,
        },
        {
            "source": "c250",
            "kind": "coupon",
            "amount": -1000,
            "stacking": "c",
            "core_threshold": 25000,
        },
    ]
    result = pricing.price(merchant, buyer.user, lines((1, 1, 20000), (2, 1, 12000)))
    assert [a.source for a in result.applied] == ["full-300", "c250"]
    assert {a.source: a.reason for a in result.unusable} == {"c300": "¥30.00 short"}
    assert result.total == 32000 - 5000 - 1000
    # Without the 满减 the bigger coupon of the group wins.
    rules["adjustments"] = rules["adjustments"][1:]
    result = pricing.price(merchant, buyer.user, lines((1, 1, 20000), (2, 1, 12000)))
    assert [a.source for a in result.applied] == ["c300"]
    assert {a.source: a.reason for a in result.unusable} == {"c250": "does not combine with c300"}
    assert result.total == 32000 - 3000


def test_a_threshold_counts_only_its_lines_and_not_the_same_kind(rules, merchant, buyer):
    # Two coupons that stack: each threshold is measured before any coupon; only the lines
    # of the adjustment count, and an exclusive activity-priced line never counts.
    rules["prices"] = [(3, 5000, "activity", 0, True)]
    rules["adjustments"] = [
        {"source": "a", "kind": "coupon", "amount": -2000, "core_threshold": 10000},
        {"source": "b", "kind": "coupon", "amount": -1000, "core_threshold": 10000},
        {
            "source": "only-2",
            "kind": "coupon",
            "amount": -500,
            "sku_ids": [2],
            "core_threshold": 6001,
        },
        {
            "source": "with-3",
            "kind": "coupon",
            "amount": -500,
            "sku_ids": [2, 3],
            "core_threshold": 6001,
        },
    ]
    result = pricing.price(merchant, buyer.user, lines((1, 1, 4000), (2, 1, 6000), (3, 1, 9000)))
    assert [a.source for a in result.applied] == ["a", "b"]
    assert {a.source: a.reason for a in result.unusable} == {
        "only-2": "¥0.01 short",
        "with-3": "¥0.01 short",
    }
    assert result.total == 4000 + 6000 + 5000 - 3000


def test_an_unknown_shipping_choice_is_refused(rules, merchant, buyer):
    rules["quotes"] = [{"source": "t", "code": "std", "label": "Std", "amount": 500}]
    with pytest.raises(Conflict) as exc:
        pricing.price(merchant, buyer.user, lines((1, 1, 1000)), {"shipping_code": "rocket"})
    assert exc.value.code == "shipping_unavailable"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    spec=st.lists(st.tuples(st.integers(1, 20), st.integers(0, 100_000)), min_size=1, max_size=12),
    promo=st.integers(0, 50_000),
    coupon=st.integers(0, 50_000),
    points=st.integers(0, 5_000),
    freight=st.integers(0, 3_000),
)
def test_line_shares_always_add_up_to_the_total(
    rules, merchant, buyer, spec, promo, coupon, points, freight
):
    rules.update(
        {
            "prices": [],
            "adjustments": [
                a
                for a in (
                    {"source": "p", "kind": "promotion", "amount": -promo},
                    {"source": "c", "kind": "coupon", "amount": -coupon},
                    {"source": "pt", "kind": "points", "amount": -points},
                )
                if a["amount"]
            ],
            "quotes": [{"source": "t", "code": "std", "label": "Std", "amount": freight}],
        }
    )
    result = pricing.price(
        merchant, buyer.user, lines(*[(i + 1, q, p) for i, (q, p) in enumerate(spec)])
    )
    assert sum(ln.pay_amount for ln in result.lines) == result.total
    assert result.total == result.subtotal - result.discount_total + freight
    assert all(ln.amount - ln.discount >= 0 for ln in result.lines)
    if result.subtotal > 0:
        assert result.subtotal - result.discount_total >= 1
    assert sum(ln.freight_share for ln in result.lines) == freight


def test_free_delivery_is_the_default_plugins_and_only_when_nobody_quotes(rules, merchant, buyer):
    free = pricing.price(merchant, buyer.user, lines((1, 1, 1000)))
    assert [(q.source, q.code, q.amount) for q in free.shipping_options] == [
        ("core", "standard", 0)
    ]
    rules["quotes"] = [{"source": "sf", "code": "sf", "label": "顺丰", "amount": 1200}]
    quoted = pricing.price(merchant, buyer.user, lines((1, 1, 1000)))
    assert [q.code for q in quoted.shipping_options] == ["sf"] and quoted.total == 2200


def test_without_checkout_defaults_nobody_quoting_means_no_delivery(make_app):
    from mallkit.core.testing import make_merchant

    app = make_app(PLUGINS_DISABLED=["checkout_defaults"])
    with app.app_context():
        bare = pricing.price(make_merchant("无运费"), None, lines((1, 1, 1000)))
    assert bare.shipping_options == [] and bare.shipping is None and bare.total == 1000
