"""After-sale cases through the service: each flow, the rules, the automation tasks (with two
workers), races, and the effects other plugins see."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.catalog.models import Sku
from mallkit.core.db import transaction, utcnow
from mallkit.core.errors import Conflict, ValidationError
from mallkit.core.orders.machine import SYSTEM, Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.payments import refunds
from mallkit.core.payments.channel import ChannelRefund
from mallkit.core.payments.models import Refund
from mallkit.core.plugin_settings import enable
from mallkit.core.plugins import order_hooks
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import concurrently, refund_order, run_tasks
from mallkit.plugins.aftersales import service
from mallkit.plugins.aftersales.models import Case, CaseMessage
from tests.plugins.aftersales.conftest import (
    RETURN_ADDRESS,
    application,
    completed,
    lines_of,
    paid,
    shipped,
)

STAFF = Actor("staff", 1)


def buyer_of(order):
    return Actor("buyer", order.buyer_id)


def stock(sku):
    return Sku.get_by_id(sku.id).stock


def test_refund_only_before_shipping_refunds_the_line_share_and_restocks(store, events, buyer, sku):
    order = paid(buyer, [(sku, 3)])
    (line,) = lines_of(order)
    before = stock(sku)
    case = service.apply(order, application(line, quantity=2), buyer_of(order))
    assert (case.status, case.amount, case.quantity) == ("applied", 2000, 2)
    case = service.approve(case, STAFF)
    assert case.status == "completed" and case.open_key is None
    refund = Refund.get_by_id(case.refund_id)
    assert (refund.status, refund.amount) == ("succeeded", 2000)
    line = OrderLine.get_by_id(line.id)
    assert (line.refunded_quantity, line.refunded_amount) == (2, 2000)
    assert Order.get_by_id(order.id).refund_status == "partial"
    assert stock(sku) == before + 2  # never shipped: back on the shelf (order settings)
    assert events == [
        ("approved", case.id, "staff"),
        ("refunded", order.id, [(line.id, 2, 2000)], False),
        ("completed", case.id, refund.id),
    ]
    # the rest of the line can be applied for again, up to what is left
    with pytest.raises(ValidationError) as exc:
        service.apply(order, application(line, quantity=1, amount=1001), buyer_of(order))
    assert "amount" in exc.value.errors
    last = service.approve(service.apply(order, application(line), buyer_of(order)), STAFF)
    assert last.status == "completed"
    assert Order.get_by_id(order.id).status == "closed"


def test_return_and_refund_goes_back_to_the_store_then_is_refunded_on_receipt(
    app, store, events, buyer, sku
):
    order = paid(buyer, [(sku, 2)])
    (line,) = lines_of(order)
    with pytest.raises(Conflict) as exc:  # nothing shipped yet
        service.apply(order, application(line, "return_refund"), buyer_of(order))
    assert exc.value.code == "not_shipped"
    order = shipped(order)
    before = stock(sku)
    case = service.apply(order, application(line, "return_refund"), buyer_of(order))
    case = service.approve(case, STAFF)
    assert case.status == "approved" and case.return_address == RETURN_ADDRESS
    with pytest.raises(Conflict) as exc:  # staff cannot receive what was not sent
        service.receive(case, STAFF)
    assert exc.value.errors == {"status": ["approved"]}
    case = service.ship_back(case, buyer_of(order), "SF", "SF123456")
    assert (case.status, case.return_tracking) == ("returning", "SF123456")
    case = service.receive(case, STAFF)
    assert case.status == "received" and case.refund_id is None
    # refund_on_receipt: the task refunds it, once, however many workers run
    results = concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=utcnow()), 2)
    assert not [r for r in results if isinstance(r, Exception)]
    run_tasks()
    case = Case.get_by_id(case.id)
    assert case.status == "completed"
    assert Refund.get_by_id(case.refund_id).amount == 1000
    assert Refund.select().count() == 1
    assert stock(sku) == before + 1  # the returned unit is back
    assert [e[0] for e in events] == ["approved", "refunded", "completed"]
    assert [m.event for m in CaseMessage.select().where(CaseMessage.case == case.id)] == [
        "applied",
        "approved",
        "shipped_back",
        "received",
        "refund_sent",
        "completed",
    ]


def test_without_refund_on_receipt_staff_refund_once(app, store, buyer, sku, enable_plugin):
    enable(store, "aftersales", {"refund_on_receipt": False, "restock_returns": False})
    order = shipped(paid(buyer, [(sku, 1)]))
    (line,) = lines_of(order)
    before = stock(sku)
    case = service.apply(order, application(line, "return_refund"), buyer_of(order))
    case = service.ship_back(service.approve(case, STAFF), buyer_of(order), "YTO", "YT0001")
    case = service.receive(case, STAFF)
    run_tasks()
    assert Case.get_by_id(case.id).status == "received"
    case = service.refund(case, STAFF)
    assert case.status == "completed"
    with pytest.raises(Conflict) as exc:
        service.refund(case, STAFF)
    assert exc.value.errors == {"status": ["completed"]}
    assert Refund.select().count() == 1 and stock(sku) == before  # restock_returns off


def test_an_exchange_restocks_the_return_and_ships_a_replacement_without_money(
    store, events, buyer, sku
):
    order = completed(paid(buyer, [(sku, 2)]))
    (line,) = lines_of(order)
    case = service.apply(order, application(line, "exchange", amount=500), buyer_of(order))
    assert case.amount == 0
    case = service.ship_back(service.approve(case, STAFF), buyer_of(order), "SF", "SF0002")
    before = stock(sku)
    case = service.receive(case, STAFF)
    assert stock(sku) == before + 1 and case.restocked
    with pytest.raises(Conflict):
        service.refund(case, STAFF)
    case = service.reship(case, STAFF, "SF", "SF0003")
    assert (case.status, case.reship_tracking) == ("completed", "SF0003")
    assert stock(sku) == before
    assert Refund.select().count() == 0
    assert events[-1] == ("completed", case.id, None)


def test_one_open_case_per_line_and_a_new_application_after_a_rejection(store, events, buyer, sku):
    order = paid(buyer, [(sku, 2)])
    (line,) = lines_of(order)
    case = service.apply(order, application(line), buyer_of(order))
    with pytest.raises(Conflict) as exc:
        service.apply(order, application(line), buyer_of(order))
    assert exc.value.code == "case_open" and exc.value.errors == {"case_id": [str(case.id)]}
    rejected = service.reject(case, STAFF, "photos do not show damage")
    assert (rejected.status, rejected.decision_note) == ("rejected", "photos do not show damage")
    with pytest.raises(Conflict) as exc:
        service.approve(rejected, STAFF)
    assert exc.value.code == "invalid_case_state" and exc.value.errors == {"status": ["rejected"]}
    again = service.apply(order, application(line), buyer_of(order))
    cancelled = service.cancel(again, buyer_of(order))
    assert cancelled.status == "cancelled"
    assert events == [("closed", case.id, "rejected"), ("closed", again.id, "cancelled")]
    assert (
        ScheduledTask.get(ScheduledTask.dedupe_key == f"{service.AUTO_APPROVE}:{case.id}").status
        == "cancelled"
    )


def test_bad_applications_write_nothing(store, buyer, other_buyer, sku):
    order = paid(buyer, [(sku, 2)])
    (line,) = lines_of(order)
    cases = [
        (application(line, quantity=3), "quantity"),
        (application(line, quantity=1, amount=1001), "amount"),
        (application(line, reason="no reason"), "reason"),
        (application(line, evidence=["https://evil.example/x.png"]), "evidence"),
        (
            application(line, evidence=[f"/api/v1/media/catalog/{store.id}/{'a' * 32}.png"]),
            "evidence",
        ),
    ]
    for data, field in cases:
        with pytest.raises(ValidationError) as exc:
            service.apply(order, data, buyer_of(order))
        assert field in exc.value.errors, data
    assert Case.select().count() == 0


def test_the_window_closes_n_days_after_completion(store, buyer, sku):
    order = completed(paid(buyer, [(sku, 1)]))
    (line,) = lines_of(order)
    Order.update(completed_at=utcnow() - dt.timedelta(days=16)).where(
        Order.id == order.id
    ).execute()
    with pytest.raises(Conflict) as exc:
        service.apply(order, application(line, "return_refund"), buyer_of(order))
    assert exc.value.code == "aftersale_window_closed"
    Order.update(completed_at=utcnow() - dt.timedelta(days=14)).where(
        Order.id == order.id
    ).execute()
    assert service.apply(order, application(line, "return_refund"), buyer_of(order)).id


def test_auto_approve_runs_once_with_two_workers(app, store, events, buyer, sku):
    order = paid(buyer, [(sku, 1)])
    (line,) = lines_of(order)
    case = service.apply(order, application(line), buyer_of(order))
    run_due(worker_id="early", now=utcnow() + dt.timedelta(hours=47))
    assert Case.get_by_id(case.id).status == "applied"
    later = utcnow() + dt.timedelta(hours=49)
    results = concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=later), 2)
    assert not [r for r in results if isinstance(r, Exception)]
    run_due(worker_id="w3", now=later)
    case = Case.get_by_id(case.id)
    assert (case.status, case.decided_by) == ("completed", "system")
    assert Refund.select().count() == 1
    assert [e[0] for e in events] == ["approved", "refunded", "completed"]


def test_an_approved_return_not_shipped_back_in_time_closes(app, store, events, buyer, sku):
    order = shipped(paid(buyer, [(sku, 1)]))
    (line,) = lines_of(order)
    case = service.approve(
        service.apply(order, application(line, "return_refund"), buyer_of(order)), STAFF
    )
    later = utcnow() + dt.timedelta(days=8)
    results = concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=later), 2)
    assert not [r for r in results if isinstance(r, Exception)]
    case = Case.get_by_id(case.id)
    assert (case.status, case.open_key) == ("closed", None)
    assert events[-1] == ("closed", case.id, "closed")
    with pytest.raises(Conflict):
        service.ship_back(case, buyer_of(order), "SF", "SF9")


def test_a_return_shipped_back_in_time_is_not_closed(app, store, buyer, sku):
    order = shipped(paid(buyer, [(sku, 1)]))
    (line,) = lines_of(order)
    case = service.approve(
        service.apply(order, application(line, "return_refund"), buyer_of(order)), STAFF
    )
    service.ship_back(case, buyer_of(order), "SF", "SF10")
    run_due(worker_id="w", now=utcnow() + dt.timedelta(days=8))
    assert Case.get_by_id(case.id).status == "returning"
    refused = service.refuse(Case.get_by_id(case.id), STAFF, "empty box")
    assert (refused.status, refused.decision_note, refused.open_key) == (
        "refused",
        "empty box",
        None,
    )


def test_two_concurrent_applications_on_one_line_make_one_case(app, store, buyer, sku):
    order = paid(buyer, [(sku, 2)])
    (line,) = lines_of(order)
    results = concurrently(
        app, lambda i: service.apply(order, application(line), buyer_of(order)), 4
    )
    made = [r for r in results if isinstance(r, Case)]
    assert len(made) == 1, results
    assert all(isinstance(r, Conflict) and r.code == "case_open" for r in results if r not in made)
    assert Case.select().count() == 1


def test_a_refund_decision_executed_twice_refunds_once(app, store, buyer, sku):
    enable(store, "aftersales", {"refund_on_receipt": False})
    order = shipped(paid(buyer, [(sku, 2)]))
    (line,) = lines_of(order)
    case = service.apply(order, application(line, "return_refund", quantity=2), buyer_of(order))
    case = service.receive(
        service.ship_back(service.approve(case, STAFF), buyer_of(order), "SF", "SF11"), STAFF
    )
    results = concurrently(app, lambda i: service.refund(Case.get_by_id(case.id), STAFF), 4)
    assert len([r for r in results if isinstance(r, Case)]) == 1, results
    assert all(r.errors for r in results if isinstance(r, Conflict))
    run_tasks()
    assert Refund.select().count() == 1
    assert OrderLine.get_by_id(line.id).refunded_amount == 2000
    assert Case.get_by_id(case.id).status == "completed"


def test_a_failed_refund_can_be_sent_again(app, store, buyer, sku):
    order = paid(buyer, [(sku, 1)])
    (line,) = lines_of(order)
    case = service.apply(order, application(line), buyer_of(order))
    # approve inside a transaction whose refund the channel then reports failed
    with transaction():
        case = service.approve(case, STAFF)
        first = Refund.get_by_id(case.refund_id)
        refunds.apply(first, ChannelRefund(first.number, "failed", "", "bank says no"))
    case = Case.get_by_id(case.id)
    assert case.status == "refunding" and Refund.get_by_id(first.id).status == "failed"
    assert service.lines_on_hold(order) == [line.id]
    case = service.refund(case, STAFF)
    assert case.status == "completed" and case.refund_id != first.id
    assert OrderLine.get_by_id(line.id).refunded_amount == 1000


def test_open_cases_hold_their_lines(store, buyer, sku):
    other = sku.product.skus.order_by(Sku.id)[1]
    order = shipped(paid(buyer, [(sku, 1), (other, 1)]))
    first, second = lines_of(order)
    assert order_hooks(order).order_lines_on_hold(order=order) == [[]]
    case = service.apply(order, application(second, "return_refund"), buyer_of(order))
    assert order_hooks(order).order_lines_on_hold(order=order) == [[second.id]]
    service.reject(case, STAFF, "no")
    assert order_hooks(order).order_lines_on_hold(order=order) == [[]]


def test_a_full_refund_by_staff_ends_cases_still_waiting(store, events, buyer, sku):
    order = shipped(paid(buyer, [(sku, 1)]))
    (line,) = lines_of(order)
    case = service.apply(order, application(line, "return_refund"), buyer_of(order))
    refund_order(Order.get_by_id(order.id))
    case = Case.get_by_id(case.id)
    assert (case.status, case.decision_note) == ("closed", "order refunded in full")
    assert ("closed", case.id, "closed") in events


def test_nothing_breaks_without_other_plugins(store, buyer, sku):
    """No listener, no coupons, no group buy: every flow still ends."""
    order = shipped(paid(buyer, [(sku, 2)]))
    (line,) = lines_of(order)
    case = service.apply(order, application(line, "return_refund", quantity=2), buyer_of(order))
    case = service.receive(
        service.ship_back(service.approve(case, SYSTEM), buyer_of(order), "SF", "SF12"), STAFF
    )
    run_tasks()
    assert Case.get_by_id(case.id).status == "completed"
    assert Order.get_by_id(order.id).status == "closed"


def test_racing_applications_never_open_a_case_on_a_line_with_nothing_left(app, store, buyer, sku):
    """Cases racing on a line of two units, each approved at once: one open case at a time,
    and once the line is refunded in full no application gets through on stale figures."""
    order = paid(buyer, [(sku, 2)])
    (line,) = lines_of(order)

    def apply_and_approve(i):
        case = service.apply(Order.get_by_id(order.id), application(line), buyer_of(order))
        return service.approve(case, STAFF)

    for _ in range(3):
        concurrently(app, apply_and_approve, 4)
    cases = list(Case.select())
    assert [c.status for c in cases] == ["completed", "completed"]
    assert OrderLine.get_by_id(line.id).refunded_amount == 2000
    assert Refund.select().count() == 2
