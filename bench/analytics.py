"""Analytics at 1,000,000 raw events against 10,000 — on PostgreSQL and SQLite.

Two stores in one database, each with 200 products, 2,000 buyers and 3,000 paid orders over
31 days; the small store gets 10,000 raw storefront events over those days, the big one
1,000,000 (10 events per visitor-day, a fifth of the visitors signed in, five sources, six
UTM campaigns, ten ad creatives). Every day of both is aggregated (timed: events/s), then
each report is asked through the HTTP API by the store's owner over the default 30 days —
the dashboard, A1 traffic, A2 campaigns, A3 users, A4 products, A5 sales by day and by
month — 40 times, the two stores alternating request by request so that load from other
processes falls on both alike. It prints p50/p95 per store and the ratio of the big store's
p95 to the small one's (goal: ≤ 200 ms p95 on PostgreSQL at 1M, ratio ≤ 3).

Ingestion: 200 batches of 50 events through ``POST /merchants/{id}/analytics/events`` into
the big store (validation, the product check, the rate limit, the insert, the day's refresh
task), events/s, against the bare ``INSERT`` of the same rows in batches of 50.

    python bench/analytics.py [--backend postgresql|sqlite|both] [--events 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time

from common import PG_BASE, Backend, pg_reachable

PRODUCTS, BUYERS, ORDERS, DAYS = 200, 2000, 3000, 30
SMALL = 10_000
RUNS = 40
SOURCES = ["direct", "search", "share", "ad", "referral"]
CAMPAIGNS = ["", "双11", "618", "年货节", "会员日", "新品"]
PROVINCES = ["上海市", "浙江省", "江苏省", "广东省", "北京市", "四川省"]
KINDS = (
    "page_view",
    "product_view",
    "product_view",
    "product_view",
    "search",
    "add_to_cart",
    "product_view",
    "ad_impression",
    "ad_click",
    "checkout_started",
)
COLUMNS = (
    "merchant_id",
    "day",
    "kind",
    "occurred_at",
    "received_at",
    "visitor",
    "user_id",
    "product_id",
    "ref_id",
    "placement",
    "amount",
    "source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "share_code",
    "query",
)
REPORTS = [
    ("dashboard", "dashboard", {}),
    ("A1 traffic", "traffic", {}),
    ("A2 campaigns", "campaigns", {}),
    ("A3 users", "users", {}),
    ("A4 products", "products", {}),
    ("A5 sales by day", "sales", {}),
    ("A5 sales by month", "sales", {"period": "month"}),
]


def store(tag: str):
    """A store with its products, SKUs (with cost prices) and buyers."""
    from mallkit.core import plugin_settings
    from mallkit.core.accounts import service as accounts
    from mallkit.core.accounts.merchants.service import create_merchant
    from mallkit.core.accounts.models import User
    from mallkit.core.catalog.models import Product, Sku
    from mallkit.core.db import database, utcnow

    owner = accounts.register(email=f"owner-{tag}@bench.test", password="bench-owner-1", name=tag)
    merchant = create_merchant({"name": f"Bench {tag}", "contact_phone": "1"}, owner=owner)
    plugin_settings.enable(merchant, "analytics", {"events_per_minute": 100_000})
    now = utcnow()
    with database.atomic():
        Product.insert_many(
            [
                {
                    "merchant": merchant.id,
                    "name": f"{tag}-P{n}",
                    "price_min": 1000 + n,
                    "price_max": 1000 + n,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(PRODUCTS)
            ]
        ).execute()
        products = [p.id for p in Product.select(Product.id).where(Product.merchant == merchant.id)]
        Sku.insert_many(
            [
                {
                    "product": pid,
                    "merchant": merchant.id,
                    "code": f"S{pid}",
                    "price": 1000 + i,
                    "cost": 600 + i,
                    "stock": 500,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, pid in enumerate(products)
            ]
        ).execute()
        User.insert_many(
            [
                {
                    "email": f"{tag}-b{n}@bench.test",
                    "password_hash": "x",
                    "name": f"b{n}",
                    "created_at": now,
                }
                for n in range(BUYERS)
            ]
        ).execute()
    buyers = [u.id for u in User.select(User.id).where(User.email.startswith(f"{tag}-b"))]
    return merchant, products, buyers


def orders(rng, merchant, products, buyers, days, tz, now):
    from mallkit.core.catalog.models import Sku
    from mallkit.core.db import database
    from mallkit.core.orders.models import Order, OrderLine
    from mallkit.plugins.analytics.collector import day_bounds

    skus = dict(Sku.select(Sku.product, Sku.id).where(Sku.merchant == merchant.id).tuples())
    with database.atomic():
        for n in range(ORDERS):
            lo, _ = day_bounds(tz, rng.choice(days))
            at = min(lo + dt.timedelta(minutes=rng.randint(0, 1439)), now - dt.timedelta(minutes=1))
            i = rng.randrange(len(products))
            qty, price = rng.randint(1, 3), 1000 + i
            order = Order.create(
                number=f"B{merchant.id}-{n:08d}",
                merchant=merchant.id,
                buyer=rng.choice(buyers),
                status="paid",
                currency="CNY",
                subtotal=price * qty,
                total=price * qty,
                paid_amount=price * qty,
                address={"province": rng.choice(PROVINCES)},
                placed_at=at,
                paid_at=at,
            )
            OrderLine.create(
                order=order.id,
                sku_id=skus[products[i]],
                product_id=products[i],
                product_name=f"P{i}",
                unit_price=price,
                sale_unit_price=price,
                unit_cost=600 + i,  # the SKU's cost, as checkout writes it
                quantity=qty,
                amount=price * qty,
                pay_amount=price * qty,
            )


def event_rows(rng, merchant_id, products, buyers, days, tz, count):
    from mallkit.plugins.analytics.collector import day_bounds

    starts = {day: day_bounds(tz, day)[0] for day in days}
    written = 0
    for v in range(max(1, count // 10)):
        day = days[v % len(days)]
        start = starts[day] + dt.timedelta(minutes=rng.randint(0, 1400))
        user = rng.choice(buyers) if rng.random() < 0.2 else None
        who = f"u{user}" if user else f"dbench-{merchant_id}-{v}"
        source, campaign = rng.choice(SOURCES), rng.choice(CAMPAIGNS)
        for k in range(min(10, count - written)):
            kind = KINDS[k]
            at = start + dt.timedelta(seconds=k)
            ad = kind.startswith("ad_")
            product = rng.choice(products) if kind in ("product_view", "add_to_cart") else None
            yield (
                merchant_id,
                day,
                kind,
                at,
                at,
                who,
                user,
                product,
                rng.randint(1, 10) if ad else None,
                "home_banner" if ad else "",
                0,
                source,
                "",
                "",
                campaign,
                "",
                "",
            )
            written += 1


def load_events(rows) -> None:
    """COPY on PostgreSQL; multi-row INSERTs on SQLite."""
    from mallkit.core.db import database, is_postgres
    from mallkit.plugins.analytics.models import Event

    if is_postgres():
        conn = database.connection()
        with conn.cursor() as cur:
            with cur.copy(f"COPY analytics_event ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        return
    batch = []
    for row in rows:
        batch.append(dict(zip(COLUMNS, row, strict=True)))
        if len(batch) >= 3000:
            with database.atomic():
                Event.insert_many(batch).execute()
            batch = []
    if batch:
        with database.atomic():
            Event.insert_many(batch).execute()


def seed(app, sizes: dict[str, int]) -> dict[str, dict]:
    from mallkit.core.db import database, utcnow
    from mallkit.plugins.analytics.aggregate import aggregate_day
    from mallkit.plugins.analytics.collector import local_day, timezone_of

    out = {}
    with app.app_context():
        for tag, count in sizes.items():
            rng = random.Random(16)
            merchant, products, buyers = store(tag)
            tz = timezone_of(merchant.id)
            now = utcnow()
            today = local_day(tz, now)
            days = [today - dt.timedelta(days=n) for n in range(DAYS, -1, -1)]
            orders(rng, merchant, products, buyers, days, tz, now)
            t0 = time.perf_counter()
            load_events(event_rows(rng, merchant.id, products, buyers, days, tz, count))
            load = time.perf_counter() - t0
            database.execute_sql("ANALYZE")  # as a production database would have by then
            t0 = time.perf_counter()
            for day in days:
                aggregate_day(merchant.id, day)
            aggregation = time.perf_counter() - t0
            out[tag] = {
                "merchant": merchant.id,
                "products": products,
                "events": count,
                "load": load,
                "aggregation": aggregation,
            }
    return out


def ingestion(app, client, merchant_id, products):
    """Events/s through the HTTP collector, and the bare INSERT of the same rows."""
    from mallkit.core.db import database, utcnow
    from mallkit.plugins.analytics.models import Event

    rng = random.Random(7)
    batches = [
        [
            {"kind": rng.choice(["page_view", "product_view"]), "product_id": rng.choice(products)}
            for _ in range(50)
        ]
        for _ in range(200)
    ]
    t0 = time.perf_counter()
    for i, batch in enumerate(batches):
        r = client.post(
            f"/api/v1/merchants/{merchant_id}/analytics/events",
            json={"device_id": f"ingest-{i:06d}", "events": batch},
        )
        assert r.status_code == 202, r.json
    http = 200 * 50 / (time.perf_counter() - t0)
    now = utcnow()
    rows = [
        {
            "merchant_id": merchant_id,
            "day": now.date(),
            "kind": e["kind"],
            "occurred_at": now,
            "received_at": now,
            "visitor": f"dbare-{i}",
            "product_id": e["product_id"],
        }
        for i, batch in enumerate(batches)
        for e in batch
    ]
    with app.app_context():
        t0 = time.perf_counter()
        for i in range(0, len(rows), 50):
            with database.atomic():
                Event.insert_many(rows[i : i + 50]).execute()
        bare = len(rows) / (time.perf_counter() - t0)
    return http, bare


def run_backend(kind, base, big):
    from mallkit.core import migrate
    from mallkit.core.app import create_app

    label = "SQLite" if kind == "sqlite" else "PostgreSQL"
    backend = Backend(kind, base)
    try:
        app = create_app(
            {"DATABASE_URL": backend.url, "SECRET_KEY": "bench" * 8, "DB_POOL_SIZE": 10}
        )
        migrate.upgrade(app.extensions["mallkit"].plugins)
        print(
            f"\n{label}: two stores, {ORDERS:,} orders and {PRODUCTS} products each, "
            f"{DAYS + 1} days; {SMALL:,} and {big:,} raw events",
            flush=True,
        )
        stores = seed(app, {"small": SMALL, "big": big})
        for s in stores.values():
            print(
                f"  {s['events']:>9,} events: loaded in {s['load']:.1f} s, {DAYS + 1} days "
                f"aggregated in {s['aggregation']:.1f} s "
                f"({s['events'] / s['aggregation']:,.0f} events/s)",
                flush=True,
            )
        client = app.test_client()
        headers = {}
        for tag in stores:
            r = client.post(
                "/api/v1/auth/login",
                json={"login": f"owner-{tag}@bench.test", "password": "bench-owner-1"},
            )
            headers[tag] = {"Authorization": f"Bearer {r.json['token']}"}
        times = {(name, tag): [] for name, _, _ in REPORTS for tag in stores}
        for run in range(RUNS + 1):
            for name, path, params in REPORTS:
                for tag, s in stores.items():
                    url = f"/api/v1/merchants/{s['merchant']}/analytics/{path}"
                    t0 = time.perf_counter()
                    r = client.get(url, query_string=params, headers=headers[tag])
                    elapsed = (time.perf_counter() - t0) * 1000
                    assert r.status_code == 200, r.get_data(as_text=True)[:300]
                    if run:  # the first round warms up
                        times[(name, tag)].append(elapsed)
        print(
            f"  report over 30 days      {SMALL:>7,}: p50    p95   "
            f"{big:>9,}: p50    p95   p95 ratio (goal ≤ 3)"
        )
        for name, _, _ in REPORTS:
            figures = []
            for tag in stores:
                ts = sorted(times[(name, tag)])
                figures += [statistics.median(ts), ts[int(len(ts) * 0.95) - 1]]
            print(
                f"  {name:<22} {figures[0]:7.1f} {figures[1]:7.1f} ms   "
                f"{figures[2]:7.1f} {figures[3]:7.1f} ms   {figures[3] / figures[1]:5.2f}"
            )
        http, bare = ingestion(app, client, stores["big"]["merchant"], stores["big"]["products"])
        print(
            f"  ingestion: {http:,.0f} events/s through the collector (batches of 50), "
            f"bare INSERT {bare:,.0f} events/s (ratio {http / bare:.2f})"
        )
    finally:
        backend.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-base", default=PG_BASE, help="PostgreSQL database to use")
    parser.add_argument("--events", type=int, default=1_000_000, help="the big store's events")
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    for kind in kinds:
        if kind == "postgresql" and not pg_reachable(args.pg_base):
            print(f"PostgreSQL at {args.pg_base} is unreachable: skipping it")
            continue
        run_backend(kind, args.pg_base, args.events)
    return 0


if __name__ == "__main__":
    sys.exit(main())
