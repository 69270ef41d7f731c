"""Payments: starting attempts, recording a payment exactly once however it is reported
(notification, query, staff confirmation), reconciliation and closing.

Exactly once: the attempt moves to ``paid`` by a compare-and-set on its state, in the same
transaction as the order's ``pending_payment → paid``, and the channel's transaction id is
unique per channel. Fifty concurrent copies of one notification make one payment; a payment
that arrives for an order cancelled meanwhile is refunded, never lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import peewee as pw

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.catalog import stock
from mallkit.core.catalog.errors import OutOfStock
from mallkit.core.db import is_postgres, transaction, utcnow
from mallkit.core.errors import Conflict, NotFound, ValidationError
from mallkit.core.orders.machine import SYSTEM, Actor, transition
from mallkit.core.orders.models import STOCK_AT_PAY, Order, OrderLine
from mallkit.core.orders.service import AUTO_CANCEL, new_number, settings_for
from mallkit.core.payments import refunds
from mallkit.core.payments.channel import (
    Acknowledgement,
    ChannelPayment,
    InvalidNotification,
)
from mallkit.core.payments.models import PaymentAttempt
from mallkit.core.payments.registry import (
    channel_for,
    channels,
    context,
    record_log,
)
from mallkit.core.tasks.queue import ScheduledTask, schedule
from mallkit.core.tasks.queue import cancel as cancel_task

log = logging.getLogger("mallkit.payments")
OPEN = ("pending",)
RECONCILE = "payment.reconcile"
CLOSE = "payment.close"


# -- starting a payment ----------------------------------------------------------------------


FREE_CHANNEL = "none"  # payment_channel of orders that cost nothing


def start(
    order: Order, channel_code: str, *, method: str = "", params: dict[str, Any] | None = None
) -> PaymentAttempt:
    """Open a payment attempt for an unpaid order (or return the open one for the same
    channel, method and amount) and ask the channel how the buyer pays."""

    order = Order.get_by_id(order.id)
    if order.status != "pending_payment":
        raise Conflict(f"a {order.status} order cannot be paid", code="not_payable")
    merchant = Merchant.get_by_id(order.merchant_id)
    channel = channel_for(merchant.id, channel_code)
    if channel.methods and method not in channel.methods:
        raise ValidationError(
            f"method must be one of {', '.join(channel.methods)}",
            errors={"method": list(channel.methods)},
        )
    existing = (
        PaymentAttempt.select()
        .where(
            (PaymentAttempt.order == order.id)
            & (PaymentAttempt.channel == channel.code)
            & (PaymentAttempt.method == method)
            & (PaymentAttempt.status == "pending")
            & (PaymentAttempt.amount == order.total)
        )
        .order_by(PaymentAttempt.id.desc())
        .first()
    )
    if existing is not None and existing.channel_data:
        return existing
    # The gateway call happens outside any transaction (on SQLite a transaction holds the
    # write lock): the attempt and its reconciliation task are committed first, the answer
    # is written after; a refusal marks the attempt failed and is logged.
    with transaction():
        attempt = PaymentAttempt.create(
            number=new_number("P"),
            order=order.id,
            merchant=merchant.id,
            channel=channel.code,
            method=method,
            amount=order.total,
            currency=order.currency,
        )
        schedule(
            RECONCILE,
            delay=dt.timedelta(minutes=2),
            payload={"attempt_id": attempt.id, "step": 0},
            merchant_id=merchant.id,
            dedupe_key=f"{RECONCILE}:{attempt.id}:0",
        )
    try:
        data = channel.create(context(merchant, channel), attempt, order, params or {})
    except ValidationError:
        # The buyer's parameters were wrong (no openid for JSAPI ...): nothing stays.
        with transaction():
            ScheduledTask.delete().where(
                ScheduledTask.dedupe_key == f"{RECONCILE}:{attempt.id}:0"
            ).execute()
            PaymentAttempt.delete().where(PaymentAttempt.id == attempt.id).execute()
        raise
    except Exception as exc:
        # The gateway refused or could not be reached: the attempt stays, failed, and logged.
        with transaction():
            PaymentAttempt.update(status="failed", closed_at=utcnow()).where(
                (PaymentAttempt.id == attempt.id) & (PaymentAttempt.status == "pending")
            ).execute()
            record_log(
                merchant.id,
                channel.code,
                "create",
                attempt.number,
                "refused",
                error=str(getattr(exc, "code", type(exc).__name__)),
                errors=getattr(exc, "errors", {}),
            )
        raise
    with transaction():
        PaymentAttempt.update(channel_data=data or {}).where(
            PaymentAttempt.id == attempt.id
        ).execute()
        record_log(merchant.id, channel.code, "create", attempt.number, "ok")
    return PaymentAttempt.get_by_id(attempt.id)


# -- recording a payment ---------------------------------------------------------------------


def record_payment(
    merchant_id: int, channel_code: str, payment: ChannelPayment, source: str, actor: Actor = SYSTEM
) -> str:
    """Apply a payment the channel reported; return the verdict.

    ``paid`` — this call made the payment; ``duplicate`` — it was already recorded;
    ``refunded`` — paid after the order was cancelled (or paid twice): money goes back.
    Raises ``ValidationError`` (``amount_mismatch``) and ``NotFound`` (``unknown_payment``)
    with nothing changed.
    """
    attempt = PaymentAttempt.get_or_none(
        (PaymentAttempt.number == payment.attempt_number)
        & (PaymentAttempt.merchant == merchant_id)
        & (PaymentAttempt.channel == channel_code)
    )
    if attempt is None:
        record_log(merchant_id, channel_code, source, payment.attempt_number, "unknown_payment")
        raise NotFound("no such payment", code="unknown_payment")
    if payment.status != "paid":
        return payment.status
    if (
        payment.amount != attempt.amount
        or (payment.currency or attempt.currency) != attempt.currency
    ):
        record_log(
            merchant_id,
            channel_code,
            source,
            attempt.number,
            "amount_mismatch",
            expected=attempt.amount,
            got=payment.amount,
            currency=payment.currency,
        )
        raise ValidationError("the paid amount does not match the payment", code="amount_mismatch")
    txn_id = payment.txn_id or f"{channel_code}:{attempt.number}"
    try:
        with transaction():
            lock_order(attempt.order_id)
            won = (
                PaymentAttempt.update(
                    status="paid", channel_txn_id=txn_id, paid_at=payment.paid_at or utcnow()
                )
                .where(
                    (PaymentAttempt.id == attempt.id)
                    & PaymentAttempt.status.in_(("pending", "closed", "failed"))
                )
                .execute()
            )
            if not won:
                verdict = "duplicate"
            else:
                verdict = _settle_order(attempt, actor)
    except pw.IntegrityError:  # the same gateway transaction recorded on another attempt
        verdict = "duplicate"
    record_log(merchant_id, channel_code, source, attempt.number, verdict, txn_id=txn_id)
    return verdict


def _settle_order(attempt: PaymentAttempt, actor: Actor) -> str:
    """Inside the transaction that marked ``attempt`` paid: move the order on."""

    order = Order.get_by_id(attempt.order_id)
    if order.status != "pending_payment":
        # Cancelled meanwhile, or already paid through another attempt: give it back.
        refunds.refund_attempt(attempt, reason=f"paid_after_{order.status}")
        return "refunded"
    transition(
        order,
        "paid",
        Actor("system", actor.id) if actor.type != "system" else SYSTEM,
        reason=f"paid via {attempt.channel}",
        changes={"paid_amount": attempt.amount, "payment_channel": attempt.channel},
    )
    _after_paid(order)
    return "paid"


def settle_free_order(order: Order) -> None:
    """An order that costs nothing (a free sample, everything covered by discounts) is paid
    as it is placed, with no channel: inside the checkout transaction, after its hooks."""
    if order.total != 0 or order.status != "pending_payment":
        raise ValueError("only a pending order with a total of 0 is settled without payment")
    transition(
        order,
        "paid",
        SYSTEM,
        reason="nothing to pay",
        changes={"paid_amount": 0, "payment_channel": FREE_CHANNEL},
    )
    _after_paid(order)


def _after_paid(order: Order) -> None:
    """No more auto-cancel; stock taken now when the store takes it at payment (an order whose
    stock is gone is refunded in full)."""
    cancel_task(f"{AUTO_CANCEL}:{order.id}")
    if not order.stock_deducted and settings_for(order.merchant_id).stock_deduct == STOCK_AT_PAY:
        lines = [
            (ln.sku_id, ln.quantity) for ln in OrderLine.select().where(OrderLine.order == order.id)
        ]
        try:
            with transaction():
                stock.allocate(
                    Merchant.get_by_id(order.merchant_id),
                    lines,
                    stock.StockReference("order", order.number),
                )
                Order.update(stock_deducted=True).where(Order.id == order.id).execute()
        except OutOfStock:
            if order.total == 0:
                raise
            refunds.refund_everything(
                Order.get_by_id(order.id), reason="out_of_stock", actor=SYSTEM, restock=False
            )


def lock_order(order_id: int) -> None:
    """Take the order's row lock first (PostgreSQL), as every order change does, so a payment
    racing a cancel queues behind it instead of deadlocking (attempt then order vs. order then
    attempt). SQLite's ``BEGIN IMMEDIATE`` already serialises writers."""
    if is_postgres():
        Order.select(Order.id).where(Order.id == order_id).for_update().execute()


# -- notifications ---------------------------------------------------------------------------


def handle_notification(
    channel_code: str, merchant_id: int, headers: dict[str, str], body: bytes, form: dict[str, str]
) -> Acknowledgement:
    """Verify, then apply, a gateway notification; return the exact reply to send."""

    merchant = Merchant.get_or_none(Merchant.id == merchant_id)
    try:
        if merchant is None:
            raise NotFound("no such merchant")
        channel = channel_for(merchant_id, channel_code)
    except NotFound:
        return Acknowledgement("not found", 404)
    try:
        note = channel.parse_notification(context(merchant, channel), headers, body, form)
    except InvalidNotification as exc:
        record_log(merchant_id, channel_code, "notify", "", "invalid", error=exc.message)
        return channel.acknowledge(False, exc.message)
    try:
        if note.kind == "payment" and note.payment is not None:
            record_payment(merchant_id, channel_code, note.payment, "notify")
        elif note.kind == "refund" and note.refund is not None:
            refunds.apply_channel_refund(merchant_id, channel_code, note.refund, "notify")
    except (ValidationError, NotFound) as exc:
        return channel.acknowledge(False, exc.message)
    return channel.acknowledge(True)


# -- reconciliation and closing --------------------------------------------------------------


def reconcile(attempt: PaymentAttempt) -> str:
    """Ask the channel about a pending attempt and record what it says."""
    merchant = Merchant.get_by_id(attempt.merchant_id)
    channel = channels().get(attempt.channel)
    if channel is None:
        return "no_channel"
    result = channel.query(context(merchant, channel), attempt)
    PaymentAttempt.update(last_queried_at=utcnow()).where(PaymentAttempt.id == attempt.id).execute()
    if result.status == "paid":
        return record_payment(merchant.id, channel.code, result, "query")
    record_log(merchant.id, channel.code, "query", attempt.number, result.status)
    return result.status


def close_open_attempts(order: Order) -> int:
    """Close the order's open attempts (after cancel or a price change). The gateway close is
    sent after commit through the task outbox."""
    open_attempts = list(
        PaymentAttempt.select().where(
            (PaymentAttempt.order == order.id) & PaymentAttempt.status.in_(OPEN)
        )
    )
    for attempt in open_attempts:
        won = (
            PaymentAttempt.update(status="closed", closed_at=utcnow())
            .where((PaymentAttempt.id == attempt.id) & (PaymentAttempt.status == "pending"))
            .execute()
        )
        if won:
            schedule(
                CLOSE,
                payload={"attempt_id": attempt.id},
                merchant_id=attempt.merchant_id,
                dedupe_key=f"{CLOSE}:{attempt.id}",
            )
    return len(open_attempts)


def close_at_channel(attempt_id: int) -> None:
    """Task handler: close a closed attempt at its gateway (idempotent)."""
    attempt = PaymentAttempt.get_or_none(PaymentAttempt.id == attempt_id)
    if attempt is None or attempt.status != "closed":
        return
    channel = channels().get(attempt.channel)
    if channel is None:
        return
    merchant = Merchant.get_by_id(attempt.merchant_id)
    channel.close(context(merchant, channel), attempt)
    record_log(merchant.id, channel.code, "close", attempt.number, "ok")
