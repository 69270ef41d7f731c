"""Group buy under load — on SQLite and PostgreSQL.

100 groups of size 10 are opened (a paid leader each), then 1,000 buyers join at once from
16 threads through the real checkout (validate_checkout + the compare-and-set seat in
on_order_placed): 10 joiners race for every 9 free seats, so exactly 900 joins win, 100 are
refused ``group_full`` and all 100 groups are full. Then every joined order is paid from 16
threads and every group must succeed exactly once (every member's order ``paid``).

Figures: joins per second through checkout against a baseline measured in the same run (the
bare seat compare-and-set plus the member row, done directly on the database by the same
16 threads over 100 fresh groups), and payments per second.

    python bench/groupbuy.py [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime as dt
import os
import random
import sys
import time
import uuid

from common import PG_BASE, Backend, pg_reachable

THREADS = 16
GROUPS, SIZE, JOINERS = 100, 10, 1000


ADDRESS = {
    "recipient": "李四",
    "phone": "13900000000",
    "province": "浙江省",
    "city": "杭州市",
    "detail": "文一路 1 号",
}


def seed():
    from mallkit.core import plugin_settings
    from mallkit.core.accounts.merchants.service import create_merchant
    from mallkit.core.accounts.models import User
    from mallkit.core.catalog.models import Sku
    from mallkit.core.catalog.service import create_product
    from mallkit.core.db import utcnow
    from mallkit.plugins.groupbuy import service

    merchant = create_merchant({"name": "Bench store"})
    plugin_settings.enable(merchant, "payment_manual", None)
    plugin_settings.enable(merchant, "groupbuy", None)
    product = create_product(
        merchant.id,
        {
            "name": "拼团商品",
            "specs": [{"name": "款", "values": ["标准"]}],
            "skus": [{"specs": {"款": "标准"}, "price": 1990, "stock": 10**6}],
        },
    )
    sku = Sku.get(Sku.product == product.id)
    now = utcnow()
    activity = service.create_activity(
        merchant.id,
        {
            "title": "十人团",
            "product_id": product.id,
            "prices": {str(sku.id): 990},
            "group_size": SIZE,
            "time_limit_minutes": 24 * 60,
            "starts_at": now - dt.timedelta(hours=1),
            "ends_at": now + dt.timedelta(days=1),
            "per_order_limit": 1,
        },
    )
    tag = uuid.uuid4().hex[:6]
    users = [
        User.create(email=f"g{i}-{tag}@bench.io", password_hash="x", name=f"买家{i}")
        for i in range(2 * GROUPS + JOINERS)
    ]
    return merchant, sku, activity, users


def buy(user, sku, activity, **params):
    from mallkit.core.checkout import service as checkout

    item = {
        "sku_id": sku.id,
        "quantity": 1,
        "activity": {"type": "groupbuy", "id": activity.id, "params": params},
    }
    (order,) = checkout.place(user, {"items": [item], "address": ADDRESS})
    return order


def pay(order) -> str:
    from mallkit.core.payments import service as payments
    from mallkit.core.payments.channel import ChannelPayment

    attempt = payments.start(order, "manual", method="transfer")
    return payments.record_payment(
        order.merchant_id,
        "manual",
        ChannelPayment(
            attempt.number, "paid", f"bank-{attempt.number}", attempt.amount, order.currency
        ),
        "staff",
    )


def in_threads(app, fn, items):
    """Run ``fn(item)`` for every item from THREADS threads, each with an app context and
    its own connection; return the results (or exceptions) and the seconds taken."""
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


def baseline(app, activity, users) -> tuple[int, float]:
    """The bare seat: conditional update on the group plus the member row, no checkout."""
    from mallkit.core import db
    from mallkit.core.db import utcnow
    from mallkit.plugins.groupbuy.models import Group, Member

    with app.app_context():
        groups = [
            Group.create(
                merchant_id=activity.merchant_id,
                activity=activity.id,
                leader_id=users[i].id,
                size=SIZE,
                joined=1,
                paid=1,
                status="open",
                expires_at=utcnow() + dt.timedelta(days=1),
            ).id
            for i in range(GROUPS)
        ]
    targets = [groups[i % GROUPS] for i in range(JOINERS)]
    random.Random(7).shuffle(targets)
    order_ids = iter(range(10**9, 10**9 + JOINERS))

    def seat(group_id):
        with db.transaction():
            won = (
                Group.update(joined=Group.joined + 1)
                .where(
                    (Group.id == group_id) & (Group.status == "open") & (Group.joined < Group.size)
                )
                .execute()
            )
            if won:
                Member.create(
                    group=group_id,
                    merchant_id=activity.merchant_id,
                    activity_id=activity.id,
                    user_id=0,
                    order_id=next(order_ids),
                )
            return bool(won)

    results, took = in_threads(app, seat, targets)
    with app.app_context():
        Member.delete().where(Member.group.in_(groups)).execute()
        Group.delete().where(Group.id.in_(groups)).execute()
    return sum(1 for r in results if r is True), took


def run_backend(kind: str) -> None:
    from mallkit.core import migrate
    from mallkit.core.app import create_app
    from mallkit.core.orders.models import Order
    from mallkit.plugins.groupbuy.models import Group, Member

    backend = Backend(kind)
    try:
        app = create_app({"DATABASE_URL": backend.url, "SECRET_KEY": "bench", "DB_POOL_SIZE": 40})
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context():
            merchant, sku, activity, users = seed()
            leaders, joiners = users[:GROUPS], users[2 * GROUPS :]
            for leader in leaders:
                pay(buy(leader, sku, activity))
            groups = [g.id for g in Group.select().order_by(Group.id)]
        base_won, base_t = baseline(app, activity, users[GROUPS : 2 * GROUPS])

        # 10 joiners per group, shuffled, from 16 threads at once
        targets = [(joiners[i], groups[i % GROUPS]) for i in range(JOINERS)]
        random.Random(1).shuffle(targets)
        results, join_t = in_threads(
            app, lambda t: buy(t[0], sku, activity, group_id=t[1]), targets
        )
        won = [r for r in results if isinstance(r, Order)]
        refused: dict[str, int] = {}
        for r in results:
            if not isinstance(r, Order):
                code = getattr(r, "code", type(r).__name__)
                refused[code] = refused.get(code, 0) + 1
        with app.app_context():
            full = Group.select().where(Group.joined == Group.size).count()
            over = Group.select().where(Group.joined > Group.size).count()
            seats = Member.select().where(Member.group.in_(groups)).count()
        paid, pay_t = in_threads(app, pay, won)
        with app.app_context():
            succeeded = (
                Group.select().where(Group.id.in_(groups) & (Group.status == "succeeded")).count()
            )
            statuses: dict[str, int] = {}
            for (status,) in (
                Order.select(Order.status)
                .where(Order.id.in_(Member.select(Member.order_id).where(Member.group.in_(groups))))
                .tuples()
            ):
                statuses[status] = statuses.get(status, 0) + 1
        pay_errors = [r for r in paid if r != "paid"]

        join_rate, base_rate = JOINERS / join_t, JOINERS / base_t
        print(f"\n== {kind}")
        print(
            f"joins: {JOINERS} buyers over {GROUPS} groups of {SIZE} from {THREADS} threads: "
            f"{len(won)} joined, refused {refused}; full groups {full}, over-full {over}, "
            f"seats {seats}"
        )
        print(
            f"    checkout joins {join_rate:.0f}/s ({join_t:.1f}s); bare seat baseline "
            f"{base_rate:.0f}/s ({base_won} seats in {base_t:.2f}s); "
            f"ratio {join_rate / base_rate:.2f}"
        )
        print(
            f"payments: {len(won)} in {pay_t:.1f}s = {len(won) / pay_t:.0f}/s, failures "
            f"{len(pay_errors)}; groups succeeded {succeeded}; member orders {statuses}"
        )
    finally:
        backend.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in kinds and not pg_reachable():
        print(f"PostgreSQL at {PG_BASE} is unreachable: skipping it")
        kinds.remove("postgresql")
    print(f"mallkit group-buy benchmark — {os.cpu_count()} cores")
    for kind in kinds:
        run_backend(kind)
    return 0


if __name__ == "__main__":
    sys.exit(main())
