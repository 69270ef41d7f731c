"""payment_defaults: the core's default payment behaviour, written as a plugin on the same
hooks a third-party plugin uses (one of :data:`mallkit.core.plugins.DEFAULT_PLUGINS`).

- The durable tasks that talk to gateways: ``order.auto_cancel`` (ask each open payment's
  channel first, then cancel), ``payment.reconcile``, ``payment.close`` and
  ``refund.submit``.
- Open payment attempts close when their order is cancelled or its price changes: payments
  react to the order, orders never call payments.

Platform-level: it runs for every merchant.
"""

from __future__ import annotations

import datetime as dt

from mallkit.core.errors import Conflict
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import SYSTEM
from mallkit.core.orders.models import Order
from mallkit.core.payments import refunds, service
from mallkit.core.payments.models import PaymentAttempt
from mallkit.core.plugins import PluginMeta
from mallkit.core.tasks import queue as tasks
from mallkit.core.tasks.queue import JobHandler
from mallkit.hookspecs import hookimpl

meta = PluginMeta(
    name="payment_defaults",
    version="1.0.0",
    title="Payment defaults",
    description="Gateway tasks (auto-cancel, reconcile, close, refund); closing open "
    "payments of cancelled or repriced orders.",
    level="platform",
    category="core",
    title_zh="支付默认规则",
    description_zh="支付网关任务（超时取消、对账、关单、退款）；关闭已取消或改价订单的未完成支付。",
)

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
        service.reconcile(attempt)
    order = orders.reload(order)
    if order.status != "pending_payment":
        return
    try:
        orders.cancel(order, SYSTEM, reason="timeout")
    except Conflict:  # paid or cancelled meanwhile: nothing to do
        return


def reconcile(task) -> None:
    """Ask the channel about a payment that has been pending a while; ask again later (a
    few times) while the order is still unpaid."""
    attempt = PaymentAttempt.get_or_none(PaymentAttempt.id == task.payload["attempt_id"])
    if attempt is None or attempt.status != "pending":
        return
    if service.reconcile(attempt) == "pending":
        step = task.payload.get("step", 0) + 1
        if step < len(RECONCILE_AFTER):
            tasks.schedule(
                service.RECONCILE,
                delay=RECONCILE_AFTER[step],
                payload={"attempt_id": attempt.id, "step": step},
                merchant_id=attempt.merchant_id,
                dedupe_key=f"{service.RECONCILE}:{attempt.id}:{step}",
            )


def close_payment(task) -> None:
    service.close_at_channel(task.payload["attempt_id"])


def submit_refund(task) -> None:
    refunds.submit(task.payload["refund_id"])


@hookimpl
def register_job_handlers():
    # Those that ask a gateway run outside a transaction (see JobHandler.in_transaction).
    return [
        JobHandler(orders.AUTO_CANCEL, auto_cancel, in_transaction=False),
        JobHandler(service.RECONCILE, reconcile, in_transaction=False),
        JobHandler(service.CLOSE, close_payment, in_transaction=False),
        JobHandler(refunds.SUBMIT, submit_refund, max_attempts=12, in_transaction=False),
    ]


@hookimpl
def on_order_state_changed(order, source, target, actor):
    if target == "cancelled":
        service.close_open_attempts(order)


@hookimpl
def on_order_price_changed(order, before, after, actor):
    service.close_open_attempts(order)
