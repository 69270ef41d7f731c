"""Three app processes and two task workers on one PostgreSQL and one Redis (tests/ops/
conftest.py): a flash sale never oversells, every scheduled task runs exactly once, a plugin
switched on through one process is live on all of them at their next request, and sign-in
limits are counted across processes."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from mallkit.core import plugin_settings
from mallkit.core.catalog.models import Sku, StockMovement
from mallkit.core.orders.models import Order, OrderEvent
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.testing import TEST_ADDRESS, make_account, make_merchant, make_product, skus_of

BUYERS, UNITS = 500, 100


def _wait(predicate, timeout: float = 60, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def test_a_flash_sale_across_processes_sells_exactly_the_stock_and_tasks_run_once(cluster, ops_app):
    tag = uuid.uuid4().hex[:6]
    merchant = make_merchant(f"Flash {tag}")
    sku = skus_of(make_product(merchant, "限量款", prices=(9900,), stocks=(UNITS,)))[0]
    buyers = [make_account(email=f"flash-{tag}-{i}@x.io") for i in range(BUYERS)]

    def buy(i: int) -> int:
        app = cluster.apps[i % len(cluster.apps)]
        r = requests.post(
            f"{app.url}/api/v1/checkout/place",
            json={"items": [{"sku_id": sku.id, "quantity": 1}], "address": TEST_ADDRESS},
            headers={**buyers[i].headers, "Idempotency-Key": f"flash-{i}"},
            timeout=60,
        )
        return r.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=48) as pool:
        statuses = list(pool.map(buy, range(BUYERS)))
    elapsed = time.monotonic() - started
    print(f"flash sale: {BUYERS} buyers over 3 processes in {elapsed:.1f}s")

    assert statuses.count(201) == UNITS, sorted(set(statuses))
    assert statuses.count(409) == BUYERS - UNITS  # out of stock, nothing else
    orders = list(Order.select().where(Order.merchant == merchant.id))
    assert len(orders) == UNITS and len({o.buyer_id for o in orders}) == UNITS
    assert Sku.get_by_id(sku.id).stock == 0
    moves = list(StockMovement.select().where(StockMovement.sku == sku.id))
    assert sum(m.quantity for m in moves) == 0  # +100 received, −1 per order
    assert len(moves) == UNITS + 1

    # Every order's auto-cancel task, due now: the two workers run each exactly once.
    def auto_cancels():  # a new query each time (a peewee query caches its rows)
        return ScheduledTask.select().where(
            (ScheduledTask.kind == "order.auto_cancel") & (ScheduledTask.merchant_id == merchant.id)
        )

    assert auto_cancels().count() == UNITS
    ScheduledTask.update(run_at=ScheduledTask.created_at).where(
        ScheduledTask.id.in_([t.id for t in auto_cancels()])
    ).execute()
    assert _wait(lambda: auto_cancels().where(ScheduledTask.status != "done").count() == 0)
    done = list(auto_cancels())
    assert all(t.attempts == 1 for t in done), [
        (t.id, t.attempts, t.locked_by, t.last_error) for t in done if t.attempts != 1
    ]
    by_worker = {w: sum(t.locked_by == w for t in done) for w in {t.locked_by for t in done}}
    print("auto-cancel tasks run per worker:", by_worker)
    orders = Order.select().where(Order.merchant == merchant.id)
    assert all(o.status == "cancelled" for o in orders)
    cancellations = (
        OrderEvent.select()
        .where(OrderEvent.order.in_([o.id for o in orders]) & (OrderEvent.to_status == "cancelled"))
        .count()
    )
    assert cancellations == UNITS  # one per order
    # Each cancellation put its unit back once: the stock is whole again, not more.
    assert Sku.get_by_id(sku.id).stock == UNITS
    moves = list(StockMovement.select().where(StockMovement.sku == sku.id))
    assert len(moves) == 2 * UNITS + 1 and moves[-1].balance_after == UNITS

    # The platform's periodic job (the retention purge) ran once per period, not per worker.
    purges = list(ScheduledTask.select().where(ScheduledTask.kind == "core.retention.purge"))
    keys = [t.dedupe_key for t in purges]
    assert purges and len(keys) == len(set(keys))
    assert all(t.attempts <= 1 for t in purges)


def test_a_plugin_switched_on_through_one_process_is_live_on_all_at_once(cluster, ops_app):
    merchant = make_merchant(f"Plugins {uuid.uuid4().hex[:6]}")
    admin = make_account(email=f"admin-{uuid.uuid4().hex[:6]}@x.io", admin=True)
    path = f"/api/v1/merchants/{merchant.id}/hello"
    for app in cluster.apps:  # every process has looked at the store and cached it
        assert requests.get(app.url + path, timeout=10).status_code == 404
    first, *others = cluster.apps
    r = requests.post(
        f"{first.url}/api/v1/admin/merchants/{merchant.id}/plugins/hello/enable",
        json={"config": {"greeting": "欢迎光临"}},
        headers=admin.headers,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    for app in cluster.apps:  # the very next request of each process sees it
        answer = requests.get(app.url + path, timeout=10)
        assert answer.status_code == 200 and answer.json()["greeting"] == "欢迎光临", app.url
    # A change of config through another process, and switching it off, likewise.
    plugin_settings.enable(merchant, "hello", {"greeting": "再见"})
    for app in cluster.apps:
        assert requests.get(app.url + path, timeout=10).json()["greeting"] == "再见"
    r = requests.post(
        f"{others[-1].url}/api/v1/admin/merchants/{merchant.id}/plugins/hello/disable",
        headers=admin.headers,
        timeout=10,
    )
    assert r.status_code == 200, r.text
    for app in cluster.apps:
        assert requests.get(app.url + path, timeout=10).status_code == 404


def test_sign_in_limits_are_counted_across_processes(cluster, ops_app):
    account = make_account(email=f"limited-{uuid.uuid4().hex[:6]}@x.io")
    login = account.user.email

    def attempt(app, password: str) -> int:
        return requests.post(
            f"{app.url}/api/v1/auth/login",
            json={"login": login, "password": password},
            timeout=10,
        ).status_code

    # LOGIN_PAIR_RATE_LIMIT allows 5 failures a minute per account and address: spread over
    # three processes they still add up (each process alone saw at most two).
    codes = [attempt(cluster.apps[i % 3], "wrong-guess-1") for i in range(5)]
    assert codes == [401] * 5
    for app in cluster.apps:
        assert attempt(app, "wrong-guess-1") == 429
