"""WeChat Pay end to end through the HTTP API against the simulator: every mode, refunds,
reconciliation, close on timeout, and every fault answered with nothing changed."""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from mallkit.core.db import utcnow
from mallkit.core.orders.models import Order, OrderEvent, OrderLine
from mallkit.core.payments import registry
from mallkit.core.payments import service as payments
from mallkit.core.payments.models import PaymentAttempt, PaymentLog, Refund
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import concurrently
from mallkit.plugins.payment_wechat.service import CHANNEL
from mallkit.plugins.payment_wechat.simulator import FAULTS
from tests.plugins.payment_wechat.conftest import (
    MCHID,
    merchant_key_pem,
    pay,
    place,
    wechat_config,
)

NOTIFY = "/api/v1/payments/notify/wechat/{}"


def paid_order(client, buyer, shop, sim, quantities=(2, 1)):
    order = place(buyer, shop, quantities)
    r = pay(client, buyer, order)
    assert r.status_code == 201, r.json
    sim.pay(r.json["number"], MCHID)
    assert sim.outbox.deliver_due() == 1
    assert Order.get_by_id(order.id).status == "paid"
    return Order.get_by_id(order.id), r.json


def pay_events(order):
    return (
        OrderEvent.select()
        .where((OrderEvent.order == order.id) & (OrderEvent.action == "pay"))
        .count()
    )


def test_native_pay_notification_and_duplicates(client, buyer, merchant, shop, wechat):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    assert r.status_code == 201, r.json
    data = r.json["channel_data"]
    assert data["code_url"].startswith(wechat.public_url + "/cashier/")
    assert data["qr_svg"].startswith("data:image/svg+xml")
    trade = wechat.transactions[(MCHID, r.json["number"])]
    assert trade["amount"]["total"] == order.total and trade["trade_type"] == "NATIVE"
    # The cashier page: a person presses "pay".
    page = urllib.request.urlopen(data["code_url"], timeout=5).read().decode()
    assert "Pay" in page
    urllib.request.urlopen(
        urllib.request.Request(data["code_url"], data=b"", method="POST"), timeout=5
    ).read()
    delivery = wechat.outbox.queue[0]
    assert wechat.outbox.deliver_due() == 1
    assert delivery.replies == [(204, b"")]
    paid = Order.get_by_id(order.id)
    assert paid.status == "paid" and paid.paid_amount == order.total
    attempt = PaymentAttempt.get_by_id(r.json["id"])
    assert attempt.channel_txn_id == trade["transaction_id"]
    # WeChat may deliver again after success: acknowledged, nothing changes.
    for _ in range(2):
        headers, body = wechat.notification("transaction", trade)
        again = client.post(NOTIFY.format(merchant.id), data=body, headers=headers)
        assert again.status_code == 204
    assert pay_events(order) == 1


def test_jsapi_h5_and_app_modes(client, buyer, merchant, shop, wechat):
    public = serialization.load_pem_private_key(merchant_key_pem().encode(), None).public_key()
    order = place(buyer, shop)
    before = PaymentAttempt.select().count()
    r = pay(client, buyer, order, "jsapi")
    assert r.status_code == 422 and "openid" in json.dumps(r.json["errors"])
    assert PaymentAttempt.select().count() == before
    r = pay(client, buyer, order, "jsapi", openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    assert r.status_code == 201, r.json
    inv = r.json["channel_data"]["invoke"]
    assert inv["package"] == f"prepay_id={r.json['channel_data']['prepay_id']}"
    message = f"{inv['appId']}\n{inv['timeStamp']}\n{inv['nonceStr']}\n{inv['package']}\n"
    public.verify(
        base64.b64decode(inv["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    r = pay(client, buyer, order, "app")
    inv = r.json["channel_data"]["invoke"]
    message = f"{inv['appid']}\n{inv['timestamp']}\n{inv['noncestr']}\n{inv['prepayid']}\n"
    public.verify(
        base64.b64decode(inv["sign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    r = pay(client, buyer, order, "h5", client_ip="203.0.113.7")
    assert r.status_code == 201 and r.json["channel_data"]["h5_url"].startswith("http")
    number = r.json["number"]
    assert wechat.transactions[(MCHID, number)]["trade_type"] == "H5"
    wechat.pay(number, MCHID)
    wechat.outbox.deliver_due()
    assert Order.get_by_id(order.id).status == "paid"
    assert PaymentAttempt.get(PaymentAttempt.number == number).status == "paid"


def test_h5_takes_the_payer_address_from_the_request_and_returns_to_the_store(
    client, buyer, merchant, shop, wechat
):
    """A browser cannot know its own address: without ``client_ip`` the request's is sent.
    The cashier sends the buyer back to ``redirect_url`` after paying, like WeChat's H5."""
    order = place(buyer, shop)
    r = pay(client, buyer, order, "h5")
    assert r.status_code == 201, r.json
    number = r.json["number"]
    trade = wechat.transactions[(MCHID, number)]
    assert trade["scene_info"]["payer_client_ip"] == "127.0.0.1"
    back = "http://shop.example/shop/pay/result"
    cashier = r.json["channel_data"]["h5_url"] + "?redirect_url=" + urllib.parse.quote(back)
    assert "返回商家" not in urllib.request.urlopen(cashier, timeout=5).read().decode()
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(urllib.request.Request(cashier, data=b"", method="POST"), timeout=5)
    assert answer.value.code == 302 and answer.value.headers["Location"] == back
    assert wechat.transactions[(MCHID, number)]["trade_state"] == "SUCCESS"
    wechat.outbox.deliver_due()
    assert Order.get_by_id(order.id).status == "paid"
    # paid already: the page says so and links back; a second press pays nothing twice
    page = urllib.request.urlopen(cashier, timeout=5).read().decode()
    assert "返回商家" in page and "Pay</button>" not in page


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.parametrize("fault", FAULTS)
def test_every_notification_fault_is_refused_with_nothing_changed(
    client, buyer, merchant, shop, wechat, fault
):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    trade = wechat.pay(r.json["number"], MCHID, notify=False)
    headers, body = wechat.notification("transaction", trade, fault=fault)
    reply = client.post(NOTIFY.format(merchant.id), data=body, headers=headers)
    assert reply.status_code == 400
    assert reply.json["code"] == "FAIL" and reply.json["message"]
    assert Order.get_by_id(order.id).status == "pending_payment"
    assert PaymentAttempt.get_by_id(r.json["id"]).status == "pending"
    verdicts = [p.verdict for p in PaymentLog.select().where(PaymentLog.action == "notify")]
    assert verdicts == (["amount_mismatch"] if fault == "wrong_amount" else ["invalid"])
    # The genuine notification still goes through afterwards.
    headers, body = wechat.notification("transaction", trade)
    assert client.post(NOTIFY.format(merchant.id), data=body, headers=headers).status_code == 204
    assert Order.get_by_id(order.id).status == "paid"


def test_fifty_concurrent_duplicate_notifications_make_one_payment(
    app, client, buyer, merchant, shop, wechat
):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    trade = wechat.pay(r.json["number"], MCHID, notify=False)
    headers, body = wechat.notification("transaction", trade)
    acks = concurrently(
        app, lambda i: payments.handle_notification("wechat", merchant.id, headers, body, {}), 50
    )
    assert all(getattr(a, "status", None) == 204 for a in acks), acks
    assert pay_events(order) == 1
    verdicts = [p.verdict for p in PaymentLog.select().where(PaymentLog.action == "notify")]
    assert verdicts.count("paid") == 1 and verdicts.count("duplicate") == 49


def test_partial_and_full_refunds_then_a_replay_changes_nothing(
    client, owner, buyer, merchant, shop, wechat
):
    order, attempt = paid_order(client, buyer, shop, wechat)
    trade = wechat.transactions[(MCHID, attempt["number"])]
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds"
    r = client.post(
        base,
        json={"reason": "damaged", "lines": [{"line_id": lines[0].id, "quantity": 1}]},
        headers=owner.headers,
    )
    assert r.status_code == 201 and r.json["status"] == "pending", r.json
    first = Refund.get_by_id(r.json["id"])
    sim_refund = wechat.refunds[(MCHID, first.number)]
    assert (
        sim_refund["amount"]["refund"] == first.amount
        and sim_refund["out_trade_no"] == (attempt["number"])
    )
    assert wechat.outbox.deliver_due() == 1
    assert Refund.get_by_id(first.id).status == "succeeded"
    assert Order.get_by_id(order.id).refund_status == "partial"
    # The refund task retrying the same refund sends the same out_refund_no: no second refund.
    assert (
        CHANNEL.refund(
            registry.context(merchant, CHANNEL), PaymentAttempt.get_by_id(attempt["id"]), first
        ).channel_refund_id
        == (sim_refund["refund_id"])
    )
    assert len(wechat.refunds) == 1
    r = client.post(base, json={"reason": "all"}, headers=owner.headers)
    assert r.status_code == 201
    wechat.outbox.deliver_due()
    final = Order.get_by_id(order.id)
    assert final.status == "closed" and final.refunded_amount == final.total
    assert sum(r["amount"]["refund"] for r in wechat.refunds.values()) == final.total
    events = OrderEvent.select().where(OrderEvent.order == order.id).count()
    # Replays of the payment and refund notifications after the refund change nothing.
    for kind, record in (("transaction", trade), ("refund", sim_refund)):
        headers, body = wechat.notification(kind, record)
        assert client.post(NOTIFY.format(merchant.id), data=body, headers=headers).status_code in (
            204,
            400,
        )
    assert Order.get_by_id(order.id).status == "closed"
    assert OrderEvent.select().where(OrderEvent.order == order.id).count() == events
    assert Refund.select().where(Refund.order == order.id).count() == 2


def test_reconciliation_when_the_notification_never_comes(client, buyer, shop, wechat):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    run_due(worker_id="t", now=utcnow() + dt.timedelta(minutes=3))
    assert Order.get_by_id(order.id).status == "pending_payment"  # NOTPAY at the gateway
    wechat.pay(r.json["number"], MCHID, notify=False)
    run_due(worker_id="t", now=utcnow() + dt.timedelta(minutes=10))
    assert Order.get_by_id(order.id).status == "paid"
    assert PaymentAttempt.get_by_id(r.json["id"]).channel_txn_id
    assert PaymentLog.get(PaymentLog.action == "query", PaymentLog.verdict == "paid")


def test_close_on_timeout(client, buyer, shop, wechat):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    later = utcnow() + dt.timedelta(minutes=31)
    run_due(worker_id="t", now=later)
    run_due(worker_id="t", now=later)
    assert Order.get_by_id(order.id).status == "cancelled"
    assert PaymentAttempt.get_by_id(r.json["id"]).status == "closed"
    assert wechat.transactions[(MCHID, r.json["number"])]["trade_state"] == "CLOSED"
    assert ("POST", f"/v3/pay/transactions/out-trade-no/{r.json['number']}/close", 204) in (
        wechat.requests
    )


@pytest.mark.parametrize("status", [500, 429])
def test_gateway_errors_answer_502_and_leave_a_failed_attempt(client, buyer, shop, wechat, status):
    order = place(buyer, shop)
    wechat.fail_next(status=status)
    r = pay(client, buyer, order)
    assert r.status_code == 502 and r.json["code"] == "gateway_refused"
    assert_refused_attempt_recorded()
    assert pay(client, buyer, order).status_code == 201


def test_slow_replies_are_retried_as_network_errors(app, client, buyer, merchant, shop, wechat):
    from mallkit.core import plugin_settings

    plugin_settings.configure(merchant, "payment_wechat", wechat_config(wechat, timeout=0.3))
    order = place(buyer, shop)
    wechat.fail_next(delay=0.6)
    r = pay(client, buyer, order)
    assert r.status_code == 201, r.json
    assert len(wechat.transactions) == 1
    wechat.fail_next(3, delay=0.6)  # every retry times out
    r = pay(client, buyer, place(buyer, shop, (1,)))
    assert r.status_code == 503 and r.json["code"] == "gateway_unavailable"


def test_responses_that_do_not_verify_are_refused(client, buyer, merchant, shop, wechat):
    from mallkit.core import plugin_settings
    from mallkit.plugins.payment_wechat.simulator import WeChatPaySimulator

    impostor = WeChatPaySimulator()
    plugin_settings.configure(
        merchant,
        "payment_wechat",
        wechat_config(wechat, wechatpay_public_key=impostor.public_key_pem),
    )
    r = pay(client, buyer, place(buyer, shop))
    assert r.status_code == 502 and r.json["code"] == "gateway_unverified"
    assert_refused_attempt_recorded()


def test_the_simulator_checks_headers_and_signatures(wechat):
    url = wechat.public_url + f"/v3/pay/transactions/out-trade-no/P1?mchid={MCHID}"

    def status(headers):
        try:
            return urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=5
            ).status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert status({"User-Agent": "x"}) == 400  # no Accept
    assert status({"Accept": "application/json", "User-Agent": ""}) == 400
    auth = (
        'WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="N",signature="AAAA",'
        'timestamp="1",serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"'
    )
    assert status({"Accept": "application/json", "User-Agent": "x", "Authorization": auth}) == 401


def test_switched_off_or_misconfigured(client, admin, owner, buyer, merchant, shop, sim):
    from mallkit.core.plugin_store import MerchantPlugin

    # A store without the plugin: no channel, and its notify URL reaches nothing.
    assert pay(client, buyer, place(buyer, shop)).status_code == 404
    headers, body = {"Wechatpay-Serial": "x"}, b"{}"
    assert client.post(NOTIFY.format(merchant.id), data=body, headers=headers).status_code == 404
    url = f"/api/v1/admin/merchants/{merchant.id}/plugins/payment_wechat/enable"
    broken_pem = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
    for bad in (
        {"private_key": broken_pem},
        {"wechatpay_public_key": broken_pem.replace("PRIVATE", "PUBLIC")},
        {"mchid": "19x"},
        {"apiv3_key": "short"},
        {"wechatpay_public_key": "", "wechatpay_public_key_id": ""},
    ):
        r = client.post(url, json={"config": wechat_config(sim, **bad)}, headers=admin.headers)
        assert r.status_code == 422 and r.json["code"], (bad, r.json)
        assert MerchantPlugin.select().count() == 0
    r = client.post(url, json={"config": wechat_config(sim)}, headers=admin.headers)
    assert r.status_code == 200, r.json
    r = client.get(f"/api/v1/merchants/{merchant.id}/plugins", headers=owner.headers)
    (mine,) = [p for p in r.json if p["name"] == "payment_wechat"]
    assert (
        "PRIVATE KEY" not in json.dumps(mine)
        and mine["config"]["apiv3_key"] != (wechat_config(sim)["apiv3_key"])
    )


def test_a_payment_arriving_after_cancel_is_refunded_through_wechat(
    client, buyer, merchant, shop, wechat
):
    order = place(buyer, shop)
    r = pay(client, buyer, order)
    trade = wechat.pay(r.json["number"], MCHID, notify=False)  # paid; the notification is late
    assert (
        client.post(f"/api/v1/orders/{order.id}/cancel", headers=buyer.headers).status_code == 200
    )
    run_due(worker_id="t")  # closing at the gateway fails: it was paid (ORDERPAID)
    headers, body = wechat.notification("transaction", trade)
    assert client.post(NOTIFY.format(merchant.id), data=body, headers=headers).status_code == 204
    assert Order.get_by_id(order.id).status == "cancelled"
    refund = Refund.get(Refund.attempt == r.json["id"])
    assert refund.amount == order.total and refund.reason == "paid_after_cancelled"
    run_due(worker_id="t")
    assert wechat.refunds[(MCHID, refund.number)]["amount"]["refund"] == order.total
    wechat.outbox.deliver_due()
    assert Refund.get_by_id(refund.id).status == "succeeded"


def test_a_refund_the_gateway_cannot_take_yet_is_retried_with_the_same_number(
    client, owner, buyer, merchant, shop, wechat
):
    order, attempt = paid_order(client, buyer, shop, wechat)
    wechat.fail_next(status=500)
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds",
        json={"reason": "all"},
        headers=owner.headers,
    )
    assert r.status_code == 201 and r.json["status"] == "pending"
    assert not wechat.refunds
    run_due(worker_id="t", now=utcnow() + dt.timedelta(minutes=5))
    number = Refund.get_by_id(r.json["id"]).number
    assert list(wechat.refunds) == [(MCHID, number)]
    wechat.outbox.deliver_due()
    assert Refund.get_by_id(r.json["id"]).status == "succeeded"
    assert Order.get_by_id(order.id).status == "closed"


def test_notifications_follow_the_retry_ladder(app, client, buyer, merchant, shop, wechat):
    from mallkit.plugins.payment_wechat.simulator import RETRY_LADDER

    order = place(buyer, shop)
    r = pay(client, buyer, order)
    real = wechat.outbox.sender
    calls = []

    def flaky(url, headers, body):
        calls.append(wechat.clock.now())
        if len(calls) <= 3:
            return 0, b""  # the shop is down
        return real(url, headers, body)

    wechat.outbox.sender = flaky
    wechat.pay(r.json["number"], MCHID)
    (delivery,) = wechat.outbox.run_ladder()
    assert delivery.attempts == 4 and delivery.done
    assert Order.get_by_id(order.id).status == "paid"
    # Given up after the last step of the ladder when never accepted.
    wechat.outbox.sender = lambda *a: (500, b'{"code":"FAIL"}')
    wechat.outbox.add("http://127.0.0.1:9/x", lambda: ({}, b""))
    (gone,) = wechat.outbox.run_ladder()
    assert gone.attempts == len(RETRY_LADDER) + 1


def test_refused_and_abnormal_refunds_release_what_they_reserved(
    client, owner, buyer, merchant, shop, wechat
):
    order, attempt = paid_order(client, buyer, shop, wechat)
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds"
    trade = wechat.transactions[(MCHID, attempt["number"])]
    trade["amount"]["total"] += 1  # the gateway now refuses (PARAM_ERROR): the refund fails
    r = client.post(base, json={"reason": "all"}, headers=owner.headers)
    assert r.status_code == 201 and r.json["status"] == "failed", r.json
    assert Order.get_by_id(order.id).refunded_amount == 0
    trade["amount"]["total"] -= 1
    r = client.post(base, json={"reason": "all"}, headers=owner.headers)
    assert r.status_code == 201 and r.json["status"] == "pending"
    refund = Refund.get_by_id(r.json["id"])
    record = wechat.refunds[(MCHID, refund.number)]
    ctx = registry.context(merchant, CHANNEL)
    assert CHANNEL.query_refund(ctx, PaymentAttempt.get_by_id(attempt["id"]), refund).status == (
        "succeeded"
    )
    wechat.outbox.queue.clear()
    record["status"] = "ABNORMAL"  # the buyer's account could not take the money
    headers, body = wechat.notification("refund", record)
    assert client.post(NOTIFY.format(merchant.id), data=body, headers=headers).status_code == 204
    assert Refund.get_by_id(refund.id).status == "failed"
    final = Order.get_by_id(order.id)
    assert final.status == "paid" and final.refunded_amount == 0


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
