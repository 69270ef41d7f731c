"""Distribution's cost — on SQLite and PostgreSQL.

1. Commission of a 50-line order: ``commission.compute`` (the per-line rules for two levels)
   against a baseline measured in the same run — reading the order's 50 lines from the
   database, which any commission calculation needs — and ``commission.on_paid`` as a whole
   (promoters, group rates, product rules, 100 rows written) per order.
2. Checkout to paid (place + pay through the manual channel, one buyer bound to a two-level
   chain of promoters, 3-line orders) with the plugin on against the same in a store without
   it, in alternating rounds on one thread. Goal: on/off ≤ 1.15.

    python bench/distribution.py [--backend sqlite|postgresql|both] [--orders 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid

from common import Backend, pg_reachable

ADDRESS = {
    "recipient": "李四",
    "phone": "13900000000",
    "province": "浙江省",
    "city": "杭州市",
    "detail": "文一路 1 号",
}


def make_store(name, distribution: bool, skus: int):
    from mallkit.core import plugin_settings
    from mallkit.core.accounts.merchants.service import create_merchant
    from mallkit.core.catalog.models import Sku
    from mallkit.core.catalog.service import create_product

    merchant = create_merchant({"name": name})
    plugin_settings.enable(merchant, "payment_manual", None)
    if distribution:
        plugin_settings.enable(merchant, "distribution", {"promoter_mode": "appointed"})
    values = [str(i) for i in range(skus)]
    product = create_product(
        merchant.id,
        {
            "name": "分销商品",
            "specs": [{"name": "款", "values": values}],
            "skus": [
                {"specs": {"款": v}, "price": 1990 + 13 * i, "stock": 10**7}
                for i, v in enumerate(values)
            ],
        },
    )
    return merchant, list(Sku.select().where(Sku.product == product.id).order_by(Sku.id))


def users(n, tag):
    from mallkit.core.accounts.models import User

    return [
        User.create(email=f"u{i}-{tag}@bench.io", password_hash="x", name=f"用户{i}")
        for i in range(n)
    ]


def chain(merchant, people):
    """people[0] ← people[1] ← buyer people[2]: two promoter levels above the buyer."""
    from mallkit.plugins.distribution import promoters

    top = promoters.make_promoter(merchant.id, people[0].id, "appointed")
    promoters.bind(merchant.id, people[1].id, top, "code")
    mid = promoters.make_promoter(merchant.id, people[1].id, "appointed")
    promoters.bind(merchant.id, people[2].id, mid, "code")


def place_and_pay(buyer, skus):
    """Place, start the payment and record it, each in a request of its own as through the
    API (a store's plugin settings are read once per request)."""
    from flask import current_app

    from mallkit.core.checkout import service as checkout
    from mallkit.core.payments import service as payments
    from mallkit.core.payments.channel import ChannelPayment

    app = current_app._get_current_object()
    items = [{"sku_id": s.id, "quantity": 1 + i % 2} for i, s in enumerate(skus)]
    with app.test_request_context():
        (order,) = checkout.place(buyer, {"items": items, "address": ADDRESS})
    with app.test_request_context():
        attempt = payments.start(order, "manual", method="transfer")
    with app.test_request_context():
        payments.record_payment(
            order.merchant_id,
            "manual",
            ChannelPayment(attempt.number, "paid", f"b-{attempt.number}", attempt.amount, "CNY"),
            "staff",
        )
    return order


def per_call(fn, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def commission_cost(app):
    from mallkit.core import db
    from mallkit.core.orders.models import OrderLine
    from mallkit.plugins.distribution import commission
    from mallkit.plugins.distribution.models import Commission
    from mallkit.plugins.distribution.promoters import order_promoters

    with app.app_context():
        tag = uuid.uuid4().hex[:6]
        merchant, skus = make_store("Bench 50 lines", True, 50)
        people = users(3, tag)
        chain(merchant, people)
        order = place_and_pay(people[2], skus)
        lines = list(OrderLine.select().where(OrderLine.order == order.id))
        assert len(lines) == 50
        level1, level2 = order_promoters(order.merchant_id, order.buyer_id)
        promoters_ = {1: level1, 2: level2}
        rates = {1: (1000, 500), 2: (1000, 500)}
        rows = commission.compute(lines, promoters_, rates, {}, False)
        assert len(rows) == 100

        read = per_call(lambda: list(OrderLine.select().where(OrderLine.order == order.id)), 300)
        compute = per_call(lambda: commission.compute(lines, promoters_, rates, {}, False), 300)

        def whole():
            with db.transaction():
                Commission.delete().where(Commission.order_id == order.id).execute()
                commission.on_paid(order)

        on_paid = per_call(whole, 100)
    return read, compute, on_paid


def checkout_overhead(app, orders):
    with app.app_context():
        tag = uuid.uuid4().hex[:6]
        on_store, on_skus = make_store("Bench on", True, 3)
        off_store, off_skus = make_store("Bench off", False, 3)
        people = users(4, tag)
        chain(on_store, people[:3])
        buyer_on, buyer_off = people[2], people[3]
        for _ in range(20):  # warm up both paths
            place_and_pay(buyer_on, on_skus)
            place_and_pay(buyer_off, off_skus)
        timings = {"on": [], "off": []}
        rounds = 10
        for _ in range(rounds):
            for label, buyer, skus in (("off", buyer_off, off_skus), ("on", buyer_on, on_skus)):
                start = time.perf_counter()
                for _ in range(orders // rounds):
                    place_and_pay(buyer, skus)
                timings[label].append((time.perf_counter() - start) / (orders // rounds))
        from mallkit.plugins.distribution.models import Commission

        assert Commission.select().count() >= 2 * 3 * (orders + 20)
    return statistics.median(timings["off"]), statistics.median(timings["on"])


def run_backend(kind, orders):
    from mallkit.core import migrate
    from mallkit.core.app import create_app

    backend = Backend(kind)
    try:
        app = create_app({"DATABASE_URL": backend.url, "SECRET_KEY": "bench"})
        migrate.upgrade(app.extensions["mallkit"].plugins)
        read, compute, on_paid = commission_cost(app)
        off, on = checkout_overhead(app, orders)
        print(f"{backend.label}:")
        print(
            f"  commission of a 50-line order (2 levels): compute {compute * 1e6:.0f} µs, "
            f"reading its 50 lines {read * 1e6:.0f} µs (ratio {compute / read:.2f}); "
            f"on_paid with 100 rows written {on_paid * 1e3:.2f} ms"
        )
        print(
            f"  checkout → paid, 3 lines: without {off * 1e3:.2f} ms, with distribution "
            f"{on * 1e3:.2f} ms per order — ratio {on / off:.2f} (goal ≤ 1.15)"
        )
    finally:
        backend.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--orders", type=int, default=200)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for kind in kinds:
        if kind == "postgresql" and not pg_reachable():
            print("PostgreSQL: not reachable, skipped")
            continue
        run_backend(kind, args.orders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
