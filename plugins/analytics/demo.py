"""Demo data: a month of storefront traffic for the demo store, aggregated day by day, so
every report and chart has something to show. Only ``mallkit demo`` calls it; once the store
has aggregated days older than yesterday it adds nothing.

Visitors come from a seeded random (always the same month): 30–60 devices a day, from search,
shares, an ad campaign, referrals or directly, who look at pages and products and some of
whom cart and start checkout. The demo store's orders — the core demo backdates a month of
them — keep their server-side events, moved to the days the orders were placed and paid.
"""

from __future__ import annotations

import datetime as dt
import random

from mallkit.core.plugin_api import Order, Product, merchant_plugins, transaction, utcnow
from mallkit.plugins.analytics import aggregate, collector
from mallkit.plugins.analytics.models import AggregatedDay, Event

DAYS = 30
SOURCES = [("direct", ""), ("search", ""), ("share", "朋友圈"), ("ad", "双11"), ("referral", "")]
WEIGHTS = [40, 25, 10, 15, 10]


def attach(app, merchant, base_url) -> list[str]:
    if not merchant_plugins(merchant.id).is_enabled(collector.PLUGIN):
        return []
    tz = collector.timezone_of(merchant.id)
    today = collector.local_day(tz, utcnow())
    line = (
        f"analytics       {base_url}/api/v1/merchants/{merchant.id}/analytics/dashboard "
        "(staff; a month of traffic and sales, charts under .../analytics/charts/)"
    )
    seeded = AggregatedDay.select().where(
        (AggregatedDay.merchant_id == merchant.id)
        & (AggregatedDay.day < today - dt.timedelta(days=1))
    )
    if seeded.exists():
        return [line]
    products = [p.id for p in Product.select(Product.id).where(Product.merchant == merchant.id)]
    if not products:
        return []
    rng = random.Random(16)
    with transaction():
        for back in range(DAYS, -1, -1):
            day = today - dt.timedelta(days=back)
            lo, _ = collector.day_bounds(tz, day)
            rows = []
            for n in range(rng.randint(30, 60)):
                rows += _visit(rng, merchant.id, day, lo, f"ddemo-{day.isoformat()}-{n}", products)
            Event.insert_many(rows).execute()
        _move_order_events(merchant.id, tz)
    for back in range(DAYS, -1, -1):
        aggregate.aggregate_day(merchant.id, today - dt.timedelta(days=back))
    return [line]


def _visit(rng, merchant_id, day, lo, visitor, products) -> list[dict]:
    """One demo visitor's events of a day: a page, a search from search engines, one to three
    products, sometimes a cart and a checkout."""
    source, campaign = rng.choices(SOURCES, WEIGHTS)[0]
    at = lo + dt.timedelta(minutes=rng.randint(8 * 60, 23 * 60))

    def event(kind, product_id=None, minutes=0, **extra):
        when = at + dt.timedelta(minutes=minutes)
        return {
            "merchant_id": merchant_id,
            "day": day,
            "kind": kind,
            "occurred_at": when,
            "received_at": when,
            "visitor": visitor,
            "product_id": product_id,
            "source": source,
            "utm_campaign": campaign,
            **extra,
        }

    rows = [event("page_view")]
    if source == "search":
        rows.append(event("search", query=rng.choice(["T恤", "保温杯", "咖啡"])))
    viewed = rng.sample(products, rng.randint(1, min(3, len(products))))
    rows += [event("product_view", pid, i + 1) for i, pid in enumerate(viewed)]
    if rng.random() < 0.3:
        rows.append(event("add_to_cart", viewed[0], 5))
        if rng.random() < 0.5:
            rows.append(event("checkout_started", None, 6))
    return rows


def _move_order_events(merchant_id: int, tz) -> None:
    """Put each order's server-side events on the instants the order now carries."""
    for order in Order.select().where(Order.merchant == merchant_id):
        for kind, at in (("order_placed", order.placed_at), ("order_paid", order.paid_at)):
            if at is None:
                continue
            Event.update(occurred_at=at, day=collector.local_day(tz, at)).where(
                (Event.order_id == order.id) & (Event.kind == kind)
            ).execute()
