"""Daily aggregation: store-time day cuts, the funnel, sales, products, campaigns, pairs,
customers; idempotent re-runs; late events and later refunds re-aggregating their day."""

from __future__ import annotations

import datetime as dt

from mallkit.core.catalog.models import Sku
from mallkit.core.db import utcnow
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.testing import (
    make_product,
    pay_order,
    place_order,
    refund_order,
    run_tasks,
    skus_of,
)
from mallkit.plugins.analytics.aggregate import aggregate_day, purge_events
from mallkit.plugins.analytics.collector import local_day
from mallkit.plugins.analytics.models import (
    AggregatedDay,
    Customer,
    DailyPair,
    DailyProduct,
    DailySales,
    DailyTraffic,
    Event,
)
from tests.plugins.analytics.conftest import TZ, local, move_order, post_events, today


def rows(model, merchant, day, *fields):
    query = model.select().where((model.merchant_id == merchant.id) & (model.day == day))
    return sorted(tuple(getattr(r, f) for f in fields) for r in query)


def test_days_are_cut_at_midnight_store_time_not_utc(client, merchant, analytics):
    day = today() - dt.timedelta(days=2)
    # 23:30 and 00:30 store time are 15:30 and 16:30 UTC of one UTC date.
    post_events(client, merchant, [{"kind": "page_view", "at": local(day, 23, 30)}])
    post_events(
        client,
        merchant,
        [{"kind": "page_view", "at": local(day + dt.timedelta(days=1), 0, 30)}],
        device_id="device-0002",
    )
    post_events(
        client, merchant, [{"kind": "page_view", "at": local(day, 0, 10)}], device_id="device-0003"
    )
    aggregate_day(merchant.id, day)
    aggregate_day(merchant.id, day + dt.timedelta(days=1))
    assert rows(DailyTraffic, merchant, day, "source", "visitors", "page_views") == [
        ("direct", 2, 2)
    ]
    assert rows(DailyTraffic, merchant, day + dt.timedelta(days=1), "visitors") == [(1,)]


def funnel_day(client, merchant, buyer):
    """Today: an anonymous visitor from search who only looks; the buyer, from an ad of the
    双11 campaign, views, carts, checks out, places and pays 2 × ¥50 (cost ¥30 a unit)."""
    product = make_product(merchant, prices=(5000,), stocks=(10,))
    (sku,) = skus_of(product)
    Sku.update(cost=3000).where(Sku.id == sku.id).execute()
    post_events(client, merchant, [{"kind": "page_view", "source": "search"}] * 2)
    post_events(
        client,
        merchant,
        [
            {
                "kind": "product_view",
                "product_id": product.id,
                "source": "ad",
                "utm_campaign": "双11",
            },
            {"kind": "add_to_cart", "product_id": product.id},
            {"kind": "add_to_cart", "product_id": product.id},
            {"kind": "checkout_started"},
        ],
        buyer.headers,
        None,
    )
    order = pay_order(place_order(buyer, [(sku, 2)]))
    return product, sku, order


def test_the_funnel_counts_each_visitor_once_per_step_under_their_first_source(
    client, merchant, buyer, analytics
):
    product, sku, order = funnel_day(client, merchant, buyer)
    aggregate_day(merchant.id, today())
    fields = (
        "source",
        "campaign",
        "visitors",
        "page_views",
        "product_views",
        "carts",
        "checkouts",
        "orders",
        "paid",
        "paid_amount",
    )
    assert rows(DailyTraffic, merchant, today(), *fields) == [
        ("ad", "双11", 1, 0, 1, 1, 1, 1, 1, order.paid_amount),
        ("search", "", 1, 2, 0, 0, 0, 0, 0, 0),
    ]
    assert rows(
        DailySales,
        merchant,
        today(),
        "region",
        "orders",
        "paid_amount",
        "units",
        "buyers",
        "new_buyers",
    ) == [("上海市", 1, order.paid_amount, 2, 1, 1)]
    assert rows(
        DailyProduct,
        merchant,
        today(),
        "product_id",
        "views",
        "visitors",
        "carts",
        "units",
        "revenue",
        "cost",
        "stock",
    ) == [(product.id, 1, 1, 2, 2, order.paid_amount - order.freight, 6000, 8)]
    customer = Customer.get(Customer.user_id == buyer.user.id)
    assert (customer.orders, customer.spend, customer.first_paid_day, customer.region) == (
        1,
        order.paid_amount,
        today(),
        "上海市",
    )


def test_re_aggregating_a_day_gives_the_same_rows(client, merchant, buyer, analytics):
    funnel_day(client, merchant, buyer)
    tables = (DailyTraffic, DailySales, DailyProduct, DailyPair, Customer)

    def snapshot():
        return {
            m: sorted(
                tuple(v for k, v in r.items() if k not in ("id", "updated_at"))
                for r in m.select().dicts()
            )
            for m in tables
        }

    aggregate_day(merchant.id, today())
    first = snapshot()
    aggregate_day(merchant.id, today())
    aggregate_day(merchant.id, today())
    assert snapshot() == first
    assert AggregatedDay.select().count() == 1


def test_a_refund_later_re_aggregates_the_day_it_was_paid(client, merchant, buyer, analytics):
    product, sku, order = funnel_day(client, merchant, buyer)
    day = today() - dt.timedelta(days=3)
    move_order(order, local(day, 10), local(day, 10, 5))
    aggregate_day(merchant.id, day)
    assert rows(DailyProduct, merchant, day, "units", "refunded_units", "cost") == [(2, 0, 6000)]
    (line,) = order.lines
    refund_order(order, {line: 1})
    days = [
        t.payload["day"]
        for t in ScheduledTask.select().where(ScheduledTask.kind == "analytics.aggregate_day")
    ]
    assert sorted(days) == sorted([day.isoformat(), today().isoformat()])
    run_tasks(at=dt.datetime.utcnow() + dt.timedelta(minutes=11))
    ((units, refunded, refunds, cost),) = rows(
        DailyProduct, merchant, day, "units", "refunded_units", "refunds", "cost"
    )
    assert (units, refunded, cost) == (2, 1, 3000) and refunds > 0
    assert rows(DailySales, merchant, day, "refunded_amount") == [(refunds,)]


def test_cost_is_the_cost_price_when_sold_whatever_the_sku_costs_now(
    client, merchant, buyer, analytics
):
    product, sku, order = funnel_day(client, merchant, buyer)  # 2 units at a cost of ¥30
    aggregate_day(merchant.id, today())
    fields = ("units", "cost", "cost_unknown_units")
    assert rows(DailyProduct, merchant, today(), *fields) == [(2, 6000, 0)]
    Sku.update(cost=4500).where(Sku.id == sku.id).execute()
    aggregate_day(merchant.id, today())
    assert rows(DailyProduct, merchant, today(), *fields) == [(2, 6000, 0)]


def test_units_sold_without_a_cost_price_count_no_cost_and_are_flagged(
    client, merchant, buyer, analytics
):
    """A SKU without a cost price when sold: its units cost 0 and are counted as of unknown
    cost — also after the merchant gives the SKU a cost price."""
    product = make_product(merchant, prices=(5000,), stocks=(10,))
    (sku,) = skus_of(product)
    order = pay_order(place_order(buyer, [(sku, 3)]))
    (line,) = order.lines
    refund_order(order, {line: 1})
    aggregate_day(merchant.id, today())
    fields = ("units", "refunded_units", "cost", "cost_unknown_units")
    assert rows(DailyProduct, merchant, today(), *fields) == [(3, 1, 0, 2)]
    Sku.update(cost=3000).where(Sku.id == sku.id).execute()
    aggregate_day(merchant.id, today())
    assert rows(DailyProduct, merchant, today(), *fields) == [(3, 1, 0, 2)]


def test_a_late_event_schedules_its_day_once_and_lands_in_it(client, merchant, analytics):
    day = today() - dt.timedelta(days=3)
    post_events(client, merchant, [{"kind": "page_view", "at": local(day, 12)}])
    aggregate_day(merchant.id, day)
    assert rows(DailyTraffic, merchant, day, "page_views") == [(1,)]
    for device in ("device-0002", "device-0003"):
        post_events(
            client, merchant, [{"kind": "page_view", "at": local(day, 13)}], device_id=device
        )
    pending = ScheduledTask.select().where(
        (ScheduledTask.kind == "analytics.aggregate_day") & (ScheduledTask.status == "pending")
    )
    assert sum(1 for t in pending if t.payload["day"] == day.isoformat()) == 1
    run_tasks(at=dt.datetime.utcnow() + dt.timedelta(minutes=11))
    assert rows(DailyTraffic, merchant, day, "visitors", "page_views") == [(3, 3)]


def test_an_earlier_day_never_aggregated_waits_for_the_nightly_run(client, merchant, analytics):
    day = today() - dt.timedelta(days=2)
    post_events(client, merchant, [{"kind": "page_view", "at": local(day, 12)}])
    days = [
        t.payload["day"]
        for t in ScheduledTask.select().where(ScheduledTask.kind == "analytics.aggregate_day")
    ]
    assert day.isoformat() not in days


def test_pairs_come_from_orders_and_views(client, merchant, buyer, other_buyer, analytics):
    a, b, c = (make_product(merchant, name=n) for n in "abc")
    (sa,), (sb,) = skus_of(a), skus_of(b)
    place_order(buyer, [(sa, 1), (sb, 1)])
    post_events(client, merchant, [{"kind": "product_view", "product_id": p.id} for p in (a, c, a)])
    aggregate_day(merchant.id, today())
    assert rows(DailyPair, merchant, today(), "product_id", "other_id", "weight") == sorted(
        [(a.id, b.id, 3), (b.id, a.id, 3), (a.id, c.id, 1), (c.id, a.id, 1)]
    )


def test_raw_events_past_retention_are_purged_aggregates_stay(client, merchant, enable_plugin):
    with enable_plugin("analytics", merchant, {"raw_retention_days": 7}):
        # The oldest event the collector takes (7 days ago, whatever the time of day now),
        # purged once its day is more than 7 days back.
        at = utcnow() - dt.timedelta(days=7, minutes=-1)
        old = local_day(TZ, at)
        r = post_events(client, merchant, [{"kind": "page_view", "at": at}])
        assert r.status_code == 202, r.json
        post_events(client, merchant, [{"kind": "page_view"}])
        aggregate_day(merchant.id, old)
        assert purge_events(merchant.id, old + dt.timedelta(days=7)) == 0
        assert purge_events(merchant.id, old + dt.timedelta(days=8)) == 1
        assert Event.select().count() == 1
        assert rows(DailyTraffic, merchant, old, "visitors") == [(1,)]


def test_runs_of_one_day_racing_each_other_leave_one_set_of_rows(
    app, client, merchant, buyer, analytics
):
    from mallkit.core.testing import concurrently

    funnel_day(client, merchant, buyer)
    aggregate_day(merchant.id, today())
    expected = rows(DailyTraffic, merchant, today(), "source", "visitors", "paid_amount")
    results = concurrently(app, lambda i: aggregate_day(merchant.id, today()), 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert rows(DailyTraffic, merchant, today(), "source", "visitors", "paid_amount") == expected
    assert AggregatedDay.select().count() == 1
