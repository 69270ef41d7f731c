"""The delivery log's purge (webhooks/retention.py): finished deliveries older than the
period go, in batches, through the task queue's hourly job; pending ones and young ones stay."""

from __future__ import annotations

import datetime as dt
import uuid

from mallkit.core import db as dbm
from mallkit.core.tasks import recurring
from mallkit.core.tasks.queue import DONE, PENDING, ScheduledTask
from mallkit.core.tasks.runner import run_due
from mallkit.plugins.webhooks import retention
from mallkit.plugins.webhooks.models import Delivery, Endpoint

DAY = dt.timedelta(days=1)


def _delivery(status: str, age_days: float, attempted_days_ago: float | None = None) -> int:
    now = dbm.utcnow()
    endpoint = Endpoint.get_or_none() or Endpoint.create(
        merchant_id=None, url="https://example.com/hook", secret_salt="s"
    )
    return Delivery.create(
        endpoint_id=endpoint.id,
        event_type="order.paid",
        event_key=f"order.paid:{uuid.uuid4().hex}",
        message_id=f"msg_{uuid.uuid4().hex}",
        body="{}",
        status=status,
        created_at=now - age_days * DAY,
        last_attempt_at=None if attempted_days_ago is None else now - attempted_days_ago * DAY,
    ).id


def _alive(ids) -> set[int]:
    return {d.id for d in Delivery.select(Delivery.id).where(Delivery.id.in_(list(ids)))}


def test_finished_deliveries_older_than_thirty_days_go_and_the_rest_stay(app):
    gone = {
        _delivery("succeeded", 31, attempted_days_ago=31),
        _delivery("failed", 40, attempted_days_ago=39),
        _delivery("failed", 31),  # failed unattempted: its endpoint was switched off
    }
    kept = {
        _delivery("succeeded", 29, attempted_days_ago=29),
        _delivery("failed", 29, attempted_days_ago=28),
        _delivery("pending", 400, attempted_days_ago=1),  # retrying: never deleted
        _delivery("pending", 45),  # waiting for its first attempt
        _delivery("succeeded", 60, attempted_days_ago=2),  # redelivered lately
    }
    assert retention.purge() == 3
    assert _alive(gone | kept) == kept


def test_the_period_is_the_platforms_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_RETENTION_DAYS", 7)
    old, young = _delivery("succeeded", 8), _delivery("succeeded", 6)
    assert retention.purge() == 1
    assert _alive([old, young]) == {young}
    monkeypatch.setitem(app.config, "WEBHOOK_RETENTION_DAYS", "0")  # at least a day
    fresh = _delivery("succeeded", 0.5)
    assert retention.purge() == 1
    assert _alive([young, fresh]) == {fresh}


def test_batches_smaller_than_the_rows_still_delete_them_all(make_app):
    app = make_app(RETENTION_BATCH_SIZE=2)
    with app.app_context():
        old = [_delivery("succeeded", 35) for _ in range(5)]
        pending = _delivery("pending", 35)
        assert retention.purge() == 5
        assert _alive([*old, pending]) == {pending}


def test_the_hourly_purge_is_a_periodic_job_the_workers_run(app):
    assert retention.PURGE_TASK in {h.kind for h in recurring.periodic_handlers()}
    now = dbm.utcnow()
    recurring.ensure_periodic(now=now)
    [task] = ScheduledTask.select().where(ScheduledTask.kind == retention.PURGE_TASK)
    assert task.merchant_id is None and task.run_at <= now
    old, young = _delivery("failed", 31), _delivery("failed", 1)
    run_due(worker_id="w1", now=now + dt.timedelta(minutes=1))
    assert _alive([old, young]) == {young}
    runs = ScheduledTask.select().where(ScheduledTask.kind == retention.PURGE_TASK)
    assert sorted(t.status for t in runs) == [DONE, PENDING]  # and the next hour's is queued


def test_the_purge_finds_old_deliveries_through_an_index_on_their_age(app):
    indexes = {i.name: i.columns for i in dbm.database.get_indexes("webhook_delivery")}
    assert indexes.get("webhook_delivery_created_at") == ["created_at"]
