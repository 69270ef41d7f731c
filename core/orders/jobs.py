"""The core's durable tasks for orders and payments (registered when the app imports this).

Every handler is idempotent: it checks the current state first and changes it only by
compare-and-set, so a task that runs again after a crash changes nothing twice.
"""

from __future__ import annotations

import datetime as dt

from mallkit.core import tasks
from mallkit.core.errors import Conflict
from mallkit.core.orders import service
from mallkit.core.orders.machine import SYSTEM
from mallkit.core.orders.models import Order
from mallkit.core.payments import refunds
from mallkit.core.payments import service as payments
from mallkit.core.payments.models import PaymentAttempt
from mallkit.core.proposals import JobHandler

RECONCILE = "payment.reconcile"
RECONCILE_AFTER = (dt.timedelta(minutes=2), dt.timedelta(minutes=5), dt.timedelta(minutes=15))


def auto_cancel(task) -> None:
    """Cancel an order still unpaid at its deadline — after asking each open payment's
    channel whether it was in fact paid."""
    order = Order.get_or_none(Order.id == task.payload["order_id"])
    if order is None or order.status != "pending_payment":
        return
    for attempt in PaymentAttempt.select().where(
        (PaymentAttempt.order == order.id) & (PaymentAttempt.status == "pending")
    ):
        payments.reconcile(attempt)
    order = service.reload(order)
    if order.status != "pending_payment":
        return
    try:
        service.cancel(order, SYSTEM, reason="timeout")
    except Conflict:  # paid or cancelled meanwhile: nothing to do
        return


def auto_confirm(task) -> None:
    """Confirm receipt of an order shipped long enough ago."""
    order = Order.get_or_none(Order.id == task.payload["order_id"])
    if order is None or order.status != "shipped":
        return
    try:
        service.confirm_receipt(order, SYSTEM)
    except Conflict:
        return


def reconcile(task) -> None:
    """Ask the channel about a payment that has been pending a while; ask again later (a
    few times) while the order is still unpaid."""
    attempt = PaymentAttempt.get_or_none(PaymentAttempt.id == task.payload["attempt_id"])
    if attempt is None or attempt.status != "pending":
        return
    if payments.reconcile(attempt) == "pending":
        step = task.payload.get("step", 0) + 1
        if step < len(RECONCILE_AFTER):
            tasks.schedule(
                RECONCILE,
                delay=RECONCILE_AFTER[step],
                payload={"attempt_id": attempt.id, "step": step},
                merchant_id=attempt.merchant_id,
                dedupe_key=f"{RECONCILE}:{attempt.id}:{step}",
            )


def close_payment(task) -> None:
    payments.close_at_channel(task.payload["attempt_id"])


def submit_refund(task) -> None:
    refunds.submit(task.payload["refund_id"])


for _handler in (
    # Those that ask a gateway run outside a transaction (see JobHandler.in_transaction).
    JobHandler(service.AUTO_CANCEL, auto_cancel, in_transaction=False),
    JobHandler(service.AUTO_CONFIRM, auto_confirm),
    JobHandler(RECONCILE, reconcile, in_transaction=False),
    JobHandler("payment.close", close_payment, in_transaction=False),
    JobHandler(refunds.SUBMIT, submit_refund, max_attempts=12, in_transaction=False),
):
    tasks.register_core_handler(_handler)
