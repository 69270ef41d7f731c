"""A promoter's money: the ledger, debt, and withdrawals.

Every change of a promoter's balance locks the promoter's row first (an ``UPDATE`` of it, so
concurrent changes of one promoter queue up on both databases), then writes one ledger row
and moves ``balance``/``debt`` by exactly that row's ``amount``/``debt_delta``. So
``balance`` is always the sum of the ledger, never negative, and two withdrawals can never
take more than there is.
"""

from __future__ import annotations

import secrets
from typing import Any

import peewee as pw

from mallkit.core.plugin_api import (
    Conflict,
    NotFound,
    ValidationError,
    merchant_plugins,
    record_audit,
    transaction,
    utcnow,
)
from mallkit.plugins.distribution import payouts
from mallkit.plugins.distribution.models import (
    FAILED,
    PAID,
    PAYING,
    REJECTED,
    REQUESTED,
    LedgerEntry,
    Promoter,
    Withdrawal,
)
from mallkit.plugins.distribution.promoters import settings, store_day


def lock(promoter_id: int) -> Promoter:
    """Lock the promoter's row for the rest of the transaction and read it."""
    Promoter.update(balance=Promoter.balance).where(Promoter.id == promoter_id).execute()
    return Promoter.get_by_id(promoter_id)


def post(
    promoter: Promoter, kind: str, amount: int, debt_delta: int = 0, **refs: Any
) -> LedgerEntry:
    """Write a ledger row and move the (locked) promoter's balance and debt by it."""
    if promoter.balance + amount < 0 or promoter.debt + debt_delta < 0:
        raise AssertionError("a ledger row may not take the balance or debt below zero")
    entry = LedgerEntry.create(
        merchant_id=promoter.merchant_id,
        promoter_id=promoter.id,
        kind=kind,
        amount=amount,
        debt_delta=debt_delta,
        **refs,
    )
    Promoter.update(balance=Promoter.balance + amount, debt=Promoter.debt + debt_delta).where(
        Promoter.id == promoter.id
    ).execute()
    promoter.balance += amount
    promoter.debt += debt_delta
    return entry


def credit(promoter: Promoter, amount: int, **refs: Any) -> None:
    """Add settled commission; it pays off debt first."""
    post(promoter, "commission", amount, **refs)
    repay = min(promoter.debt, amount)
    if repay:
        post(promoter, "debt_repayment", -repay, -repay, **refs)


def take_back(promoter: Promoter, amount: int, **refs: Any) -> int:
    """Take back settled commission: from the balance as far as it goes (never below zero),
    the rest becomes debt. Returns what came out of the balance."""
    taken = min(promoter.balance, amount)
    post(promoter, "reversal", -taken, amount - taken, **refs)
    return taken


# -- withdrawals -----------------------------------------------------------------------------


def channels(merchant_id: int) -> dict[str, Any]:
    offered = {payouts.MANUAL.name: payouts.MANUAL}
    for group in merchant_plugins(merchant_id).hook.register_payout_channels():
        for channel in group or ():
            offered[channel.name] = channel
    return offered


def _get(merchant_id: int, withdrawal_id: int) -> Withdrawal:
    row = Withdrawal.get_or_none(
        (Withdrawal.id == withdrawal_id) & (Withdrawal.merchant_id == merchant_id)
    )
    if row is None:
        raise NotFound("no such withdrawal", code="withdrawal_not_found")
    return row


def request_withdrawal(
    promoter: Promoter, data: dict[str, Any], idempotency_key: str | None
) -> tuple[Withdrawal, bool]:
    """Take ``amount`` out of the balance into a withdrawal waiting for review. Returns the
    withdrawal and whether it is new (a retry with the same ``Idempotency-Key`` and body gets
    the first one back; with another body it is refused)."""
    merchant_id = promoter.merchant_id
    config = settings(merchant_id)
    amount = data["amount"]
    if idempotency_key:
        seen = Withdrawal.get_or_none(
            (Withdrawal.promoter_id == promoter.id)
            & (Withdrawal.idempotency_key == idempotency_key)
        )
        if seen is not None:
            return _replayed(seen, data), False
    offered = channels(merchant_id)
    channel = offered.get(data["channel"])
    if channel is None:
        raise ValidationError(
            "no such payout channel",
            code="payout_channel_unknown",
            errors={"channel": [f"One of: {', '.join(sorted(offered))}."]},
        )
    missing = [f for f in channel.account_fields if not (data["account"].get(f) or "").strip()]
    if missing:
        raise ValidationError(
            "the payout account is incomplete",
            errors={"account": {f: ["Required."] for f in missing}},
        )
    if amount < config["withdraw_min"]:
        raise ValidationError(
            f"withdraw at least {config['withdraw_min']} fen",
            code="below_minimum",
            errors={"amount": [f"At least {config['withdraw_min']}."]},
        )
    fee = amount * config["withdraw_fee_bp"] // 10_000  # rounded down: in the promoter's favour
    day = store_day(merchant_id).isoformat()
    try:
        with transaction():
            locked = lock(promoter.id)
            if locked.status != "active":
                raise Conflict("a frozen promoter cannot withdraw", code="promoter_frozen")
            if amount > locked.balance:
                raise Conflict(
                    "the balance is not enough",
                    code="insufficient_balance",
                    errors={"balance": locked.balance},
                )
            limit = config["withdraw_daily_limit"]
            if limit:
                today = (
                    Withdrawal.select(pw.fn.COALESCE(pw.fn.SUM(Withdrawal.amount), 0))
                    .where(
                        (Withdrawal.promoter_id == promoter.id)
                        & (Withdrawal.day == day)
                        & Withdrawal.status.not_in((REJECTED, FAILED))
                    )
                    .scalar()
                )
                if today + amount > limit:
                    raise Conflict(
                        f"at most {limit} fen a day; {limit - today} left today",
                        code="daily_limit",
                        errors={"left_today": max(0, limit - today)},
                    )
            withdrawal = Withdrawal.create(
                number="W" + utcnow().strftime("%Y%m%d") + secrets.token_hex(6).upper(),
                merchant_id=merchant_id,
                promoter_id=promoter.id,
                amount=amount,
                fee=fee,
                net=amount - fee,
                channel=channel.name,
                account={k: v.strip() for k, v in data["account"].items()},
                day=day,
                idempotency_key=idempotency_key,
            )
            post(locked, "withdrawal", -amount, withdrawal_id=withdrawal.id)
            return withdrawal, True
    except pw.IntegrityError:  # the same key raced in: answer what the first one got
        seen = Withdrawal.get(
            (Withdrawal.promoter_id == promoter.id)
            & (Withdrawal.idempotency_key == idempotency_key)
        )
        return _replayed(seen, data), False


def _replayed(seen: Withdrawal, data: dict[str, Any]) -> Withdrawal:
    if seen.amount != data["amount"] or seen.channel != data["channel"]:
        raise Conflict(
            "this Idempotency-Key was used with another request", code="idempotency_key_reused"
        )
    return seen


def _move(withdrawal: Withdrawal, source: str, target: str, **changes: Any) -> Withdrawal:
    won = (
        Withdrawal.update(status=target, **changes)
        .where((Withdrawal.id == withdrawal.id) & (Withdrawal.status == source))
        .execute()
    )
    if not won:
        current = Withdrawal.get_by_id(withdrawal.id).status
        raise Conflict(
            f"the withdrawal is {current}", code="withdrawal_state", errors={"status": current}
        )
    return Withdrawal.get_by_id(withdrawal.id)


def _finished(withdrawal: Withdrawal) -> None:
    merchant_plugins(withdrawal.merchant_id).hook.on_withdrawal_finished(withdrawal=withdrawal)


def reject(merchant_id: int, withdrawal_id: int, reason: str, actor_id: int) -> Withdrawal:
    with transaction():
        withdrawal = _get(merchant_id, withdrawal_id)
        promoter = lock(withdrawal.promoter_id)
        withdrawal = _move(
            withdrawal,
            REQUESTED,
            REJECTED,
            reason=reason,
            reviewed_by=actor_id,
            reviewed_at=utcnow(),
            finished_at=utcnow(),
        )
        post(promoter, "withdrawal_returned", withdrawal.amount, withdrawal_id=withdrawal.id)
        _audit(withdrawal, "rejected", actor_id, reason)
        _finished(withdrawal)
    return withdrawal


def approve(merchant_id: int, withdrawal_id: int, actor_id: int) -> Withdrawal:
    """Approve and hand to the payout channel (after the approval commits)."""
    with transaction():
        withdrawal = _get(merchant_id, withdrawal_id)
        withdrawal = _move(
            withdrawal, REQUESTED, PAYING, reviewed_by=actor_id, reviewed_at=utcnow()
        )
        _audit(withdrawal, "approved", actor_id, "")
    channel = channels(merchant_id).get(withdrawal.channel)
    if channel is None:  # its plugin was switched off since: staff finish it by hand
        return withdrawal
    result = channel.pay(withdrawal)
    if result.status in (PAID, FAILED):
        return finish_withdrawal(
            withdrawal.id,
            result.status == PAID,
            reference=result.reference,
            reason=result.message,
        )
    return Withdrawal.get_by_id(withdrawal.id)


def finish_withdrawal(
    withdrawal_id: int,
    paid: bool,
    *,
    reference: str = "",
    reason: str = "",
    actor_id: int | None = None,
) -> Withdrawal:
    """Record the payout's outcome (a channel's report, or staff for a bank transfer):
    ``paid``, or failed with the money returned to the balance. Exactly once."""
    with transaction():
        withdrawal = Withdrawal.get_by_id(withdrawal_id)
        promoter = lock(withdrawal.promoter_id)
        withdrawal = _move(
            withdrawal,
            PAYING,
            PAID if paid else FAILED,
            reference=reference,
            reason=reason,
            finished_at=utcnow(),
        )
        if not paid:
            post(promoter, "withdrawal_returned", withdrawal.amount, withdrawal_id=withdrawal.id)
        if actor_id is not None:
            _audit(withdrawal, withdrawal.status, actor_id, reason or reference)
        _finished(withdrawal)
    return withdrawal


def staff_finish(
    merchant_id: int, withdrawal_id: int, paid: bool, text: str, actor_id: int
) -> Withdrawal:
    withdrawal = _get(merchant_id, withdrawal_id)
    if paid:
        return finish_withdrawal(withdrawal.id, True, reference=text, actor_id=actor_id)
    return finish_withdrawal(withdrawal.id, False, reason=text, actor_id=actor_id)


def _audit(withdrawal: Withdrawal, what: str, actor_id: int | None, note: str) -> None:
    record_audit(
        f"distribution.withdrawal_{what}",
        actor_id=actor_id,
        merchant_id=withdrawal.merchant_id,
        target_type="distribution_withdrawal",
        target_id=withdrawal.id,
        after={"amount": withdrawal.amount, "note": note},
    )
