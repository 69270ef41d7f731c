""" "Recommended for you": co-occurrence first, best sellers after; nothing bought, nothing
out of stock; paginated; a signed-in buyer only."""

from __future__ import annotations

import datetime as dt

from mallkit.core.catalog.models import Sku
from mallkit.core.testing import make_product, pay_order, place_order, skus_of
from mallkit.plugins.analytics.aggregate import aggregate_day
from mallkit.plugins.analytics.models import DailyPair
from tests.plugins.analytics.conftest import post_events, today


def recommendations(client, merchant, account, **params):
    r = client.get(
        f"/api/v1/merchants/{merchant.id}/analytics/recommendations",
        query_string=params,
        headers=account.headers,
    )
    assert r.status_code == 200, r.json
    return r


def test_related_products_come_first_then_best_sellers(
    client, merchant, buyer, other_buyer, analytics
):
    shirt, cup, beans, socks, bag, sold_out = (
        make_product(merchant, name=n, stocks=(20,))
        for n in ("shirt", "cup", "beans", "socks", "bag", "sold out")
    )
    sku = {p.name: skus_of(p)[0] for p in (shirt, cup, beans, socks, bag, sold_out)}
    # Another buyer bought shirt + cup together, twice shirt + socks; bag sold 5 on its own.
    pay_order(place_order(other_buyer, [(sku["shirt"], 1), (sku["cup"], 1)]))
    pay_order(place_order(other_buyer, [(sku["shirt"], 1), (sku["socks"], 1)]))
    pay_order(
        place_order(other_buyer, [(sku["shirt"], 1), (sku["socks"], 1), (sku["sold out"], 1)])
    )
    pay_order(place_order(other_buyer, [(sku["bag"], 5)]))
    Sku.update(stock=0).where(Sku.id == sku["sold out"].id).execute()
    # Our buyer viewed the shirt and bought beans.
    post_events(
        client, merchant, [{"kind": "product_view", "product_id": shirt.id}], buyer.headers, None
    )
    pay_order(place_order(buyer, [(sku["beans"], 1)]))
    aggregate_day(merchant.id, today())

    items = recommendations(client, merchant, buyer).json
    assert [(i["name"], i["reason"]) for i in items] == [
        ("socks", "related"),  # with the shirt twice (3 + 3)
        ("cup", "related"),  # once (3)
        ("bag", "best_seller"),  # 5 units
        ("shirt", "best_seller"),  # viewed, not bought: still recommended
    ]
    page = recommendations(client, merchant, buyer, page=2, page_size=2)
    assert [i["name"] for i in page.json] == ["bag", "shirt"]
    assert '"total": 4' in page.headers["X-Pagination"]


def test_a_buyer_with_no_history_gets_best_sellers(client, merchant, buyer, other_buyer, analytics):
    a, b = (make_product(merchant, name=n) for n in "ab")
    pay_order(place_order(other_buyer, [(skus_of(b)[0], 3)]))
    aggregate_day(merchant.id, today())
    items = recommendations(client, merchant, buyer).json
    assert [(i["name"], i["reason"]) for i in items] == [("b", "best_seller"), ("a", "popular")]


def test_recommendations_need_a_signed_in_buyer(client, merchant, analytics):
    r = client.get(f"/api/v1/merchants/{merchant.id}/analytics/recommendations")
    assert r.status_code == 401


def test_views_at_the_same_instant_keep_the_last_recorded_in_the_history(
    client, merchant, buyer, analytics
):
    # 21 products viewed at one instant: the history keeps 20, and which one drops out must
    # not depend on the database's whim — the view recorded last counts as the latest.
    viewed = [make_product(merchant, name=f"v{i:02}") for i in range(21)]
    first, last = (make_product(merchant, name=n) for n in ("with first", "with last"))
    at = dt.datetime.utcnow().replace(microsecond=0) - dt.timedelta(minutes=1)
    events = [{"kind": "product_view", "product_id": p.id, "at": at} for p in viewed]
    assert post_events(client, merchant, events, buyer.headers, None).status_code == 202
    DailyPair.insert_many(
        [
            {"merchant_id": merchant.id, "day": today(), "product_id": p.id, "other_id": o.id}
            | {"weight": 1}
            for p, o in ((viewed[0], first), (viewed[-1], last))
        ]
    ).execute()

    answer = recommendations(client, merchant, buyer, page_size=50).json
    items = {i["name"]: i["reason"] for i in answer}
    assert items["with last"] == "related"
    assert items["with first"] == "popular"  # viewed[0] recorded first: out of the 20
