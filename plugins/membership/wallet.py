"""Stored value (储值): a balance and a frozen balance per member, with a ledger.

**Recharging** is one way of paying, not a second one: a recharge is a *virtual order*
(``place_virtual_order``) of the package's price, paid through any channel the store has
enabled, with the core's attempts, notifications, reconciliation and auto-cancel. When the
order is paid, the amount and the package's bonus are credited (once: the ledger keys
``recharge:<id>`` and ``bonus:<id>``) and the order moves ``paid → completed``
(``fulfil``, a transition this plugin registers for its own virtual orders). Balance cannot
pay for a recharge.

**Paying with balance** is the payment channel ``balance``. ``create`` takes the order's
total from the balance by a conditional update (``balance >= total``) and records the payment
through the core as any gateway notification would; a lost answer is found again by
``query`` (the ledger row keyed by the attempt number), so a payment is taken once. A refund
puts the money back (keyed by the refund number). One order is paid by one channel, so
balance is combined with nothing else.

**Refunding a recharge** (staff, :func:`refund_recharge`) first freezes the amount plus bonus
— refused with ``balance_insufficient`` when the balance no longer covers it — then refunds
the order through its channel; when the refund succeeds the frozen money is removed.
"""

from __future__ import annotations

from typing import Any

from mallkit.core.plugin_api import (
    SYSTEM,
    Actor,
    ChannelPayment,
    ChannelRefund,
    Conflict,
    Merchant,
    NotFound,
    Order,
    PaymentChannel,
    User,
    ValidationError,
    place_virtual_order,
    record_payment,
    refund_order,
    transaction,
    transition_order,
)
from mallkit.plugins.membership import members
from mallkit.plugins.membership.models import BalanceEntry, Member, Recharge, RechargePackage

PLUGIN = "membership"


def move(
    merchant_id: int,
    user_id: int,
    delta: int,
    kind: str,
    *,
    key: str,
    frozen_delta: int = 0,
    reference: str = "",
    reason: str = "",
) -> bool:
    """Change the balance by ``delta`` and the frozen balance by ``frozen_delta`` in one
    conditional update that keeps both ≥ 0, with its ledger row. Returns False when ``key``
    was already applied; raises ``balance_insufficient`` (nothing written) when the balance
    does not cover it."""
    with transaction():
        member = members.lock(merchant_id, user_id)
        if BalanceEntry.select().where(BalanceEntry.key == key).exists():
            return False
        won = (
            Member.update(balance=Member.balance + delta, frozen=Member.frozen + frozen_delta)
            .where(
                (Member.id == member.id)
                & (Member.balance + delta >= 0)
                & (Member.frozen + frozen_delta >= 0)
            )
            .execute()
        )
        if not won:
            raise Conflict(
                "the balance does not cover it",
                code="balance_insufficient",
                errors={"balance": [f"{member.balance} available."]},
            )
        BalanceEntry.create(
            merchant_id=merchant_id,
            user_id=user_id,
            delta=delta,
            frozen_delta=frozen_delta,
            kind=kind,
            key=key,
            reference=reference[:32],
            reason=reason[:255],
        )
    return True


# -- the payment channel ---------------------------------------------------------------------


class BalanceChannel(PaymentChannel):
    """Pay an order with the buyer's stored value at that store."""

    code = "balance"
    plugin = PLUGIN
    title = "Stored value (储值余额)"
    methods = ()

    def create(self, ctx, attempt, order, params):
        if Recharge.select().where(Recharge.order_id == order.id).exists():
            raise ValidationError(
                "a recharge cannot be paid with balance",
                code="balance_not_for_recharge",
                errors={"channel": ["Pay a recharge through another channel."]},
            )
        move(
            order.merchant_id,
            order.buyer_id,
            -attempt.amount,
            "pay",
            key=f"pay:{attempt.number}",
            reference=attempt.number,
            reason=f"order {order.number}",
        )
        verdict = record_payment(
            order.merchant_id, self.code, self.query(ctx, attempt), "balance", actor=SYSTEM
        )
        return {"paid": True, "verdict": verdict, "amount": attempt.amount}

    def query(self, ctx, attempt):
        paid = BalanceEntry.get_or_none(BalanceEntry.key == f"pay:{attempt.number}")
        if paid is None:
            return ChannelPayment(attempt.number, "pending")
        return ChannelPayment(
            attempt.number, "paid", f"balance:{attempt.number}", -paid.delta, attempt.currency
        )

    def close(self, ctx, attempt):
        return None  # nothing is open anywhere: a payment is taken whole or not at all

    def refund(self, ctx, attempt, refund):
        move(
            attempt.merchant_id,
            Order.get_by_id(attempt.order_id).buyer_id,
            refund.amount,
            "refund",
            key=f"refund:{refund.number}",
            reference=refund.number,
            reason=f"refund of {attempt.number}",
        )
        return ChannelRefund(refund.number, "succeeded", f"balance:{refund.number}", refund.amount)

    def query_refund(self, ctx, attempt, refund):
        done = BalanceEntry.select().where(BalanceEntry.key == f"refund:{refund.number}").exists()
        if not done:
            return ChannelRefund(refund.number, "pending")
        return ChannelRefund(refund.number, "succeeded", f"balance:{refund.number}", refund.amount)


CHANNEL = BalanceChannel()


# -- recharges -------------------------------------------------------------------------------


def packages(merchant_id: int, *, active_only: bool = True):
    query = RechargePackage.select().where(RechargePackage.merchant_id == merchant_id)
    if active_only:
        query = query.where(RechargePackage.active == True)  # noqa: E712
    return query.order_by(RechargePackage.amount, RechargePackage.id)


def get_package(merchant_id: int, package_id: int) -> RechargePackage:
    row = RechargePackage.get_or_none(
        (RechargePackage.id == package_id) & (RechargePackage.merchant_id == merchant_id)
    )
    if row is None:
        raise NotFound("no such recharge package", code="package_not_found")
    return row


def start_recharge(merchant_id: int, user: User, package_id: int) -> Recharge:
    """An unpaid recharge: its virtual order is paid like any order."""
    package = get_package(merchant_id, package_id)
    if not package.active:
        raise Conflict("this package is no longer offered", code="package_inactive")
    with transaction():
        order = place_virtual_order(
            Merchant.get_by_id(merchant_id),
            user,
            title=package.title,
            amount=package.amount,
            data={"plugin": PLUGIN, "package_id": package.id, "bonus": package.bonus},
        )
        members.ensure(merchant_id, user.id)
        return Recharge.create(
            merchant_id=merchant_id,
            user_id=user.id,
            package_id=package.id,
            order_id=order.id,
            amount=package.amount,
            bonus=package.bonus,
        )


def credit(order: Any) -> bool:
    """The recharge's order was paid: credit amount and bonus once, complete the order."""
    recharge = Recharge.get_or_none(Recharge.order_id == order.id)
    if recharge is None:
        return False
    won = (
        Recharge.update(status="credited")
        .where((Recharge.id == recharge.id) & (Recharge.status == "pending"))
        .execute()
    )
    if not won:
        return False
    ref = order.number
    move(
        order.merchant_id,
        order.buyer_id,
        recharge.amount,
        "recharge",
        key=f"recharge:{recharge.id}",
        reference=ref,
    )
    if recharge.bonus:
        move(
            order.merchant_id,
            order.buyer_id,
            recharge.bonus,
            "bonus",
            key=f"bonus:{recharge.id}",
            reference=ref,
        )
    transition_order(order, "completed", SYSTEM, reason="recharge credited")
    return True


def refund_recharge(merchant_id: int, recharge_id: int, actor: Actor) -> Recharge:
    """Refund a credited recharge: freeze amount + bonus (refused when the balance no longer
    covers it), then refund the order through its channel."""
    recharge = Recharge.get_or_none(
        (Recharge.id == recharge_id) & (Recharge.merchant_id == merchant_id)
    )
    if recharge is None:
        raise NotFound("no such recharge", code="recharge_not_found")
    total = recharge.amount + recharge.bonus
    with transaction():
        won = (
            Recharge.update(status="refunding")
            .where((Recharge.id == recharge.id) & (Recharge.status == "credited"))
            .execute()
        )
        if not won:
            raise Conflict(
                f"a {recharge.status} recharge cannot be refunded",
                code="not_refundable",
                errors={"status": [recharge.status]},
            )
        move(
            merchant_id,
            recharge.user_id,
            -total,
            "freeze",
            frozen_delta=total,
            key=f"freeze:{recharge.id}",
            reason="recharge refund requested",
        )
        # In the same transaction: a refund the core refuses leaves nothing frozen.
        refund_order(
            Order.get_by_id(recharge.order_id),
            reason="recharge_refund",
            actor=actor,
            restock=False,
        )
    return Recharge.get_by_id(recharge.id)


def on_refunded(order: Any, refund: Any) -> None:
    """A recharge's order was refunded: remove what was frozen for it (the staff path), or —
    a refund made through the core's refund route — take back the refunded amount and its
    share of the bonus as far as the balance goes (never below zero)."""
    recharge = Recharge.get_or_none(Recharge.order_id == order.id)
    if recharge is None:
        return
    total = recharge.amount + recharge.bonus
    key, ref = f"refunded:{refund.number}", refund.number
    if recharge.status == "refunding":
        move(
            order.merchant_id,
            order.buyer_id,
            0,
            "unfreeze",
            frozen_delta=-total,
            key=key,
            reference=ref,
        )
        Recharge.update(status="refunded").where(Recharge.id == recharge.id).execute()
    elif recharge.status == "credited":
        wanted = refund.amount + recharge.bonus * refund.amount // recharge.amount
        member = members.lock(order.merchant_id, order.buyer_id)
        move(
            order.merchant_id,
            order.buyer_id,
            -min(wanted, member.balance),
            "withdraw",
            key=key,
            reference=ref,
            reason="recharge refunded outside membership",
        )
        if order.refunded_amount >= recharge.amount:
            Recharge.update(status="refunded").where(Recharge.id == recharge.id).execute()
