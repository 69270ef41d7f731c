"""Crash safety on PostgreSQL: an app process killed (SIGKILL) in the middle of a checkout
leaves no partial order and no stock lost; a task worker killed in the middle of a task
leaves it to be run again by another worker, and its effect happens once.

"In the middle" is made certain, not hoped for: the test holds a row lock the transaction
needs (the SKU's for the checkout, the order's for the task), waits until PostgreSQL shows
the process's transaction blocked behind it (``pg_blocking_pids``), then kills the process.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid

import psycopg
import requests

from mallkit.core.catalog.models import Sku, StockMovement
from mallkit.core.idempotency import IdempotencyKey
from mallkit.core.orders.models import Order, OrderEvent
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.testing import (
    TEST_ADDRESS,
    make_account,
    make_merchant,
    make_product,
    place_order,
    skus_of,
)
from tests.ops.conftest import LEASE_SECONDS


def _locker(cluster):
    """A connection of the test's own, on the cluster's schema."""
    base, _, query = cluster.url.partition("?")
    schema = dict(p.split("=", 1) for p in query.split("&"))["search_path"]
    conn = psycopg.connect(base, options=f"-c search_path={schema}")
    return conn


def _blocked_by(conn, timeout: float = 30) -> int:
    """The backend pid waiting on a lock ``conn`` holds (the victim's transaction)."""
    mine = conn.info.backend_pid
    deadline = time.monotonic() + timeout
    with psycopg.connect(conn.info.dsn, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            rows = watcher.execute(
                "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                (mine,),
            ).fetchall()
            if rows:
                return rows[0][0]
            time.sleep(0.05)
    raise AssertionError("nothing blocked on the test's lock")


def _gone(dsn: str, pid: int, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as watcher:
        while time.monotonic() < deadline:
            if not watcher.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone():
                return True
            time.sleep(0.1)
    return False


def test_an_app_process_killed_mid_checkout_leaves_no_partial_order(cluster, ops_app):
    merchant = make_merchant(f"Crash {uuid.uuid4().hex[:6]}")
    sku = skus_of(make_product(merchant, "易碎品", prices=(4500,), stocks=(10,)))[0]
    buyer = make_account(email=f"crash-{uuid.uuid4().hex[:6]}@x.io")
    body = {"items": [{"sku_id": sku.id, "quantity": 3}], "address": TEST_ADDRESS}
    headers = {**buyer.headers, "Idempotency-Key": "crash-order-1"}
    victim = cluster.apps[0]
    victim_pid = victim.worker_pid()

    lock = _locker(cluster)
    lock.execute("SELECT stock FROM sku WHERE id = %s FOR UPDATE", (sku.id,))
    outcome: dict[str, object] = {}

    def place() -> None:
        try:
            outcome["response"] = requests.post(
                f"{victim.url}/api/v1/checkout/place", json=body, headers=headers, timeout=60
            )
        except requests.RequestException as exc:
            outcome["error"] = exc

    client = threading.Thread(target=place)
    client.start()
    backend = _blocked_by(lock)  # the checkout's transaction: order written, stock next
    os.kill(victim_pid, signal.SIGKILL)
    client.join(timeout=30)
    lock.rollback()  # the dead process's transaction may go on now: it must roll back
    lock.close()
    assert _gone(cluster.url.partition("?")[0], backend)
    assert "error" in outcome, outcome  # the client never got an answer

    assert not Order.select().where(Order.buyer == buyer.user.id).exists()
    assert not IdempotencyKey.select().where(IdempotencyKey.user_id == buyer.user.id).exists()
    assert Sku.get_by_id(sku.id).stock == 10
    assert StockMovement.select().where(StockMovement.sku == sku.id).count() == 1  # received

    # The client retries with its key on another process: one order; again: the same one.
    retry = requests.post(
        f"{cluster.apps[1].url}/api/v1/checkout/place", json=body, headers=headers, timeout=30
    )
    assert retry.status_code == 201, retry.text
    again = requests.post(
        f"{cluster.apps[2].url}/api/v1/checkout/place", json=body, headers=headers, timeout=30
    )
    assert again.status_code == 201 and again.json() == retry.json()
    assert Order.select().where(Order.buyer == buyer.user.id).count() == 1
    assert Sku.get_by_id(sku.id).stock == 7

    # gunicorn replaced the killed worker: the process serves again.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{victim.url}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    assert victim.worker_pid() != victim_pid


def test_a_worker_killed_mid_task_leaves_it_to_another_and_its_effect_happens_once(
    cluster, ops_app
):
    merchant = make_merchant(f"Crash task {uuid.uuid4().hex[:6]}")
    sku = skus_of(make_product(merchant, "限时款", prices=(3000,), stocks=(5,)))[0]
    buyer = make_account(email=f"crash-task-{uuid.uuid4().hex[:6]}@x.io")
    order = place_order(buyer, [(sku, 2)])
    assert Sku.get_by_id(sku.id).stock == 3
    task = ScheduledTask.get(
        (ScheduledTask.kind == "order.auto_cancel")
        & (ScheduledTask.dedupe_key.endswith(f":{order.id}"))
    )

    lock = _locker(cluster)
    lock.execute("SELECT status FROM orders WHERE id = %s FOR UPDATE", (order.id,))
    ScheduledTask.update(run_at=ScheduledTask.created_at).where(
        ScheduledTask.id == task.id
    ).execute()  # due now: a worker claims it and its handler waits for the order's row
    backend = _blocked_by(lock)
    holder = ScheduledTask.get_by_id(task.id)
    assert holder.status == "running" and holder.attempts == 1
    victim_pid = int(holder.locked_by.split(":")[1])
    victim = next(w for w in cluster.workers if w.pid == victim_pid)
    os.kill(victim_pid, signal.SIGKILL)
    victim.wait(timeout=10)
    lock.rollback()
    lock.close()
    assert _gone(cluster.url.partition("?")[0], backend)
    cluster.workers.remove(victim)
    cluster.start_worker()  # as a supervisor would

    # Nothing of the killed attempt stayed; once its lease ran out another worker ran it.
    deadline = time.monotonic() + LEASE_SECONDS + 30
    while time.monotonic() < deadline:
        if ScheduledTask.get_by_id(task.id).status == "done":
            break
        time.sleep(0.2)
    rerun = ScheduledTask.get_by_id(task.id)
    assert rerun.status == "done" and rerun.attempts == 2, rerun.__data__
    assert rerun.locked_by != holder.locked_by
    assert Order.get_by_id(order.id).status == "cancelled"
    cancelled = OrderEvent.select().where(
        (OrderEvent.order == order.id) & (OrderEvent.to_status == "cancelled")
    )
    assert cancelled.count() == 1
    assert Sku.get_by_id(sku.id).stock == 5  # put back once, not twice
    assert StockMovement.select().where(StockMovement.sku == sku.id).count() == 3
