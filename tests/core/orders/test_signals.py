"""Signals: sent after the business transaction commits, never for one that rolled back, and
a receiver that raises never breaks the caller."""

from __future__ import annotations

import datetime as dt
import logging
from types import SimpleNamespace

import pytest

from mallkit.core import db as dbm
from mallkit.core import plugin_api, signals
from mallkit.core.checkout import service as checkout
from mallkit.core.db import on_commit, transaction, utcnow
from mallkit.core.errors import Conflict, ValidationError
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.plugins import call_isolated
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import make_account
from tests.core.orders.conftest import make_product, pay_manually, skus_of
from tests.sample_plugins import order_flow

NAMES = (
    "order_placed",
    "order_paid",
    "order_shipped",
    "order_completed",
    "order_cancelled",
    "order_refunded",
    "user_registered",
)


@pytest.fixture
def received(app):
    """Every signal sent during the test: ``(name, sender, kwargs, in_transaction)``, from
    real receivers connected for the test only."""
    seen: list[tuple] = []
    receivers = []
    for name in NAMES:

        def receiver(sender, _name=name, **kwargs):
            # Committed: the receiver runs outside any transaction and sees the row.
            seen.append((_name, sender, kwargs, dbm.database.in_transaction()))

        getattr(signals, name).connect(receiver, weak=False)
        receivers.append((getattr(signals, name), receiver))
    yield seen
    for signal, receiver in receivers:
        signal.disconnect(receiver)


def names(seen, order_id=None):
    return [s[0] for s in seen if order_id is None or getattr(s[1], "id", None) == order_id]


def place(buyer, address, skus, quantities=(1,), **data):
    items = [{"sku_id": s.id, "quantity": q} for s, q in zip(skus, quantities, strict=False)]
    return checkout.place(buyer.user, {"items": items, "address_id": address.id, **data})


# -- the after-commit queue ------------------------------------------------------------------


def test_callbacks_wait_for_the_outermost_commit_and_die_with_any_rollback(app):
    calls: list[str] = []
    with transaction():
        on_commit(lambda: calls.append("outer"))
        with transaction():
            on_commit(lambda: calls.append("released savepoint"))
        with pytest.raises(RuntimeError), transaction():
            on_commit(lambda: calls.append("rolled-back savepoint"))
            raise RuntimeError
        assert calls == []
    assert calls == ["outer", "released savepoint"]

    calls.clear()
    with pytest.raises(RuntimeError), transaction():
        on_commit(lambda: calls.append("rolled back"))
        raise RuntimeError
    on_commit(lambda: calls.append("no transaction: at once"))
    assert calls == ["no transaction: at once"]

    calls.clear()  # inside a transaction mallkit did not open: at that transaction's commit
    with dbm.database.atomic():
        with transaction():
            on_commit(lambda: calls.append("foreign outer"))
        on_commit(lambda: calls.append("foreign direct"))
        assert calls == []
    assert calls == ["foreign outer", "foreign direct"]


def test_a_failing_callback_is_logged_and_the_others_still_run(app, caplog):
    calls: list[str] = []
    with caplog.at_level(logging.ERROR, logger="mallkit.db"), transaction():
        on_commit(lambda: 1 / 0)
        on_commit(lambda: calls.append("after the failing one"))
    assert calls == ["after the failing one"]
    assert "after-commit callback" in caplog.text and "ZeroDivisionError" in caplog.text


def test_an_isolated_hook_that_fails_takes_its_notifications_with_it(app, caplog):
    """``call_isolated`` (``on_order_refunded``, ``on_low_stock``) rolls a failing plugin back
    to its savepoint: what it queued for after commit goes too."""
    calls: list[str] = []

    def works(value):
        on_commit(lambda: calls.append(f"works {value}"))

    def breaks(value):
        on_commit(lambda: calls.append(f"breaks {value}"))
        raise RuntimeError("broken plugin")

    impls = [
        SimpleNamespace(function=fn, argnames=("value",), plugin_name=fn.__name__)
        for fn in (works, breaks)
    ]
    caller = SimpleNamespace(name="on_something", get_hookimpls=lambda: impls)
    with caplog.at_level(logging.ERROR, logger="mallkit.plugins"), transaction():
        call_isolated(caller, value=1)
        assert calls == []
    assert calls == ["works 1"]


def test_signals_are_part_of_the_plugin_api():
    for name in NAMES + ("on_commit",):
        assert name in plugin_api.__all__
        assert getattr(plugin_api, name) is (
            getattr(signals, name) if name != "on_commit" else on_commit
        )


# -- business signals ------------------------------------------------------------------------


def test_a_placed_order_sends_order_placed_once_after_commit(
    client, buyer, merchant, skus, address, received
):
    with transaction():  # the caller's transaction: nothing is sent before it commits
        (order,) = place(buyer, address, skus)
        assert received == []
    assert [(s[0], s[1].id, s[2], s[3]) for s in received] == [
        ("order_placed", order.id, {"buyer_id": buyer.user.id}, False)
    ]
    received.clear()
    body = {"items": [{"sku_id": skus[0].id, "quantity": 1}], "address_id": address.id}
    headers = {**buyer.headers, "Idempotency-Key": "signals-1"}
    first = client.post("/api/v1/checkout/place", json=body, headers=headers)
    again = client.post("/api/v1/checkout/place", json=body, headers=headers)  # a replay
    assert first.status_code == again.status_code == 201, first.json
    (placed,) = first.json
    assert [(s[0], s[1].id) for s in received] == [("order_placed", placed["id"])]


def test_a_checkout_refused_by_a_plugin_sends_nothing(
    app, buyer, merchant, other_merchant, skus, address, enable_plugin, received
):
    """The first store's order is written (and its signal queued) before the second store's
    plugin refuses the checkout: everything rolls back and nothing is sent."""
    order_flow.reset()
    other_sku = skus_of(make_product(other_merchant, name="杯子"))[0]
    assert merchant.id < other_merchant.id  # the first store's order is written first
    with enable_plugin(order_flow, other_merchant):
        with pytest.raises(Conflict) as refused:
            place(
                buyer,
                address,
                [skus[0], other_sku],
                (1, 1),
                buyer_note="refuse after writing",  # on_order_placed, once the order exists
            )
        assert refused.value.code == "late_refusal"
        with pytest.raises(ValidationError) as vetoed:
            place(
                buyer,
                address,
                [skus[0], other_sku],
                (1, 1),
                merchants=[{"merchant_id": other_merchant.id, "note": "refuse"}],
            )
        assert vetoed.value.code == "checkout_refused"
    assert Order.select().count() == 0
    assert received == []


def test_order_state_changes_send_their_signals(
    app, owner, buyer, merchant, skus, address, manual, received
):
    (order,) = place(buyer, address, skus)
    pay_manually(merchant, order, ref="s-1")
    staff = Actor("staff", owner.user.id)
    orders.ship(Order.get_by_id(order.id), staff, carrier="SF", tracking_number="SF-S1")
    orders.confirm_receipt(Order.get_by_id(order.id), Actor("buyer", buyer.user.id))
    assert names(received, order.id) == [
        "order_placed",
        "order_paid",
        "order_shipped",
        "order_completed",
    ]
    paid = received[1]
    assert (paid[2]["source"], paid[2]["target"], paid[2]["actor"].type) == (
        "pending_payment",
        "paid",
        "system",
    )
    assert received[2][2]["actor"] == staff and not any(s[3] for s in received)

    (unpaid,) = place(buyer, address, skus)
    orders.cancel(unpaid, Actor("buyer", buyer.user.id))
    assert names(received, unpaid.id) == ["order_placed", "order_cancelled"]
    assert received[-1][2]["reason"] == "buyer"

    # The worker's tasks send them too, after each task's transaction commits.
    (late,) = place(buyer, address, skus)
    run_due(worker_id="w", now=utcnow() + dt.timedelta(hours=1))
    assert names(received, late.id) == ["order_placed", "order_cancelled"]
    assert received[-1][2]["actor"].type == "system" and received[-1][2]["reason"] == "timeout"


def test_a_refused_state_change_sends_nothing(
    app, buyer, merchant, skus, address, enable_plugin, received
):
    order_flow.reset()
    with enable_plugin(order_flow, merchant):
        (order,) = place(buyer, address, skus)
        order_flow.FAIL_ON.add("cancelled")  # on_order_state_changed vetoes the cancel
        with pytest.raises(RuntimeError):
            orders.cancel(order, Actor("buyer", buyer.user.id))
        order_flow.FAIL_ON.clear()
    assert Order.get_by_id(order.id).status == "pending_payment"
    assert names(received) == ["order_placed"]


def test_a_failing_receiver_does_not_break_checkout(
    client, buyer, merchant, skus, address, received, caplog
):
    def broken(sender, **kwargs):
        raise RuntimeError("the chat server is down")

    signals.order_placed.connect(broken, weak=False)
    try:
        with caplog.at_level(logging.ERROR, logger="mallkit.signals"):
            r = client.post(
                "/api/v1/checkout/place",
                json={"items": [{"sku_id": skus[0].id, "quantity": 1}], "address_id": address.id},
                headers=buyer.headers,
            )
    finally:
        signals.order_placed.disconnect(broken)
    assert r.status_code == 201, r.json
    (order,) = r.json
    assert Order.get_by_id(order["id"]).status == "pending_payment"
    assert names(received) == ["order_placed"]  # the other receivers still ran
    assert "the chat server is down" in caplog.text


def test_refunds_send_order_refunded_with_amount_and_whether_full(
    client, owner, buyer, merchant, skus, address, manual, received
):
    (order,) = place(buyer, address, skus, (2, 1))
    pay_manually(merchant, order, ref="s-2")
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}/refunds"
    r = client.post(
        base,
        json={"reason": "damaged", "lines": [{"line_id": lines[0].id, "quantity": 1}]},
        headers=owner.headers,
    )
    assert r.status_code == 201 and r.json["status"] == "succeeded"
    r = client.post(base, json={"reason": "all"}, headers=owner.headers)
    assert r.status_code == 201 and r.json["status"] == "succeeded"
    refunded = [s for s in received if s[0] == "order_refunded"]
    assert [(s[1].id, s[2]["amount"], s[2]["full"]) for s in refunded] == [
        (order.id, 1990, False),
        (order.id, order.total - 1990, True),
    ]
    assert [s[2]["refund"].status for s in refunded] == ["succeeded", "succeeded"]
    assert refunded[-1][1].status == "closed"
    # Closing a refunded order is not a state with a signal of its own.
    assert names(received, order.id) == [
        "order_placed",
        "order_paid",
        "order_refunded",
        "order_refunded",
    ]


def test_registration_sends_user_registered(app, received):
    account = make_account(email="new@test.mallkit.dev")
    assert [(s[0], s[1].id) for s in received] == [("user_registered", account.user.id)]
