"""Order events reach people: e-mail through a real SMTP server, SMS through the gateway
simulator, the in-app inbox — once each, with retries, opt-outs and quiet hours."""

from __future__ import annotations

import datetime as dt
import threading

from mallkit.core import db as dbm
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.tasks.worker import Worker
from mallkit.core.testing import (
    make_product,
    pay_order,
    place_order,
    refund_order,
    run_tasks,
    skus_of,
)
from mallkit.plugins.notifications import service
from mallkit.plugins.notifications.models import Message, OptOut


def by(event, channel=None):
    query = Message.select().where(Message.event == event)
    if channel:
        query = query.where(Message.channel == channel)
    return list(query.order_by(Message.id))


def ship(order):
    orders.ship(Order.get_by_id(order.id), Actor("staff"), carrier="SF", tracking_number="SF1")


def test_a_paid_and_shipped_order_is_mailed_texted_and_in_the_inbox(
    notify, merchant, buyer, mailbox, texts, client
):
    (sku,) = skus_of(make_product(merchant, "香薰蜡烛", prices=(19900,)))
    order = place_order(buyer, [(sku, 1)])
    assert not mailbox.mails  # nothing leaves before the workers run
    pay_order(order)
    ship(order)
    run_tasks()
    mails = mailbox.to(buyer.user.email)
    subjects = sorted(m["Subject"] for m in mails)
    assert any(order.number in s and "支付成功" in s for s in subjects), subjects
    assert any("已发货" in s for s in subjects) and any("已提交" in s for s in subjects)
    paid_mail = next(m for m in mails if "支付成功" in m["Subject"])
    assert "¥199.00" in paid_mail.get_payload(decode=True).decode()
    assert paid_mail["Message-ID"].startswith("<mallkit.")
    (sms,) = texts.received("13900000001")
    assert order.number in sms["text"] and "已发货" in sms["text"]
    assert {m.status for m in Message.select()} == {"sent"}
    assert by("order_shipped", "sms")[0].provider_ref == sms["id"]
    inbox = client.get("/api/v1/me/notifications", headers=buyer.headers).json
    assert [i["event"] for i in inbox] == ["order_shipped", "order_paid", "order_placed"]
    assert client.get("/api/v1/me/notifications/unread-count", headers=buyer.headers).json == {
        "unread": 3
    }


def test_nothing_is_queued_for_a_store_without_the_plugin(
    app, merchant, buyer, mailbox, smtp_server
):
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    assert Message.select().count() == 0 and not mailbox.mails


def test_a_refund_is_told_with_its_amount(notify, merchant, buyer, mailbox, texts):
    (sku,) = skus_of(make_product(merchant, prices=(5000,)))
    order = pay_order(place_order(buyer, [(sku, 2)]))
    line = order.lines[0]
    refund_order(order, {line: 1})
    run_tasks()
    (mail,) = [m for m in mailbox.to(buyer.user.email) if "退款" in m["Subject"]]
    assert "¥50.00" in mail.get_payload(decode=True).decode()
    assert any("¥50.00" in t["text"] for t in texts.received())


class _MeetInSend:
    """A channel whose first send on each thread waits until two threads are sending at
    once: both workers then hold a message each, whatever the scheduler favours."""

    def __init__(self, channel):
        self.channel = channel
        self.barrier = threading.Barrier(2, timeout=30)
        self.seen: set[int] = set()
        self.lock = threading.Lock()

    def send(self, message):
        with self.lock:
            first = threading.get_ident() not in self.seen
            self.seen.add(threading.get_ident())
        if first:
            self.barrier.wait()
        return self.channel.send(message)


def test_each_message_is_sent_exactly_once_by_two_workers(
    notify, app, merchant, buyer, mailbox, texts, monkeypatch
):
    from mallkit.plugins.notifications.channels import CHANNELS

    meet = _MeetInSend(CHANNELS["email"])
    monkeypatch.setitem(CHANNELS, "email", meet)
    (sku,) = skus_of(make_product(merchant, prices=(1000,), stocks=(1000,)))
    placed = [place_order(buyer, [(sku, 1)]) for _ in range(12)]
    for order in placed:
        ship(pay_order(order))
    # the same event published again after it ran, as a retried hook would
    with dbm.transaction():
        service.publish(
            "order_paid", merchant.id, f"order_paid:{placed[0].id}", order_id=placed[0].id
        )
    # One task a claim, so the two workers take turns at the same rows all along.
    workers = [Worker(app, interval=0.05, worker_id=f"w{i}", batch_size=1) for i in range(2)]
    for w in workers:
        w.start()
    try:
        deadline = dt.datetime.now() + dt.timedelta(seconds=60)
        while dt.datetime.now() < deadline:
            live = (
                ScheduledTask.select()
                .where(
                    ScheduledTask.kind.startswith("notifications.")
                    & ScheduledTask.status.in_(("pending", "running"))
                    & (ScheduledTask.run_at <= dbm.utcnow())
                )
                .count()
            )
            if live == 0:
                break
            threading.Event().wait(0.1)
    finally:
        for w in workers:
            w.stop()
    by_channel = {}
    for channel in ("email", "sms", "inbox"):
        by_channel[channel] = Message.select().where(Message.channel == channel).count()
    assert by_channel == {"email": 12 * 3, "sms": 12, "inbox": 12 * 3}
    assert {m.status for m in Message.select()} == {"sent"}
    mails = mailbox.to(buyer.user.email)
    assert len(mails) == 36
    assert len({m["Message-ID"] for m in mails}) == 36  # no message twice
    assert len(texts.received("13900000001")) == 12
    locked_by = {
        t.locked_by
        for t in ScheduledTask.select().where(
            ScheduledTask.kind.startswith("notif") & (ScheduledTask.status == "done")
        )
    }
    assert locked_by == {"w0", "w1"}
    # Both workers took part, at the same time: two threads met sending (the barrier held
    # the first until the second arrived).
    assert len(meet.seen) == 2 and not meet.barrier.broken


def test_a_gateway_error_is_retried_with_backoff_until_it_goes_through(
    notify, merchant, buyer, texts
):
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    order = pay_order(place_order(buyer, [(sku, 1)]))
    texts.fail_next(2)
    ship(order)
    run_tasks()
    (sms,) = by("order_shipped", "sms")
    assert sms.status == "queued" and "503" in sms.last_error and sms.attempts == 1
    task = ScheduledTask.get(ScheduledTask.dedupe_key == f"{service.DELIVER_TASK}:{sms.id}")
    assert task.status == "pending" and task.run_at > dbm.utcnow()
    run_tasks(at=dbm.utcnow() + dt.timedelta(hours=1))
    run_tasks(at=dbm.utcnow() + dt.timedelta(hours=3))
    sms = Message.get_by_id(sms.id)
    assert sms.status == "sent" and sms.attempts == 3 and sms.last_error == ""
    assert len(texts.received()) == 1


def test_a_message_that_keeps_failing_is_marked_failed_and_can_be_sent_again(
    notify, app, merchant, owner, buyer, client, mailbox, smtp_server
):
    port = app.config["NOTIFY_SMTP_PORT"]
    app.config["NOTIFY_MAX_ATTEMPTS"] = 2
    app.config["NOTIFY_SMTP_PORT"] = 1  # nothing listens there
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    place_order(buyer, [(sku, 1)])
    later = dbm.utcnow()
    for _ in range(3):
        later += dt.timedelta(hours=2)
        run_tasks(at=later)
    (mail,) = by("order_placed", "email")
    assert mail.status == "failed" and mail.attempts == 2 and "SMTP" in mail.last_error
    log = client.get(
        f"/api/v1/merchants/{merchant.id}/notifications/messages?status=failed",
        headers=owner.headers,
    )
    assert [m["id"] for m in log.json] == [mail.id]
    app.config["NOTIFY_SMTP_PORT"] = port
    url = f"/api/v1/merchants/{merchant.id}/notifications/messages/{mail.id}/redeliver"
    assert client.post(url, headers=buyer.headers).status_code == 404
    r = client.post(url, headers=owner.headers)
    assert r.status_code == 200 and r.json["status"] == "queued"
    run_tasks(at=later)
    assert Message.get_by_id(mail.id).status == "sent"
    assert len(mailbox.to(buyer.user.email)) == 1
    again = client.post(url, headers=owner.headers)
    assert again.status_code == 422 and again.json["code"] == "not_failed"


def test_opted_out_channels_are_skipped_and_logged(notify, merchant, buyer, client, mailbox):
    r = client.put(
        "/api/v1/me/notifications/preferences",
        json={"email": {"transactional": False}},
        headers=buyer.headers,
    )
    assert r.status_code == 200 and r.json["email"] == {"transactional": False, "marketing": True}
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    assert not mailbox.to(buyer.user.email)
    (mail,) = by("order_paid", "email")
    assert mail.status == "skipped" and mail.last_error == "opted out"
    assert by("order_paid", "inbox")[0].status == "sent"
    assert OptOut.select().count() == 1


def test_sms_waits_for_the_end_of_the_stores_quiet_hours(
    notify, merchant, buyer, texts, enable_plugin
):
    Merchant.update(timezone="UTC").where(Merchant.id == merchant.id).execute()
    now = dbm.utcnow()
    start = (now - dt.timedelta(hours=1)).strftime("%H:%M")
    end_at = now + dt.timedelta(hours=2)
    window = f"{start}-{end_at.strftime('%H:%M')}"
    with enable_plugin("notifications", merchant, {"sms_quiet_hours": window}):
        (sku,) = skus_of(make_product(merchant, prices=(1000,)))
        ship(pay_order(place_order(buyer, [(sku, 1)])))
        run_tasks()
        (sms,) = by("order_shipped", "sms")
        assert sms.status == "queued" and not texts.received()
        assert abs((sms.send_after - end_at.replace(second=0, microsecond=0)).total_seconds()) < 60
        run_tasks(at=sms.send_after + dt.timedelta(seconds=1))
        assert Message.get_by_id(sms.id).status == "sent" and len(texts.received()) == 1


def test_the_unpaid_reminder_comes_before_the_automatic_cancel(notify, merchant, buyer, texts):
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    order = place_order(buyer, [(sku, 1)])
    cancel = ScheduledTask.get(ScheduledTask.dedupe_key == f"order.auto_cancel:{order.id}")
    reminder = ScheduledTask.get(ScheduledTask.dedupe_key == f"{service.REMINDER_TASK}:{order.id}")
    assert reminder.run_at == cancel.run_at - dt.timedelta(minutes=10)
    run_tasks(at=reminder.run_at + dt.timedelta(seconds=1))
    (sms,) = texts.received()
    assert "10分钟后自动取消" in sms["text"]
    # a paid order is not reminded
    paid = pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks(at=reminder.run_at + dt.timedelta(minutes=5))
    assert not by("order_unpaid_reminder", "inbox")[-1].event_key.endswith(f":{paid.id}")


def test_low_stock_is_told_to_the_stores_owner_and_managers(
    notify, merchant, owner, buyer, mailbox
):
    (sku,) = skus_of(make_product(merchant, "库存预警", prices=(1000,), stocks=(6,)))
    from mallkit.core.catalog.models import Sku

    Sku.update(low_stock_threshold=5).where(Sku.id == sku.id).execute()
    place_order(buyer, [(sku, 2)])
    run_tasks()
    (mail,) = [m for m in mailbox.to(owner.user.email) if "库存不足" in m["Subject"]]
    assert "库存剩 4" in mail.get_payload(decode=True).decode()
    assert by("low_stock", "inbox")[0].user_id == owner.user.id


def test_each_delivery_verdict_is_counted_in_the_metrics(notify, client, merchant, buyer):
    from tests.core.test_observability import _sample

    before = client.get("/metrics").get_data(as_text=True)
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    after = client.get("/metrics").get_data(as_text=True)

    def delta(channel, verdict):
        labels = {"channel": channel, "verdict": verdict}
        return _sample(after, "mallkit_notifications_total", **labels) - _sample(
            before, "mallkit_notifications_total", **labels
        )

    assert delta("email", "sent") == 2 and delta("in_app", "sent") == 2
