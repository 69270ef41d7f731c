"""Alipay end to end through the HTTP API against the simulator: page, wap and precreate,
the return URL, refunds, reconciliation, close on timeout, and every fault refused with
nothing changed."""

from __future__ import annotations

import datetime as dt
import http.client
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization

from mallkit.core.db import utcnow
from mallkit.core.orders.models import Order, OrderEvent, OrderLine
from mallkit.core.payments import registry
from mallkit.core.payments import service as payments
from mallkit.core.payments.models import PaymentAttempt, PaymentLog, Refund
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import concurrently
from mallkit.plugins.payment_alipay.service import CHANNEL
from mallkit.plugins.payment_alipay.simulator import FAULTS
from tests.plugins.payment_alipay.conftest import APP_ID, alipay_config, pay, place

NOTIFY = "/api/v1/payments/notify/alipay/{}"


def pay_events(order):
    return (
        OrderEvent.select()
        .where((OrderEvent.order == order.id) & (OrderEvent.action == "pay"))
        .count()
    )


def fetch(url, method="GET"):
    """One HTTP exchange without following redirects (a browser would go on to the shop)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    conn.request(method, parts.path + ("?" + parts.query if parts.query else ""))
    resp = conn.getresponse()
    out = resp.status, dict(resp.getheaders()), resp.read().decode()
    conn.close()
    return out


def test_precreate_pay_notification_and_duplicates(client, buyer, merchant, shop, alipay):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    assert r.status_code == 201, r.json
    assert r.json["channel_data"]["qr_svg"].startswith("data:image/svg+xml")
    trade = alipay.trades[(APP_ID, r.json["number"])]
    assert trade["total_amount"] == f"{order.total // 100}.{order.total % 100:02d}"
    status, _, page = fetch(r.json["channel_data"]["qr_code"])
    assert status == 200 and "Pay" in page
    fetch(r.json["channel_data"]["qr_code"], "POST")  # the person presses "pay"
    delivery = alipay.outbox.queue[0]
    assert alipay.outbox.deliver_due() == 1
    assert delivery.replies == [(200, b"success")]
    paid = Order.get_by_id(order.id)
    assert paid.status == "paid" and paid.paid_amount == order.total
    assert PaymentAttempt.get_by_id(r.json["id"]).channel_txn_id == trade["trade_no"]
    for _ in range(2):  # Alipay repeats with the same notify_id: acknowledged, nothing changes
        headers, body = alipay.notification(trade)
        reply = client.post(NOTIFY.format(merchant.id), data=body, headers=headers)
        assert reply.get_data() == b"success"
    assert pay_events(order) == 1


@pytest.mark.parametrize("method", ["page", "wap"])
def test_page_and_wap_pay_with_the_return_url(client, buyer, merchant, shop, alipay, method):
    order = place(buyer, shop)
    r = pay(client, buyer, order, method)
    assert r.status_code == 201, r.json
    pay_url = r.json["channel_data"]["pay_url"]
    query = dict(parse_qsl(urlsplit(pay_url).query))
    assert query["method"] == f"alipay.trade.{method}.pay" and query["sign_type"] == "RSA2"
    status, _, page = fetch(pay_url)  # the browser opens the signed gateway URL
    assert status == 200 and "Pay" in page, page
    status, headers, _ = fetch(f"{alipay.public_url}/cashier/{APP_ID}/{r.json['number']}", "POST")
    assert status == 302 and headers["Location"].startswith("https://shop.example.com/paid?")
    back = dict(parse_qsl(urlsplit(headers["Location"]).query))
    url = f"/api/v1/payments/alipay/return/{merchant.id}"
    answer = client.get(url + "?" + urlencode(back))
    assert answer.status_code == 200 and answer.json["status"] == "pending"  # not authoritative
    alipay.outbox.deliver_due()
    assert client.get(url + "?" + urlencode(back)).json["status"] == "paid"
    for bad in ({**back, "total_amount": "0.01"}, {**back, "sign": back["sign"][:-4] + "AAAA"}):
        assert client.get(url + "?" + urlencode(bad)).status_code == 422
    assert Order.get_by_id(order.id).status == "paid"


@pytest.mark.parametrize("fault", FAULTS)
def test_every_notification_fault_is_refused_with_nothing_changed(
    client, buyer, merchant, shop, alipay, fault
):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    trade = alipay.pay(r.json["number"], APP_ID, notify=False)
    headers, body = alipay.notification(trade, fault=fault)
    reply = client.post(NOTIFY.format(merchant.id), data=body, headers=headers)
    assert reply.status_code == 400 and reply.get_data() == b"fail"
    assert Order.get_by_id(order.id).status == "pending_payment"
    assert PaymentAttempt.get_by_id(r.json["id"]).status == "pending"
    verdicts = [p.verdict for p in PaymentLog.select().where(PaymentLog.action == "notify")]
    assert verdicts == (["amount_mismatch"] if fault == "wrong_amount" else ["invalid"])
    headers, body = alipay.notification(trade)
    assert (
        client.post(NOTIFY.format(merchant.id), data=body, headers=headers).get_data() == b"success"
    )
    assert Order.get_by_id(order.id).status == "paid"


def test_fifty_concurrent_duplicate_notifications_make_one_payment(
    app, client, buyer, merchant, shop, alipay
):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    headers, body = alipay.notification(alipay.pay(r.json["number"], APP_ID, notify=False))
    acks = concurrently(
        app, lambda i: payments.handle_notification("alipay", merchant.id, headers, body, {}), 50
    )
    assert all(getattr(a, "body", None) == "success" for a in acks), acks
    assert pay_events(order) == 1


def test_partial_and_full_refunds_then_replays_change_nothing(
    client, owner, buyer, merchant, shop, alipay
):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    trade = alipay.pay(r.json["number"], APP_ID)
    alipay.outbox.deliver_due()
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds"
    r1 = client.post(
        base,
        json={"reason": "damaged", "lines": [{"line_id": lines[0].id, "quantity": 1}]},
        headers=owner.headers,
    )
    assert r1.status_code == 201 and r1.json["status"] == "succeeded", r1.json
    first = Refund.get_by_id(r1.json["id"])
    assert alipay.refunds[(APP_ID, trade["out_trade_no"], first.number)]["refund_amount"] == (
        f"{first.amount // 100}.{first.amount % 100:02d}"
    )
    assert alipay.outbox.deliver_due() == 1  # the refund notification: acknowledged, applied once
    # The same refund sent again (a retried task) moves no money: fund_change N, then a query.
    again = CHANNEL.refund(
        registry.context(merchant, CHANNEL), PaymentAttempt.get_by_id(r.json["id"]), first
    )
    assert again.status == "succeeded" and trade["refund_fee"] * 100 == first.amount
    r2 = client.post(base, json={"reason": "all"}, headers=owner.headers)
    assert r2.status_code == 201 and r2.json["status"] == "succeeded"
    alipay.outbox.deliver_due()
    final = Order.get_by_id(order.id)
    assert final.status == "closed" and final.refunded_amount == final.total
    assert trade["trade_status"] == "TRADE_CLOSED" and trade["refund_fee"] * 100 == final.total
    events = OrderEvent.select().where(OrderEvent.order == order.id).count()
    headers, body = alipay.notification({**trade, "trade_status": "TRADE_SUCCESS"})
    client.post(NOTIFY.format(merchant.id), data=body, headers=headers)
    assert Order.get_by_id(order.id).status == "closed"
    assert OrderEvent.select().where(OrderEvent.order == order.id).count() == events
    assert Refund.select().where(Refund.order == order.id).count() == 2


def test_reconciliation_when_the_notification_never_comes(client, buyer, shop, alipay):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    alipay.pay(r.json["number"], APP_ID, notify=False)
    run_due(worker_id="t", now=utcnow() + dt.timedelta(minutes=3))
    assert Order.get_by_id(order.id).status == "paid"
    assert PaymentLog.get(PaymentLog.action == "query", PaymentLog.verdict == "paid")


def test_close_on_timeout(client, buyer, shop, alipay):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    later = utcnow() + dt.timedelta(minutes=31)
    run_due(worker_id="t", now=later)
    run_due(worker_id="t", now=later)
    assert Order.get_by_id(order.id).status == "cancelled"
    assert alipay.trades[(APP_ID, r.json["number"])]["trade_status"] == "TRADE_CLOSED"
    assert ("alipay.trade.close", "10000") in alipay.requests


def test_gateway_faults_answer_with_nothing_written(client, buyer, merchant, shop, alipay):
    from mallkit.core import plugin_settings
    from mallkit.plugins.payment_alipay.simulator import AlipaySimulator

    order = place(buyer, shop)
    alipay.fail_next(status=500)
    r = pay(client, buyer, order)
    assert r.status_code == 502 and r.json["code"] == "gateway_refused"
    plugin_settings.configure(merchant, "payment_alipay", alipay_config(alipay, timeout=0.3))
    alipay.fail_next(delay=0.6)  # a slow reply times out and is retried
    assert pay(client, buyer, order).status_code == 201
    assert len(alipay.trades) == 1
    alipay.trades.clear()
    PaymentAttempt.delete().execute()
    impostor = AlipaySimulator()
    plugin_settings.configure(
        merchant, "payment_alipay", alipay_config(alipay, alipay_public_key=impostor.public_key_pem)
    )
    r = pay(client, buyer, order)
    assert r.status_code == 502 and r.json["code"] == "gateway_unverified"
    assert_refused_attempt_recorded()


def test_the_simulator_checks_signature_and_gmt8_timestamp(client, buyer, merchant, shop, alipay):
    order = place(buyer, shop)
    try:
        CHANNEL.clock = lambda: time.time() - 3600  # an hour off: the gateway refuses
        r = pay(client, buyer, order)
        assert r.status_code == 502 and r.json["errors"]["gateway"] == ["isv.invalid-timestamp"]
    finally:
        CHANNEL.clock = time.time
    from mallkit.core import plugin_settings
    from mallkit.plugins.payment_alipay.simulator import AlipaySimulator

    stranger = AlipaySimulator()  # any other RSA key signs the request
    pem = stranger.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    plugin_settings.configure(
        merchant, "payment_alipay", alipay_config(alipay, app_private_key=pem)
    )
    r = pay(client, buyer, order)
    assert r.status_code == 502 and r.json["errors"]["gateway"] == ["isv.invalid-signature"]
    assert_refused_attempt_recorded()
    assert not alipay.trades


def test_switched_off_or_misconfigured(client, admin, buyer, merchant, shop, sim):
    from mallkit.core.plugin_store import MerchantPlugin

    assert pay(client, buyer, place(buyer, shop)).status_code == 404
    assert client.post(NOTIFY.format(merchant.id), data=b"a=1").status_code == 404
    assert client.get(f"/api/v1/payments/alipay/return/{merchant.id}?a=1").status_code == 404
    url = f"/api/v1/admin/merchants/{merchant.id}/plugins/payment_alipay/enable"
    for bad in (
        {"app_private_key": "A" * 200},
        {"alipay_public_key": "B" * 200},
        {"app_id": "2021"},
        {"seller_id": "1"},
    ):
        r = client.post(url, json={"config": alipay_config(sim, **bad)}, headers=admin.headers)
        assert r.status_code == 422, (bad, r.json)
        assert MerchantPlugin.select().count() == 0


def test_only_the_exact_reply_success_stops_the_retries(client, buyer, merchant, shop, alipay):
    from mallkit.plugins.payment_alipay.simulator import RETRY_LADDER

    order = place(buyer, shop)
    r = pay(client, buyer, order)
    alipay.outbox.sender = lambda *a: (200, b"SUCCESS")  # not the exact body: Alipay retries
    alipay.pay(r.json["number"], APP_ID)
    (delivery,) = alipay.outbox.run_ladder()
    assert delivery.attempts == len(RETRY_LADDER) + 1 == 8
    assert Order.get_by_id(order.id).status == "pending_payment"


def test_a_refund_alipay_refuses_fails_and_releases_its_reserve(
    client, owner, buyer, merchant, shop, alipay
):
    from decimal import Decimal

    order = place(buyer, shop)
    r = pay(client, buyer, order)
    trade = alipay.pay(r.json["number"], APP_ID)
    alipay.outbox.deliver_due()
    trade["refund_fee"] = Decimal(trade["total_amount"])  # refunded elsewhere: nothing left
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds"
    r = client.post(base, json={"reason": "all"}, headers=owner.headers)
    assert r.status_code == 201 and r.json["status"] == "failed", r.json
    assert Refund.get_by_id(r.json["id"]).failure == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    assert Order.get_by_id(order.id).refunded_amount == 0
    trade["refund_fee"] = Decimal("0")
    alipay.fail_next(status=503)  # the gateway is down: left to the refund task
    r = client.post(base, json={"reason": "all"}, headers=owner.headers)
    assert r.status_code == 201 and r.json["status"] == "pending"
    run_due(worker_id="t", now=utcnow() + dt.timedelta(minutes=5))
    assert Refund.get_by_id(r.json["id"]).status == "succeeded"
    assert Order.get_by_id(order.id).status == "closed"


def assert_refused_attempt_recorded():
    """A refusal at creation leaves the attempt failed (never payable) and a log row."""
    from mallkit.core.payments.models import PaymentLog

    last = PaymentAttempt.select().order_by(PaymentAttempt.id.desc()).get()
    assert last.status == "failed" and not last.channel_data
    assert PaymentAttempt.select().where(PaymentAttempt.status == "pending").count() == 0
    refused = PaymentLog.select().where(
        (PaymentLog.verdict == "refused") & (PaymentLog.reference == last.number)
    )
    assert refused.count() == 1
