"""Refunds: full and partial, per line, never more than a line paid, back through the channel
the order was paid with.

A refund is written ``pending`` with its lines' shares reserved by compare-and-set updates
(``refunded_amount + x <= pay_amount``), so two refunds racing for the same line can never
together exceed it. The channel call goes out after commit with the refund's number as the
idempotency key (a task retries it on network failure); success restores stock when
configured and closes the order once everything is refunded; failure releases the reserve.
"""

from __future__ import annotations

import logging
from typing import Any

from mallkit.core import signals
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.db import on_commit, transaction, utcnow
from mallkit.core.errors import Conflict, NotFound, ValidationError
from mallkit.core.orders.machine import SYSTEM, Actor, record_event, transition
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.orders.service import new_number, restore_stock, settings_for
from mallkit.core.payments.channel import ChannelRefund
from mallkit.core.payments.models import PaymentAttempt, Refund, RefundLine
from mallkit.core.payments.registry import channels, context, record_log
from mallkit.core.plugins import call_isolated, order_hooks
from mallkit.core.tasks import queue as tasks

SUBMIT = "refund.submit"
log = logging.getLogger("mallkit.refunds")


def _paid_attempt(order: Order) -> PaymentAttempt:
    attempt = (
        PaymentAttempt.select()
        .where((PaymentAttempt.order == order.id) & (PaymentAttempt.status == "paid"))
        .order_by(PaymentAttempt.paid_at)
        .first()
    )
    if attempt is None:
        raise Conflict("the order has no payment to refund", code="not_paid")
    return attempt


def _default_amount(line: OrderLine, quantity: int) -> int:
    """The share of what the line paid for ``quantity`` units; the last units take what is
    left, so refunding every unit refunds exactly what was paid."""
    left_qty = line.quantity - line.refunded_quantity
    left_amount = line.pay_amount - line.refunded_amount
    if quantity >= left_qty:
        return left_amount
    return line.pay_amount * quantity // line.quantity


def create(
    order: Order,
    lines: list[dict[str, Any]] | None,
    *,
    reason: str,
    actor: Actor,
    restock: bool | None = None,
) -> Refund:
    """Refund some lines (``[{"line_id", "quantity", "amount"?}]``) or, with ``None``, all
    that is left. ``amount`` defaults to the line's share for the quantity.

    The refund is written ``pending`` with a ``refund.submit`` task in the same transaction;
    call :func:`submit` after commit to send it at once (the task sends it otherwise)."""

    with transaction():
        order = Order.get_by_id(order.id)
        if order.paid_amount <= 0 or order.status in ("pending_payment", "cancelled", "closed"):
            raise Conflict(f"a {order.status} order cannot be refunded", code="not_refundable")
        attempt = _paid_attempt(order)
        order_lines = {
            ln.id: ln
            for ln in OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id)
        }
        if lines is None:
            lines = [
                {"line_id": ln.id, "quantity": ln.quantity - ln.refunded_quantity}
                for ln in order_lines.values()
                if ln.pay_amount > ln.refunded_amount or ln.refunded_quantity < ln.quantity
            ]
        if not lines:
            raise Conflict("nothing left to refund", code="nothing_to_refund")
        plan: list[tuple[OrderLine, int, int]] = []
        errors: dict[str, list[str]] = {}
        for item in lines:
            line = order_lines.get(item["line_id"])
            if line is None:
                errors[str(item["line_id"])] = ["Not a line of this order."]
                continue
            quantity = item.get("quantity", 0)
            if quantity < 0 or quantity > line.quantity - line.refunded_quantity:
                errors[str(line.id)] = [
                    f"Quantity between 0 and {line.quantity - line.refunded_quantity}."
                ]
                continue
            amount = item.get("amount")
            if amount is None:
                amount = _default_amount(line, quantity)
            if amount < 0 or amount > line.pay_amount - line.refunded_amount:
                errors[str(line.id)] = [
                    f"Amount between 0 and {line.pay_amount - line.refunded_amount}."
                ]
                continue
            if amount == 0 and quantity == 0:
                errors[str(line.id)] = ["Refund a quantity or an amount."]
                continue
            plan.append((line, quantity, amount))
        if errors:
            raise ValidationError(
                "the refund exceeds what can be refunded", code="refund_exceeds", errors=errors
            )
        total = sum(amount for _, _, amount in plan)
        if restock is None:
            restock = settings_for(order.merchant_id).restock_on_refund
        refund = Refund.create(
            number=new_number("R"),
            order=order.id,
            attempt=attempt.id,
            merchant=order.merchant_id,
            amount=total,
            currency=order.currency,
            reason=reason[:255],
            restock=restock,
            created_by=actor.id,
        )
        for line, quantity, amount in plan:
            won = (
                OrderLine.update(
                    refunded_amount=OrderLine.refunded_amount + amount,
                    refunded_quantity=OrderLine.refunded_quantity + quantity,
                )
                .where(
                    (OrderLine.id == line.id)
                    & (OrderLine.refunded_amount + amount <= OrderLine.pay_amount)
                    & (OrderLine.refunded_quantity + quantity <= OrderLine.quantity)
                )
                .execute()
            )
            if not won:
                raise Conflict(
                    "another refund took this line meanwhile",
                    code="refund_exceeds",
                    errors={str(line.id): ["Already refunded."]},
                )
            RefundLine.create(refund=refund, order_line=line.id, quantity=quantity, amount=amount)
        Order.update(refunded_amount=Order.refunded_amount + total).where(
            Order.id == order.id
        ).execute()
        record_event(
            order,
            "refund_requested",
            actor,
            reason=reason,
            data={"refund": refund.number, "amount": total},
        )
        tasks.schedule(
            SUBMIT,
            payload={"refund_id": refund.id},
            merchant_id=order.merchant_id,
            dedupe_key=f"{SUBMIT}:{refund.id}",
        )
    return refund


def refund_everything(
    order: Order, *, reason: str, actor: Actor, restock: bool | None = None
) -> Refund:
    return create(order, None, reason=reason, actor=actor, restock=restock)


def refund_lines(
    order: Order,
    lines: list[dict[str, Any]],
    *,
    reason: str,
    actor: Actor,
    restock: bool | None = None,
) -> Refund:
    """Refund chosen lines and quantities (``[{"line_id", "quantity", "amount"?}]``) through
    the channel the order was paid with — the plugin API's partial refund.

    Same rules as :func:`create` (never more than a line paid minus what was refunded; a
    ``ValidationError`` ``refund_exceeds`` otherwise, nothing written). Inside the caller's
    transaction: the refund is written ``pending`` with its ``refund.submit`` task, and is
    sent once the transaction commits (the task retries it). When the channel reports success
    ``on_order_refunded`` runs with these lines."""
    refund = create(order, lines, reason=reason, actor=actor, restock=restock)
    refund_id = refund.id
    on_commit(lambda: submit_soon(refund_id))
    return refund


def refund_attempt(attempt: PaymentAttempt, *, reason: str) -> Refund:
    """Give back a whole attempt that paid for nothing (the order was cancelled, or paid
    twice). No order line is involved; inside the caller's transaction."""

    existing = Refund.get_or_none((Refund.attempt == attempt.id) & (Refund.reason == reason))
    if existing is not None:
        return existing
    refund = Refund.create(
        number=new_number("R"),
        order=attempt.order_id,
        attempt=attempt.id,
        merchant=attempt.merchant_id,
        amount=attempt.amount,
        currency=attempt.currency,
        reason=reason,
        restock=False,
    )
    tasks.schedule(
        SUBMIT,
        payload={"refund_id": refund.id},
        merchant_id=attempt.merchant_id,
        dedupe_key=f"{SUBMIT}:{refund.id}",
    )
    return refund


def submit_soon(refund_id: int) -> None:
    """Try to send a refund now, after its transaction committed; a failure is left to the
    ``refund.submit`` task, which retries with backoff."""
    try:
        submit(refund_id)
    except Exception:  # network trouble, gateway 5xx: the task retries
        log.warning("refund %s not sent yet; the task will retry", refund_id, exc_info=True)


def submit(refund_id: int) -> str:
    """Send a pending refund to its channel (idempotent: the gateway sees the same number);
    also the ``refund.submit`` task handler. Returns the refund's status."""

    refund = Refund.get_by_id(refund_id)
    if refund.status != "pending":
        return refund.status
    attempt = PaymentAttempt.get_by_id(refund.attempt_id)
    channel = channels().get(attempt.channel)
    if channel is None:
        raise NotFound(f"payment channel {attempt.channel!r} is not installed")
    merchant = Merchant.get_by_id(refund.merchant_id)
    result = channel.refund(context(merchant, channel), attempt, refund)
    record_log(merchant.id, channel.code, "refund", refund.number, result.status)
    apply(refund, result)
    return Refund.get_by_id(refund_id).status


def apply_channel_refund(
    merchant_id: int, channel_code: str, result: ChannelRefund, source: str
) -> str:
    """A refund notification or query result; applied once."""

    refund = Refund.get_or_none(
        (Refund.number == result.refund_number) & (Refund.merchant == merchant_id)
    )
    if refund is None:
        record_log(merchant_id, channel_code, source, result.refund_number, "unknown_refund")
        raise NotFound("no such refund", code="unknown_refund")
    apply(refund, result)
    record_log(merchant_id, channel_code, source, refund.number, result.status)
    return result.status


def apply(refund: Refund, result: ChannelRefund) -> None:
    """Finish a pending refund as the channel reports it; a second report changes nothing."""

    if result.status not in ("succeeded", "failed"):
        return
    with transaction():
        won = (
            Refund.update(
                status=result.status,
                completed_at=utcnow(),
                channel_refund_id=result.channel_refund_id,
                failure=result.failure[:255],
            )
            .where((Refund.id == refund.id) & (Refund.status == "pending"))
            .execute()
        )
        if not won:
            return
        tasks.cancel(f"{SUBMIT}:{refund.id}")
        lines = list(
            RefundLine.select(RefundLine, OrderLine)
            .join(OrderLine)
            .where(RefundLine.refund == refund.id)
            .order_by(RefundLine.id)
        )
        order = Order.get_by_id(refund.order_id)
        if result.status == "failed":
            for rl in lines:  # release the reserve
                OrderLine.update(
                    refunded_amount=OrderLine.refunded_amount - rl.amount,
                    refunded_quantity=OrderLine.refunded_quantity - rl.quantity,
                ).where(OrderLine.id == rl.order_line_id).execute()
            if lines:
                Order.update(refunded_amount=Order.refunded_amount - refund.amount).where(
                    Order.id == order.id
                ).execute()
            record_event(
                order,
                "refund_failed",
                SYSTEM,
                reason=result.failure,
                data={"refund": refund.number},
            )
            return
        if not lines:  # an attempt given back whole: the order's lines are not involved
            record_event(order, "refund_succeeded", SYSTEM, data={"refund": refund.number})
            return
        if refund.restock and order.stock_deducted:
            quantities: dict[int, int] = {}
            for rl in lines:
                quantities[rl.order_line.sku_id] = (
                    quantities.get(rl.order_line.sku_id, 0) + rl.quantity
                )
            restore_stock(order, quantities, "refund")
        record_event(
            order,
            "refund_succeeded",
            SYSTEM,
            data={"refund": refund.number, "amount": refund.amount},
        )
        full = _update_refund_status(order)
        order, refund = Order.get_by_id(order.id), Refund.get_by_id(refund.id)
        call_isolated(
            order_hooks(order).on_order_refunded,
            order=order,
            refund=refund,
            lines=[
                {
                    "order_line_id": rl.order_line_id,
                    "sku_id": rl.order_line.sku_id,
                    "quantity": rl.quantity,
                    "amount": rl.amount,
                }
                for rl in lines
            ],
            full=full,
        )
        signals.send_after_commit(
            signals.order_refunded, order, refund=refund, amount=refund.amount, full=full
        )


def _update_refund_status(order: Order) -> bool:
    """Mark the order refunded in part or in full (closing it); True when in full."""
    order = Order.get_by_id(order.id)
    pending = Refund.select().where(
        (Refund.order == order.id)
        & (Refund.status == "pending")
        & (Refund.id.in_(RefundLine.select(RefundLine.refund)))
    )
    everything = (
        not OrderLine.select()
        .where(
            (OrderLine.order == order.id)
            & (
                (OrderLine.refunded_amount < OrderLine.pay_amount)
                | (OrderLine.refunded_quantity < OrderLine.quantity)
            )
        )
        .exists()
    )
    if everything and not pending.exists():
        Order.update(refund_status="full").where(Order.id == order.id).execute()
        transition(order, "closed", SYSTEM, reason="refunded", changes={"refund_status": "full"})
        return True
    Order.update(refund_status="partial").where(Order.id == order.id).execute()
    return False
