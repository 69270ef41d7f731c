"""Payments and refunds: exactly once under concurrency, amount checks, races, refunds that
never exceed what was paid, and the durable tasks around them."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from mallkit.core.catalog.models import Sku
from mallkit.core.checkout import service as checkout
from mallkit.core.db import database, utcnow
from mallkit.core.errors import Conflict, ValidationError
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import SYSTEM, Actor
from mallkit.core.orders.models import Order, OrderEvent, OrderLine
from mallkit.core.payments import refunds
from mallkit.core.payments import service as payments
from mallkit.core.payments.channel import ChannelPayment
from mallkit.core.payments.models import PaymentAttempt, PaymentLog, Refund
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import concurrently, on_postgres
from tests.core.orders.conftest import pay_manually
from tests.sample_plugins import fakepay, order_flow

SECRET = "fake-secret-1"


@pytest.fixture
def fake(app, merchant, enable_plugin):
    fakepay.reset()
    with enable_plugin(fakepay, merchant, {"secret": SECRET}):
        yield fakepay


def place(buyer, address, skus, quantities=(2, 1)):
    items = [{"sku_id": s.id, "quantity": q} for s, q in zip(skus, quantities, strict=False)]
    (order,) = checkout.place(buyer.user, {"items": items, "address_id": address.id})
    return order


def notify(client, merchant, secret=SECRET, **data):
    body, headers = fakepay.notification(secret, **data)
    return client.post(f"/api/v1/payments/notify/fakepay/{merchant.id}", data=body, headers=headers)


def pay_with_fake(client, buyer, order):
    r = client.post(
        f"/api/v1/orders/{order.id}/payments",
        json={"channel": "fakepay", "method": "qr"},
        headers=buyer.headers,
    )
    assert r.status_code == 201, r.json
    return r.json


def test_manual_payment_to_completion_through_the_api(
    client, buyer, owner, merchant, skus, address, manual
):
    order = place(buyer, address, skus)
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}"
    r = client.post(
        f"/api/v1/orders/{order.id}/payments",
        json={"channel": "manual", "method": "transfer"},
        headers=buyer.headers,
    )
    assert r.status_code == 201 and r.json["channel_data"]["bank_account"] == "6222 0000 0000"
    r = client.post(
        f"{base}/manual-payment", json={"reference": "BANK-1", "amount": 1}, headers=owner.headers
    )
    assert r.status_code == 422 and r.json["code"] == "amount_mismatch"
    assert Order.get_by_id(order.id).status == "pending_payment"
    r = client.post(
        f"{base}/manual-payment",
        json={"reference": "BANK-1", "amount": order.total},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["status"] == "paid"
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    r = client.post(
        f"{base}/ship",
        json={"carrier": "SF", "tracking_number": "SF-0001", "lines": {str(lines[0].id): 1}},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["status"] == "paid"
    assert r.json["shipping_status"] == "partial"
    r = client.post(
        f"{base}/ship", json={"carrier": "SF", "tracking_number": "SF-0002"}, headers=owner.headers
    )
    assert r.json["status"] == "shipped" and len(r.json["shipments"]) == 2
    r = client.post(
        f"{base}/ship", json={"carrier": "SF", "tracking_number": "SF-0003"}, headers=owner.headers
    )
    assert r.status_code == 409
    r = client.post(f"/api/v1/orders/{order.id}/confirm", headers=buyer.headers)
    assert r.status_code == 200 and r.json["status"] == "completed"
    actions = [
        e.action
        for e in OrderEvent.select().where(OrderEvent.order == order.id).order_by(OrderEvent.id)
    ]
    assert actions == ["placed", "pay", "shipment", "shipment", "ship", "confirm"]


def test_notifications_are_verified_before_anything_and_applied_once(
    client, buyer, merchant, skus, address, fake
):
    order = place(buyer, address, skus)
    attempt = pay_with_fake(client, buyer, order)
    good = {
        "out_trade_no": attempt["number"],
        "txn_id": "T1",
        "amount": order.total,
        "status": "paid",
    }
    r = notify(client, merchant, secret="wrong", **good)
    assert r.status_code == 400 and r.json["code"] == "FAIL"
    r = notify(client, merchant, **{**good, "amount": order.total - 1})
    assert r.status_code == 400
    assert Order.get_by_id(order.id).status == "pending_payment"
    assert PaymentLog.select().where(PaymentLog.verdict == "amount_mismatch").count() == 1
    assert PaymentLog.select().where(PaymentLog.verdict == "invalid").count() == 1
    r = notify(client, merchant, **{**good, "out_trade_no": "P000000000"})
    assert r.status_code == 400
    for _ in range(3):
        r = notify(client, merchant, **good)
        assert r.status_code == 200 and r.json["code"] == "SUCCESS"
    paid = Order.get_by_id(order.id)
    assert paid.status == "paid" and paid.paid_amount == order.total
    assert OrderEvent.select().where(OrderEvent.action == "pay").count() == 1
    # Another merchant's URL, or a merchant without the plugin, reaches nothing.
    r = client.post(f"/api/v1/payments/notify/fakepay/{merchant.id + 100}", data=b"{}")
    assert r.status_code == 404


def test_fifty_concurrent_duplicate_notifications_make_one_payment(
    app, buyer, merchant, skus, address, fake, client
):
    order = place(buyer, address, skus)
    attempt = pay_with_fake(client, buyer, order)
    body, headers = fakepay.notification(
        SECRET, out_trade_no=attempt["number"], txn_id="T50", amount=order.total, status="paid"
    )
    acks = concurrently(
        app, lambda i: payments.handle_notification("fakepay", merchant.id, headers, body, {}), 50
    )
    assert all(getattr(a, "status", None) == 200 for a in acks), acks
    assert Order.get_by_id(order.id).status == "paid"
    assert PaymentAttempt.get_by_id(attempt["id"]).status == "paid"
    assert (
        OrderEvent.select()
        .where((OrderEvent.order == order.id) & (OrderEvent.action == "pay"))
        .count()
        == 1
    )
    verdicts = [v.verdict for v in PaymentLog.select().where(PaymentLog.action == "notify")]
    assert verdicts.count("paid") == 1 and verdicts.count("duplicate") == 49


def test_cancel_and_payment_racing_end_consistently(
    app, buyer, merchant, skus, address, fake, client
):
    for round_ in range(6):
        order = place(buyer, address, skus, (1,))
        attempt = pay_with_fake(client, buyer, order)
        stock_before = Sku.get_by_id(skus[0].id).stock

        def race(i, order=order, attempt=attempt, round_=round_):
            if i == 0:
                return orders.cancel(Order.get_by_id(order.id), Actor("buyer", buyer.user.id))
            return payments.record_payment(
                merchant.id,
                "fakepay",
                ChannelPayment(attempt["number"], "paid", f"race-{round_}", order.total, "CNY"),
                "notify",
            )

        results = concurrently(app, race, 2)
        final = Order.get_by_id(order.id)
        if final.status == "paid":
            assert isinstance(results[0], Conflict) and results[1] == "paid"
            assert Sku.get_by_id(skus[0].id).stock == stock_before
        else:
            assert final.status == "cancelled"
            assert results[1] == "refunded"
            refund = Refund.get(Refund.attempt == attempt["id"])
            assert refund.amount == order.total
            assert Sku.get_by_id(skus[0].id).stock == stock_before + 1
        assert PaymentAttempt.get_by_id(attempt["id"]).status == "paid"


def test_refunds_never_exceed_what_a_line_paid(
    client, owner, buyer, merchant, skus, address, manual
):
    order = place(buyer, address, skus, (2, 1))
    pay_manually(merchant, order, ref="m-1")
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds"
    stock_before = Sku.get_by_id(skus[0].id).stock
    r = client.post(
        base,
        json={"reason": "damaged", "lines": [{"line_id": lines[0].id, "quantity": 1}]},
        headers=owner.headers,
    )
    assert r.status_code == 201 and r.json["amount"] == 1990 and r.json["status"] == "succeeded"
    assert Sku.get_by_id(skus[0].id).stock == stock_before + 1
    for bad in (
        {"line_id": lines[0].id, "quantity": 2},
        {"line_id": lines[0].id, "quantity": 0, "amount": 1991},
        {"line_id": 999999, "quantity": 1},
    ):
        r = client.post(base, json={"reason": "x", "lines": [bad]}, headers=owner.headers)
        assert r.status_code == 422 and r.json["code"] == "refund_exceeds", bad
    assert Refund.select().count() == 1
    assert Order.get_by_id(order.id).refund_status == "partial"
    r = client.post(
        base, json={"reason": "all"}, headers={**owner.headers, "Idempotency-Key": "r-all"}
    )
    again = client.post(
        base, json={"reason": "all"}, headers={**owner.headers, "Idempotency-Key": "r-all"}
    )
    assert r.status_code == again.status_code == 201 and r.json["id"] == again.json["id"]
    final = Order.get_by_id(order.id)
    assert final.status == "closed" and final.refund_status == "full"
    assert final.refunded_amount == final.total
    assert sum(x.amount for x in Refund.select()) == order.total
    r = client.post(base, json={"reason": "more"}, headers=owner.headers)
    assert r.status_code == 409


def test_concurrent_refunds_of_one_line_never_exceed_it(
    app, buyer, merchant, skus, address, manual
):
    order = place(buyer, address, skus, (3,))
    pay_manually(merchant, order, ref="m-2")
    line = OrderLine.get(OrderLine.order == order.id)
    results = concurrently(
        app,
        lambda i: refunds.create(
            Order.get_by_id(order.id),
            [{"line_id": line.id, "quantity": 0, "amount": 2000}],
            reason=f"r{i}",
            actor=SYSTEM,
        ),
        8,
    )
    made = [r for r in results if isinstance(r, Refund)]
    assert len(made) == 2  # 3 × 1990 = 5970 leaves room for two refunds of 2000
    assert all(isinstance(r, (Conflict, ValidationError)) for r in results if r not in made)
    assert OrderLine.get_by_id(line.id).refunded_amount == 4000


def test_refund_notification_and_replayed_payment_after_refund_change_nothing(
    client, buyer, owner, merchant, skus, address, fake
):
    order = place(buyer, address, skus, (1,))
    attempt = pay_with_fake(client, buyer, order)
    paid = {
        "out_trade_no": attempt["number"],
        "txn_id": "T9",
        "amount": order.total,
        "status": "paid",
    }
    assert notify(client, merchant, **paid).status_code == 200
    fakepay.REFUNDS.clear()
    refund_numbers = []
    original = fakepay.FakeChannel.refund

    def pending_refund(self, ctx, attempt_, refund):
        refund_numbers.append(refund.number)
        fakepay.REFUNDS[refund.number] = "pending"
        return original(self, ctx, attempt_, refund)

    fakepay.FakeChannel.refund = pending_refund
    try:
        r = client.post(
            f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds",
            json={"reason": "changed mind"},
            headers=owner.headers,
        )
    finally:
        fakepay.FakeChannel.refund = original
    assert r.status_code == 201 and r.json["status"] == "pending"
    assert Order.get_by_id(order.id).status == "paid"
    done = {
        "kind": "refund",
        "refund_no": refund_numbers[0],
        "status": "succeeded",
        "refund_id": "FR1",
        "amount": order.total,
    }
    for _ in range(2):
        assert notify(client, merchant, **done).status_code == 200
    final = Order.get_by_id(order.id)
    assert final.status == "closed" and final.refunded_amount == order.total
    assert notify(client, merchant, **paid).status_code == 200  # a replay: acknowledged ...
    assert Order.get_by_id(order.id).status == "closed"  # ... and nothing changes
    assert PaymentAttempt.select().where(PaymentAttempt.status == "paid").count() == 1


def test_auto_cancel_asks_the_channel_first(app, client, buyer, merchant, skus, address, fake):
    order = place(buyer, address, skus, (1,))
    attempt = pay_with_fake(client, buyer, order)
    fakepay.PAID[attempt["number"]] = ("T-late", order.total)
    later = utcnow() + dt.timedelta(hours=1)
    run_due(worker_id="w1", now=later)
    assert Order.get_by_id(order.id).status == "paid"
    assert ("query", attempt["number"]) in fakepay.CALLS


def test_auto_cancel_restores_stock_exactly_once_with_two_workers(
    app, buyer, merchant, skus, address, fake, client
):
    stock_before = Sku.get_by_id(skus[0].id).stock
    placed = [place(buyer, address, skus, (1,)) for _ in range(5)]
    assert Sku.get_by_id(skus[0].id).stock == stock_before - 5
    later = utcnow() + dt.timedelta(hours=1)
    concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=later), 2)
    concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=later), 2)  # a re-run
    assert {Order.get_by_id(o.id).status for o in placed} == {"cancelled"}
    assert Sku.get_by_id(skus[0].id).stock == stock_before
    cancels = OrderEvent.select().where(OrderEvent.action == "cancel").count()
    assert cancels == 5


def test_auto_confirm_after_shipping(app, client, owner, buyer, merchant, skus, address, manual):
    order = place(buyer, address, skus, (1,))
    pay_manually(merchant, order, ref="m-3")
    orders.ship(
        Order.get_by_id(order.id),
        Actor("staff", owner.user.id),
        carrier="SF",
        tracking_number="SF-9",
    )
    run_due(worker_id="w", now=utcnow() + dt.timedelta(days=9))
    assert Order.get_by_id(order.id).status == "shipped"
    run_due(worker_id="w", now=utcnow() + dt.timedelta(days=11))
    assert Order.get_by_id(order.id).status == "completed"


def test_refunds_reach_on_order_refunded_in_part_and_in_full_even_after_disable(
    app, client, owner, buyer, merchant, skus, address, manual, enable_plugin
):
    order_flow.reset()
    host = app.extensions["mallkit"].plugins
    host.register(order_flow)  # installed for the whole test, enabled for a while
    host.finalize()
    try:
        _refunds_reach_plugins_enabled_at_placing(
            client, owner, buyer, merchant, skus, address, enable_plugin
        )
    finally:
        host.unregister("order_flow")


def _refunds_reach_plugins_enabled_at_placing(
    client, owner, buyer, merchant, skus, address, enable_plugin
):
    with enable_plugin(order_flow, merchant):
        order = place(buyer, address, skus, (2, 1))
    assert Order.get_by_id(order.id).plugins == ["order_flow", "payment_manual"]
    # The merchant switched order_flow off after the order was placed: its compensations
    # still run for this order, and only for orders placed while it was on.
    pay_manually(merchant, order, ref="m-1")
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds"
    r = client.post(
        base,
        json={"reason": "damaged", "lines": [{"line_id": lines[0].id, "quantity": 1}]},
        headers=owner.headers,
    )
    assert r.status_code == 201
    assert order_flow.REFUNDS == [(order.id, 1990, [(skus[0].id, 1)], False)]
    order_flow.FAIL_ON.add("refund")  # isolated: a broken plugin does not undo the refund
    try:
        r = client.post(base, json={"reason": "all"}, headers=owner.headers)
    finally:
        order_flow.FAIL_ON.clear()
    assert r.status_code == 201 and r.json["status"] == "succeeded"
    final = Order.get_by_id(order.id)
    assert final.status == "closed" and final.refund_status == "full"
    assert order_flow.REFUNDS[-1][1:] == (
        order.total - 1990,
        [(skus[0].id, 1), (skus[1].id, 1)],
        True,
    )
    assert "closed" in [c[2] for c in order_flow.CHANGES if c[0] == order.id]
    other = place(buyer, address, skus)  # placed while order_flow was off: not called
    pay_manually(merchant, other, ref="m-2")
    seen = len(order_flow.REFUNDS)
    assert (
        client.post(
            f"/api/v1/merchants/{merchant.id}/orders/{other.id}/refunds",
            json={"reason": "all"},
            headers=owner.headers,
        ).status_code
        == 201
    )
    assert len(order_flow.REFUNDS) == seen


def test_a_price_change_reaches_on_order_price_changed_which_may_refuse_it(
    client, owner, buyer, merchant, skus, address, manual, enable_plugin
):
    order_flow.reset()
    with enable_plugin(order_flow, merchant):
        order = place(buyer, address, skus)
        attempt = payments.start(Order.get_by_id(order.id), "manual", method="transfer")
        base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}/price"
        order_flow.FAIL_ON.add("price")
        r = client.post(base, json={"total": 6000}, headers=owner.headers)
        assert r.status_code == 409 and r.json["code"] == "price_refused"
        assert Order.get_by_id(order.id).total == order.total
        assert PaymentAttempt.get_by_id(attempt.id).status == "pending"  # nothing changed
        order_flow.FAIL_ON.clear()
        r = client.post(base, json={"total": 6000}, headers=owner.headers)
        assert r.status_code == 200
    assert order_flow.REPRICED[-1] == (order.id, order.total, 6000, 6000)
    # the core's payment_defaults closed the attempt opened for the old amount
    assert PaymentAttempt.get_by_id(attempt.id).status != "pending"


def test_refund_lines_refunds_chosen_quantities_and_sends_after_commit(
    app, buyer, merchant, skus, address, manual
):
    from mallkit.core.db import transaction
    from mallkit.core.plugin_api import refund_lines

    order = place(buyer, address, skus, (2, 1))
    pay_manually(merchant, order, ref="m-lines")
    first, second = OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id)
    with transaction():
        refund = refund_lines(
            order, [{"line_id": first.id, "quantity": 1}], reason="part", actor=SYSTEM
        )
        assert Refund.get_by_id(refund.id).status == "pending"  # sent only after commit
    assert Refund.get_by_id(refund.id).status == "succeeded" and refund.amount == 1990
    assert OrderLine.get_by_id(first.id).refunded_quantity == 1
    assert OrderLine.get_by_id(second.id).refunded_quantity == 0
    assert Order.get_by_id(order.id).refund_status == "partial"
    with pytest.raises(ValidationError):
        refund_lines(order, [{"line_id": second.id, "quantity": 2}], reason="x", actor=SYSTEM)
    assert Refund.select().count() == 1


def test_a_refund_of_everything_lists_its_lines_in_line_order_however_the_rows_are_stored(
    app, client, owner, buyer, merchant, skus, address, manual
):
    # After a partial refund the first line's row is rewritten: on PostgreSQL a sequential
    # scan then returns it after the second. The refund of the rest (and its lines in the
    # API, and in on_order_refunded) must still come in line order, not storage order.
    order = place(buyer, address, skus, (2, 1))
    pay_manually(merchant, order, ref="m-1")
    first, second = OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id)
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds"
    r = client.post(
        base,
        json={"reason": "damaged", "lines": [{"line_id": first.id, "quantity": 1}]},
        headers=owner.headers,
    )
    assert r.status_code == 201
    with _sequential_scans():
        r = client.post(base, json={"reason": "all"}, headers=owner.headers)
        assert r.status_code == 201
        assert [ln["order_line_id"] for ln in r.json["lines"]] == [first.id, second.id]
        listed = client.get(base, headers=owner.headers).json
    assert [[ln["order_line_id"] for ln in refund["lines"]] for refund in listed] == [
        [first.id],
        [first.id, second.id],
    ]


@contextlib.contextmanager
def _sequential_scans():
    """On PostgreSQL, read tables in storage order (no index scans) for the block."""
    if not on_postgres():
        yield
        return
    database.execute_sql("SET enable_indexscan = off")
    database.execute_sql("SET enable_bitmapscan = off")
    try:
        yield
    finally:
        database.execute_sql("RESET enable_indexscan")
        database.execute_sql("RESET enable_bitmapscan")
