"""The delivery log's purge (notifications/retention.py): finished e-mail and SMS messages
older than the period go, in batches, through the task queue's hourly job; queued and sending
ones, young ones and the in-app inbox stay."""

from __future__ import annotations

import datetime as dt
import uuid

from mallkit.core import db as dbm
from mallkit.core.tasks import recurring
from mallkit.core.tasks.queue import DONE, PENDING, ScheduledTask
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import make_product, pay_order, place_order, run_tasks, skus_of
from mallkit.plugins.notifications import retention, service
from mallkit.plugins.notifications.models import Message

DAY = dt.timedelta(days=1)


def _message(channel: str, status: str, age_days: float, sent_days_ago: float | None = None):
    now = dbm.utcnow()
    return Message.create(
        user_id=1,
        event="order_paid",
        event_key=f"order_paid:{uuid.uuid4().hex}",
        channel=channel,
        recipient="user:1",
        status=status,
        created_at=now - age_days * DAY,
        sent_at=None if sent_days_ago is None else now - sent_days_ago * DAY,
    ).id


def _alive(ids) -> set[int]:
    return {m.id for m in Message.select(Message.id).where(Message.id.in_(list(ids)))}


def test_the_email_and_sms_log_goes_after_ninety_days_and_the_inbox_stays(app):
    gone = {
        _message("email", "sent", 91, sent_days_ago=91),
        _message("sms", "sent", 100, sent_days_ago=95),
        _message("email", "failed", 91),
        _message("sms", "skipped", 91),  # no phone number
        _message("inbox", "skipped", 91),  # opted out: it never reached an inbox
    }
    kept = {
        _message("email", "sent", 89, sent_days_ago=89),
        _message("sms", "failed", 89),
        _message("sms", "queued", 120),  # waiting for a retry: never deleted
        _message("email", "sending", 120),  # being sent
        _message("email", "sent", 120, sent_days_ago=3),  # sent again lately
        _message("inbox", "sent", 400, sent_days_ago=400),  # a buyer's inbox: kept
        _message("inbox", "skipped", 30),
    }
    assert retention.purge() == 5
    assert _alive(gone | kept) == kept


def test_the_period_is_the_platforms_setting_and_at_least_the_caps_week(app, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_LOG_RETENTION_DAYS", "30")
    old, young = _message("sms", "sent", 31), _message("sms", "sent", 29)
    assert retention.purge() == 1
    assert _alive([old, young]) == {young}
    monkeypatch.setitem(app.config, "NOTIFY_LOG_RETENTION_DAYS", 1)  # the caps count 7 days
    week = _message("email", "sent", 6)
    assert retention.purge() == 1
    assert _alive([young, week]) == {week}


def test_batches_smaller_than_the_rows_still_delete_them_all(make_app):
    app = make_app(RETENTION_BATCH_SIZE=2)
    with app.app_context():
        old = [_message("email", "sent", 95) for _ in range(5)]
        queued = _message("email", "queued", 95)
        inbox = _message("inbox", "sent", 95)
        assert retention.purge() == 5
        assert _alive([*old, queued, inbox]) == {queued, inbox}


def test_the_hourly_purge_is_a_periodic_job_the_workers_run(app):
    assert retention.PURGE_TASK in {h.kind for h in recurring.periodic_handlers()}
    now = dbm.utcnow()
    recurring.ensure_periodic(now=now)
    [task] = ScheduledTask.select().where(ScheduledTask.kind == retention.PURGE_TASK)
    assert task.merchant_id is None and task.run_at <= now
    old, young = _message("sms", "failed", 91), _message("sms", "failed", 1)
    run_due(worker_id="w1", now=now + dt.timedelta(minutes=1))
    assert _alive([old, young]) == {young}
    runs = ScheduledTask.select().where(ScheduledTask.kind == retention.PURGE_TASK)
    assert sorted(t.status for t in runs) == [DONE, PENDING]  # and the next hour's is queued


def test_the_purge_reads_an_index_on_channel_status_and_age(app):
    indexes = {i.name: i.columns for i in dbm.database.get_indexes("notification_message")}
    assert indexes.get("notification_message_channel_status_created_at") == [
        "channel",
        "status",
        "created_at",
    ]


def test_a_paid_orders_mail_goes_a_quarter_later_and_its_inbox_message_stays(
    notify, merchant, buyer, mailbox, client
):
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    assert {(m.channel, m.status) for m in Message.select()} == {
        ("email", "sent"),
        ("inbox", "sent"),
    }
    assert retention.purge(now=dbm.utcnow() + 89 * DAY) == 0
    assert retention.purge(now=dbm.utcnow() + 91 * DAY) == 2  # order_placed's and order_paid's
    assert {m.channel for m in Message.select()} == {"inbox"}
    inbox = client.get("/api/v1/me/notifications", headers=buyer.headers).json
    assert [i["event"] for i in inbox] == ["order_paid", "order_placed"]
    assert service.unread(buyer.user.id) == 2
