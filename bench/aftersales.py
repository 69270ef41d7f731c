"""After-sales under load — on SQLite and PostgreSQL.

(a) Refund-only cases applied and approved (each refunded through the core's refund service
and completed by ``on_order_refunded``) for 200 paid orders from 8 threads, against a
baseline measured in the same run: the core's own staff refund of the same line for 200
other paid orders (``refunds.create`` + ``submit``), so the ratio is the cost of the case
machinery around the refund. (b) 8 applications (applied and approved at once) racing for
each of 50 lines of 2 units: one open case per line at a time, so at most 2 cases per line,
every one completed, none on a line with nothing left. (c) ``order_lines_on_hold``, which
commission settlement asks per order: the time per call with the run's cases in the table,
against reading the order's row by id.

    python bench/aftersales.py [--backend sqlite|postgresql|both] [--pg-base URL]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import sys
import time
import uuid

from common import PG_BASE, Backend, pg_reachable

THREADS = 8
ORDERS, RACE_LINES, RACERS = 200, 50, 8
ADDRESS = {
    "recipient": "王五",
    "phone": "13700000000",
    "province": "广东省",
    "city": "深圳市",
    "detail": "科技园 1 号",
}


def seed(n_orders: int):
    from mallkit.core import plugin_settings
    from mallkit.core.accounts.merchants.service import create_merchant
    from mallkit.core.accounts.models import User
    from mallkit.core.catalog.models import Sku
    from mallkit.core.catalog.service import create_product
    from mallkit.core.checkout import service as checkout
    from mallkit.core.orders.models import OrderLine
    from mallkit.core.payments import service as payments
    from mallkit.core.payments.channel import ChannelPayment

    merchant = create_merchant({"name": "Bench store"})
    plugin_settings.enable(merchant, "payment_manual", None)
    plugin_settings.enable(merchant, "aftersales", None)
    product = create_product(
        merchant.id,
        {
            "name": "售后商品",
            "specs": [{"name": "款", "values": ["标准"]}],
            "skus": [{"specs": {"款": "标准"}, "price": 1990, "stock": 10**6}],
        },
    )
    sku = Sku.get(Sku.product == product.id)
    tag = uuid.uuid4().hex[:6]
    lines = []
    for i in range(n_orders):
        user = User.create(email=f"a{i}-{tag}@bench.io", password_hash="x", name=f"买家{i}")
        (order,) = checkout.place(
            user, {"items": [{"sku_id": sku.id, "quantity": 2}], "address": ADDRESS}
        )
        attempt = payments.start(order, "manual", method="transfer")
        payments.record_payment(
            merchant.id,
            "manual",
            ChannelPayment(attempt.number, "paid", f"b-{attempt.number}", order.total, "CNY"),
            "staff",
        )
        lines.append(OrderLine.get(OrderLine.order == order.id))
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


def apply_and_approve(line):
    from mallkit.core.orders.machine import Actor
    from mallkit.core.orders.models import Order
    from mallkit.plugins.aftersales import service

    order = Order.get_by_id(line.order_id)
    data = {"order_line_id": line.id, "type": "refund", "quantity": 1, "reason": "不想要了"}
    case = service.apply(order, data, Actor("buyer", order.buyer_id))
    return service.approve(case, Actor("staff")).status


def staff_refund(line):
    from mallkit.core.orders.machine import Actor
    from mallkit.core.orders.models import Order
    from mallkit.core.payments import refunds

    order = Order.get_by_id(line.order_id)
    refund = refunds.create(
        order, [{"line_id": line.id, "quantity": 1}], reason="bench", actor=Actor("staff")
    )
    return refunds.submit(refund.id)


def run_backend(kind: str, pg_base: str) -> None:
    from mallkit.core import migrate
    from mallkit.core.app import create_app
    from mallkit.core.orders.machine import SYSTEM
    from mallkit.core.orders.models import Order
    from mallkit.core.payments.models import Refund
    from mallkit.plugins.aftersales import service
    from mallkit.plugins.aftersales.models import Case

    backend = Backend(kind, pg_base)
    try:
        app = create_app({"DATABASE_URL": backend.url, "SECRET_KEY": "bench", "DB_POOL_SIZE": 20})
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context():
            merchant, lines = seed(2 * ORDERS + RACE_LINES)
        cased, plain, racing = lines[:ORDERS], lines[ORDERS : 2 * ORDERS], lines[2 * ORDERS :]

        base, base_t = in_threads(app, staff_refund, plain)
        done, case_t = in_threads(app, apply_and_approve, cased)
        racers = [line for line in racing for _ in range(RACERS)]
        raced, race_t = in_threads(app, apply_and_approve, racers)
        with app.app_context():
            completed = Case.select().where(Case.status == "completed").count()
            raced_cases = Case.select().where(Case.order_line_id.in_([x.id for x in racing]))
            per_line = raced_cases.count()
            raced_status: dict[str, int] = {}
            for c in raced_cases:
                raced_status[c.status] = raced_status.get(c.status, 0) + 1
            refunds = Refund.select().where(Refund.status == "succeeded").count()
            # (c) order_lines_on_hold: more cases in the table, then time the question
            for line in plain + racing:
                order = Order.get_by_id(line.order_id)
                try:
                    service.apply(
                        order,
                        {
                            "order_line_id": line.id,
                            "type": "refund",
                            "quantity": 1,
                            "reason": "其他",
                        },
                        SYSTEM,
                    )
                except Exception:  # a line with nothing left
                    pass
            total_cases = Case.select().count()
            orders = [Order.get_by_id(x.order_id) for x in lines]
            start = time.perf_counter()
            rounds = 5
            for _ in range(rounds):
                for order in orders:
                    service.lines_on_hold(order)
            hold_us = (time.perf_counter() - start) / (rounds * len(orders)) * 1e6
            start = time.perf_counter()  # baseline: one indexed read of the order's row
            for _ in range(rounds):
                for order in orders:
                    Order.get_by_id(order.id)
            read_us = (time.perf_counter() - start) / (rounds * len(orders)) * 1e6

        ok_base = sum(1 for r in base if r == "succeeded")
        ok_cases = sum(1 for r in done if r == "completed")
        outcomes: dict[str, int] = {}
        for r in raced:
            key = r if isinstance(r, str) else getattr(r, "code", repr(r)[:80])
            outcomes[key] = outcomes.get(key, 0) + 1
        case_rate, base_rate = ORDERS / case_t, ORDERS / base_t
        print(f"\n== {backend.label}")
        print(
            f"(a) refund-only cases applied+approved from {THREADS} threads: {ok_cases}/{ORDERS} "
            f"completed, {case_rate:.0f}/s ({case_t:.1f}s); baseline staff refunds "
            f"{ok_base}/{ORDERS} at {base_rate:.0f}/s ({base_t:.1f}s); ratio "
            f"{case_rate / base_rate:.2f}"
        )
        print(
            f"(b) {RACERS} applications racing for each of {RACE_LINES} lines: {per_line} cases, "
            f"by status {raced_status}; outcomes {outcomes} ({race_t:.1f}s); "
            f"completed cases {completed}, succeeded refunds {refunds}"
        )
        print(
            f"(c) order_lines_on_hold with {total_cases} cases: {hold_us:.0f} µs per order; "
            f"baseline reading the order row {read_us:.0f} µs; ratio {hold_us / read_us:.2f}"
        )
    finally:
        backend.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--pg-base", default=PG_BASE, help="PostgreSQL database to use")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in kinds and not pg_reachable(args.pg_base):
        print(f"PostgreSQL at {args.pg_base} is unreachable: skipping it")
        kinds.remove("postgresql")
    print(f"mallkit after-sales benchmark — {os.cpu_count()} cores")
    for kind in kinds:
        run_backend(kind, args.pg_base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
