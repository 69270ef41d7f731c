"""Reviews under load — on SQLite and PostgreSQL.

(a) Writing: 320 buyers review their received line of one of 8 products at once from 16
threads through the real service (checks, the review row, the summary's conditional
updates). Every summary must then count exactly what was written. Baseline, same run and
threads: the bare review row inserted on its own (no checks, no summary).

(b) Reading: a catalog list page of 20 products (`GET /api/v1/products?page_size=20`) with
the plugin on (its ``extend_product`` reads each product's summary) against the same page
with the plugin off; p50 of 200 requests each, and the SQL statements per page.

    python bench/reviews.py [--backend sqlite|postgresql|both] [--pg-base URL]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import statistics
import sys
import time

from common import PG_BASE, Backend, pg_reachable

THREADS = 16
PRODUCTS, BUYERS = 8, 320
PAGE_PRODUCTS = 20
ADDRESS = {
    "recipient": "李四",
    "phone": "13900000000",
    "province": "浙江省",
    "city": "杭州市",
    "detail": "文一路 1 号",
}


def seed():
    """A store with the plugin on, 20 products, and 320 buyers with a received order each."""
    from mallkit.core import plugin_settings
    from mallkit.core.accounts.merchants.service import create_merchant
    from mallkit.core.accounts.models import User
    from mallkit.core.catalog.models import Sku
    from mallkit.core.catalog.service import create_product
    from mallkit.core.checkout import service as checkout
    from mallkit.core.orders import service as orders
    from mallkit.core.orders.machine import Actor
    from mallkit.core.orders.models import Order, OrderLine
    from mallkit.core.payments import service as payments
    from mallkit.core.payments.channel import ChannelPayment

    merchant = create_merchant({"name": "Bench store"})
    plugin_settings.enable(merchant, "payment_manual", None)
    plugin_settings.enable(merchant, "reviews", {"tags": ["质量好"]})
    skus = []
    for n in range(PAGE_PRODUCTS):
        product = create_product(
            merchant.id,
            {
                "name": f"商品 {n}",
                "specs": [{"name": "款", "values": ["标准"]}],
                "skus": [{"specs": {"款": "标准"}, "price": 1990, "stock": 10**6}],
            },
        )
        skus.append(Sku.get(Sku.product == product.id))
    lines = []
    for i in range(BUYERS):
        user = User.create(email=f"b{i}@bench.test", password_hash="x", name=f"买家{i}")
        (order,) = checkout.place(
            user,
            {"items": [{"sku_id": skus[i % PRODUCTS].id, "quantity": 1}], "address": ADDRESS},
        )
        attempt = payments.start(order, "manual", method="transfer")
        payments.record_payment(
            merchant.id,
            "manual",
            ChannelPayment(attempt.number, "paid", f"b-{order.id}", attempt.amount, "CNY"),
            "staff",
        )
        orders.ship(Order.get_by_id(order.id), Actor("staff"), carrier="SF", tracking_number="1")
        orders.confirm_receipt(Order.get_by_id(order.id), Actor("buyer", user.id))
        lines.append((user.id, OrderLine.get(OrderLine.order == order.id)))
    return merchant, lines


def in_threads(app, fn, items):
    from mallkit.core import db

    def run(item):
        with app.app_context():
            db.database.connect(reuse_if_open=True)
            try:
                return fn(item)
            except Exception as exc:
                return exc
            finally:
                db.database.close()

    start = time.perf_counter()
    with cf.ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, items))
    return results, time.perf_counter() - start


def baseline(app, merchant, lines) -> float:
    """The bare review rows, inserted by the same threads, then removed."""
    from mallkit.core import db
    from mallkit.plugins.reviews.models import Review

    def insert(item):
        user_id, line = item
        with db.transaction():
            Review.create(
                merchant_id=merchant.id,
                product_id=line.product_id,
                sku_id=line.sku_id,
                order_id=line.order_id,
                order_line_id=line.id,
                buyer_id=user_id,
                rating=5,
                service_rating=5,
            )

    results, took = in_threads(app, insert, lines)
    assert not [r for r in results if isinstance(r, Exception)], results
    with app.app_context():
        Review.delete().execute()
    return took


def pages(client, n=200) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        r = client.get(f"/api/v1/products?page_size={PAGE_PRODUCTS}")
        times.append(time.perf_counter() - start)
        assert r.status_code == 200 and len(r.json) == PAGE_PRODUCTS, r.json
    return statistics.median(times) * 1000


def queries_per_page(client) -> int:
    from mallkit.core.testing import count_queries

    with count_queries() as counter:
        client.get(f"/api/v1/products?page_size={PAGE_PRODUCTS}")
    return counter.count


def run_backend(kind: str, base: str) -> None:
    from mallkit.core import migrate, plugin_settings
    from mallkit.core.app import create_app
    from mallkit.plugins.reviews import service
    from mallkit.plugins.reviews.models import ProductRating, Review

    backend = Backend(kind, base)
    try:
        app = create_app({"DATABASE_URL": backend.url, "SECRET_KEY": "bench", "DB_POOL_SIZE": 40})
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context():
            merchant, lines = seed()
        base_t = baseline(app, merchant, lines)

        def write(item):
            user_id, line = item
            rating = line.id % 5 + 1
            data = {
                "order_line_id": line.id,
                "rating": rating,
                "service_rating": 5,
                "logistics_rating": 5,
                "text": "不错",
                "tags": ["质量好"],
            }
            return service.create(merchant.id, user_id, data)

        results, took = in_threads(app, write, lines)
        errors = [r for r in results if isinstance(r, Exception)]
        with app.app_context():
            written = Review.select().count()
            counted = sum(r.count for r in ProductRating.select())
            exact = all(
                r.count == Review.select().where(Review.product_id == r.product_id).count()
                and r.total
                == sum(x.rating for x in Review.select().where(Review.product_id == r.product_id))
                for r in ProductRating.select()
            )
        print(f"{backend.label}: (a) {written} reviews by {THREADS} threads, {len(errors)} errors")
        print(f"  summaries count {counted} (exact per product: {exact})")
        print(
            f"  service {BUYERS / took:.0f} reviews/s, bare insert {BUYERS / base_t:.0f}/s, "
            f"ratio {base_t / took:.2f}"
        )

        client = app.test_client()
        pages(client, 20)  # warm up
        on_ms, on_q = pages(client), queries_per_page(client)
        with app.app_context():
            plugin_settings.disable(merchant, "reviews")
        pages(client, 20)
        off_ms, off_q = pages(client), queries_per_page(client)
        print(
            f"  (b) list page of {PAGE_PRODUCTS}: p50 {on_ms:.1f} ms with reviews, "
            f"{off_ms:.1f} ms without, ratio {on_ms / off_ms:.2f}; "
            f"queries {on_q} vs {off_q}"
        )
    finally:
        backend.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-base", default=PG_BASE, help="PostgreSQL database to use")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for kind in kinds:
        if kind == "postgresql" and not pg_reachable(args.pg_base):
            print(f"PostgreSQL at {args.pg_base} is unreachable: skipping it")
            continue
        run_backend(kind, args.pg_base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
