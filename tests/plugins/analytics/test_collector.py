"""The event collector: validation, identity, rate limit, share attribution, server events."""

from __future__ import annotations

import datetime as dt

from mallkit.core.db import utcnow
from mallkit.core.shares import service as shares
from mallkit.core.testing import make_product, pay_order, place_order, skus_of
from mallkit.plugins.ads.models import Creative
from mallkit.plugins.analytics.aggregate import aggregate_day
from mallkit.plugins.analytics.models import Event
from tests.plugins.analytics.conftest import local, post_events, today


def test_a_storefront_batch_is_stored_with_the_store_day_and_no_more_than_ids(
    client, merchant, analytics
):
    product = make_product(merchant)
    at = local(today() - dt.timedelta(days=1), 23, 30)
    r = post_events(
        client,
        merchant,
        [
            {"kind": "page_view", "source": "search", "at": at},
            {"kind": "product_view", "product_id": product.id, "utm_campaign": "双11"},
        ],
    )
    assert r.status_code == 202, r.json
    assert r.json == {"accepted": 2}
    rows = list(Event.select().order_by(Event.id))
    assert [(e.kind, e.visitor, e.user_id) for e in rows] == [
        ("page_view", "ddevice-0001", None),
        ("product_view", "ddevice-0001", None),
    ]
    assert rows[0].day == today() - dt.timedelta(days=1)  # 23:30 store time, 15:30 UTC
    assert rows[0].source == "search" and rows[1].utm_campaign == "双11"


def test_a_signed_in_buyer_is_known_by_the_token_not_the_body(client, merchant, buyer, analytics):
    r = post_events(client, merchant, [{"kind": "search", "query": "连衣裙"}], buyer.headers, None)
    assert r.status_code == 202
    event = Event.get()
    assert (event.visitor, event.user_id, event.query) == (
        f"u{buyer.user.id}",
        buyer.user.id,
        "连衣裙",
    )


def test_bad_batches_are_refused_whole(client, merchant, other_merchant, analytics):
    foreign = make_product(other_merchant)
    product = make_product(merchant)
    cases = [
        ([{"kind": "page_view"}], None, "device_id_required"),
        ([{"kind": "order_paid"}], "device-0001", "validation_error"),
        ([{"kind": "ad_click"}], "device-0001", "invalid_events"),
        (
            [
                {"kind": "page_view"},
                {"kind": "page_view", "at": dt.datetime.utcnow() - dt.timedelta(days=8)},
            ],
            "device-0001",
            "invalid_events",
        ),
        ([{"kind": "product_view", "product_id": foreign.id}], "device-0001", "unknown_products"),
        ([{"kind": "page_view"}] * 51, "device-0001", "validation_error"),
        ([{"kind": "page_view"}], "x", "validation_error"),
    ]
    for events, device, code in cases:
        r = post_events(client, merchant, [dict(e) for e in events], device_id=device)
        assert r.status_code == 422 and r.json["code"] == code, (events, r.json)
    assert Event.select().count() == 0
    assert (
        post_events(
            client, merchant, [{"kind": "product_view", "product_id": product.id}]
        ).status_code
        == 202
    )


def test_ad_events_are_taken_only_for_the_stores_own_ads(
    client, merchant, other_merchant, owner, analytics, enable_plugin
):
    def ad(store):
        return Creative.create(
            merchant_id=store.id,
            placement="home_banner",
            title="ad",
            image_url="https://img.example/ad.png",
            link_type="url",
            link_target="https://example.com/",
            starts_at=utcnow(),
        )

    mine, theirs = ad(merchant), ad(other_merchant)
    # A store without the ads plugin has no ads to count.
    r = post_events(client, merchant, [{"kind": "ad_impression", "ad_id": mine.id}])
    assert r.status_code == 422 and r.json["code"] == "unknown_ads", r.json
    with enable_plugin("ads", merchant), enable_plugin("ads", other_merchant):
        # Another store's ad, alone or beside one of ours, on any event: the whole batch is
        # refused, as for another store's products.
        for events in (
            [{"kind": "ad_impression", "ad_id": theirs.id}],
            [{"kind": "ad_impression", "ad_id": mine.id}, {"kind": "ad_click", "ad_id": theirs.id}],
            [{"kind": "page_view", "ad_id": theirs.id}],
            [{"kind": "ad_click", "ad_id": 2**31 - 1}],
        ):
            r = post_events(client, merchant, events)
            assert r.status_code == 422 and r.json["code"] == "unknown_ads", (events, r.json)
            assert str(events[-1]["ad_id"]) in r.json["errors"]["events"][0]
        assert Event.select().count() == 0

        track = {"ad_id": mine.id, "placement": "home_banner"}
        ours = [{"kind": "ad_impression", **track}, {"kind": "ad_click", **track}]
        assert post_events(client, merchant, ours).status_code == 202
        aggregate_day(merchant.id, today())
        r = client.get(
            f"/api/v1/merchants/{merchant.id}/analytics/traffic",
            query_string={"start": today().isoformat(), "end": today().isoformat()},
            headers=owner.headers,
        )
        assert r.json["sections"]["ads"] == [
            {
                "creative_id": mine.id,
                "placement": "home_banner",
                "impressions": 1,
                "clicks": 1,
                "ctr": 1.0,
            }
        ]


def test_the_collector_is_rate_limited_per_address(client, merchant, enable_plugin):
    with enable_plugin("analytics", merchant, {"events_per_minute": 10}):
        assert post_events(client, merchant, [{"kind": "page_view"}] * 6).status_code == 202
        r = post_events(client, merchant, [{"kind": "page_view"}] * 6)
        assert r.status_code == 429 and r.json["code"] == "events_rate_limited"
    assert Event.select().count() == 6


def test_a_store_without_the_plugin_has_no_collector(client, merchant):
    assert post_events(client, merchant, [{"kind": "page_view"}]).status_code == 404


def test_a_share_code_of_the_store_makes_the_source_share(client, merchant, buyer, analytics):
    product = make_product(merchant)
    link = shares.create_share(
        buyer.user.id, merchant.id, "product", product.id, utm={"utm_campaign": "春季"}
    )
    r = post_events(client, merchant, [{"kind": "page_view", "share_code": link.code}])
    assert r.status_code == 202
    event = Event.get()
    assert (event.source, event.utm_campaign, event.share_code) == ("share", "春季", link.code)
    post_events(client, merchant, [{"kind": "page_view", "share_code": "nosuchcode"}])
    assert Event.select().where(Event.share_code == "").get().source == "direct"


def test_orders_placed_and_paid_are_recorded_server_side(merchant, buyer, analytics):
    (sku,) = skus_of(make_product(merchant, prices=(5000,)))
    order = pay_order(place_order(buyer, [(sku, 2)]))
    rows = [(e.kind, e.user_id, e.order_id, e.amount) for e in Event.select().order_by(Event.id)]
    assert rows == [
        ("order_placed", buyer.user.id, order.id, order.total),
        ("order_paid", buyer.user.id, order.id, order.paid_amount),
    ]


def test_opening_a_share_link_is_a_share_visit_event(client, merchant, buyer, analytics):
    product = make_product(merchant)
    link = shares.create_share(
        buyer.user.id, merchant.id, "product", product.id, utm={"utm_campaign": "春季"}
    )
    r = client.post(f"/api/v1/shares/{link.code}/visits", json={"device_id": "phone-0001"})
    assert r.status_code < 300, r.json
    event = Event.get(Event.kind == "share_visit")
    assert (event.visitor, event.source, event.share_code) == ("dphone-0001", "share", link.code)
