"""Commission: computed per order line when the order is paid (frozen), settled into the
promoter's balance a number of days after the order completes, reversed by refunds.

Rules (docs/plugins/distribution.md):

- Base of a line: what it paid (``pay_amount``), its freight share left out unless
  ``include_freight``. Gifts and lines that paid nothing earn nothing.
- Rate rule: ``base × rate ÷ 10000`` rounded down per line (rates in basis points) — the
  level 1 rate of the level-1 promoter's group and the level 2 rate of the level-2
  promoter's group (the store's default rates for promoters in no group). A product's own
  rule overrides: a rate, or a fixed amount per unit (at most the line's base).
  The order's commission is the sum of its lines' rows, so it equals the lines exactly.
- A refund of part of a line keeps ``⌊amount × (paid − refunded) ÷ paid⌋`` of the
  commission: the rest is cancelled while frozen, or taken back from the balance once settled
  (never below zero; what the balance cannot cover becomes debt that later commission pays
  off first).
- Settlement waits for lines held by another plugin (``order_lines_on_hold``: an open
  after-sale case) and for pending refunds, and looks again a day later.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from mallkit.core.plugin_api import (
    Order,
    Refund,
    database,
    merchant_plugins,
    schedule_task,
    transaction,
    utcnow,
)
from mallkit.plugins.distribution import wallet
from mallkit.plugins.distribution.models import (
    C_CANCELLED,
    C_FROZEN,
    C_SETTLED,
    Commission,
    ProductRule,
    Promoter,
)
from mallkit.plugins.distribution.promoters import order_promoters as promoters_of
from mallkit.plugins.distribution.promoters import settings

SETTLE = "distribution.settle"
RECHECK = dt.timedelta(days=1)

# Plain SQL on the payment path: building these statements with peewee costs ~20x running
# them. The order's lines with their product's own rule; the columns a commission row gets
# from ``compute``.
_LINES_SQL = """
SELECT l.id, l.product_id, l.quantity, l.pay_amount, l.freight_share, r.mode, r.level1, r.level2
FROM order_line l LEFT JOIN distribution_product_rule r
    ON r.product_id = l.product_id AND r.merchant_id = {p}
WHERE l.order_id = {p} ORDER BY l.id
"""
_ROW_FIELDS = (
    "promoter_id",
    "order_line_id",
    "product_id",
    "level",
    "base",
    "line_paid",
    "rule",
    "rate",
    "amount",
)


class _Line(NamedTuple):
    id: int
    product_id: int
    quantity: int
    pay_amount: int
    freight_share: int


class _Rule(NamedTuple):
    mode: str
    level1: int
    level2: int


def compute(
    lines: list[Any],
    promoters: dict[int, Promoter | None],
    rates: dict[int, tuple[int, int]],
    rules: dict[int, ProductRule],
    include_freight: bool,
) -> list[dict[str, Any]]:
    """The commission rows of ``lines`` (order lines) for ``promoters`` (``{level:
    promoter}``), with ``rates`` (``{level: (level1_bp, level2_bp)}`` of that level's
    promoter) and ``rules`` (``{product_id: ProductRule}``). Pure: no queries."""
    rows = []
    for line in lines:
        base = line.pay_amount - (0 if include_freight else line.freight_share)
        if base <= 0:
            continue
        rule = rules.get(line.product_id)
        for level, promoter in promoters.items():
            if promoter is None:
                continue
            if rule is None:
                kind, rate = "rate", rates[level][level - 1]
                amount = base * rate // 10_000
            elif rule.mode == "fixed":
                kind, rate = "fixed", rule.level1 if level == 1 else rule.level2
                amount = min(base, rate * line.quantity)
            else:
                kind, rate = "rate", rule.level1 if level == 1 else rule.level2
                amount = base * rate // 10_000
            if amount <= 0:
                continue
            rows.append(
                {
                    "promoter_id": promoter.id,
                    "order_line_id": line.id,
                    "product_id": line.product_id,
                    "level": level,
                    "base": base,
                    "line_paid": line.pay_amount,
                    "rule": kind,
                    "rate": rate,
                    "amount": amount,
                }
            )
    return rows


def on_paid(order: Order) -> None:
    """Create the order's commission rows (frozen) for the promoters of its buyer at payment.
    Called once, by the order's one ``pending_payment → paid`` transition (a group-buy order
    coming back to ``paid`` is not called again); the unique (line, level) index would refuse
    a second set anyway."""
    level1, level2 = promoters_of(order.merchant_id, order.buyer_id)
    if level1 is None and level2 is None:
        return
    config = settings(order.merchant_id)
    promoters: dict[int, Promoter | None] = {1: level1, 2: level2}
    rates = {
        level: (p.g1, p.g2) if p.g1 is not None else (config["level1_bp"], config["level2_bp"])
        for level, p in promoters.items()
        if p is not None
    }
    # the lines with their product's own rule, in one query
    lines, rules = [], {}
    sql = _LINES_SQL.format(p=database.param)
    for row in database.execute_sql(sql, (order.merchant_id, order.id)).fetchall():
        lines.append(_Line(*row[:5]))
        if row[5] is not None:
            rules[row[1]] = _Rule(*row[5:])
    rows = compute(lines, promoters, rates, rules, config["include_freight"])
    if rows:
        now = Commission.created_at.db_value(utcnow())
        fixed = (order.merchant_id, order.id, order.buyer_id, now, 0, 0, 0, C_FROZEN)
        values = [(*fixed, *(row[c] for c in _ROW_FIELDS)) for row in rows]
        one = "(" + ", ".join([database.param] * len(values[0])) + ")"
        database.execute_sql(
            "INSERT INTO distribution_commission (merchant_id, order_id, buyer_id, created_at, "
            f"refunded, cancelled, settled, status, {', '.join(_ROW_FIELDS)}) "
            f"VALUES {', '.join([one] * len(values))}",
            [v for value in values for v in value],
        )


def on_completed(order: Order) -> None:
    if (
        not Commission.select()
        .where((Commission.order_id == order.id) & (Commission.status == C_FROZEN))
        .exists()
    ):
        return
    days = settings(order.merchant_id)["settle_days"]
    schedule_task(
        SETTLE,
        run_at=utcnow() + dt.timedelta(days=days),
        payload={"order_id": order.id},
        merchant_id=order.merchant_id,
        dedupe_key=f"{SETTLE}:{order.id}",
    )


def _lock_order(order_id: int) -> None:
    """Settlement and reversal of one order queue up on its commission rows."""
    Commission.update(status=Commission.status).where(Commission.order_id == order_id).execute()


def held_lines(order: Order) -> set[int]:
    held: set[int] = set()
    for answer in merchant_plugins(order.merchant_id).hook.order_lines_on_hold(order=order):
        held.update(answer or ())
    for refund in Refund.select().where((Refund.order == order.id) & (Refund.status == "pending")):
        held.update(line.order_line_id for line in refund.lines)
    return held


def run_settle_task(task: Any) -> None:
    order = Order.get_or_none(Order.id == int(task.payload["order_id"]))
    if order is not None:
        settle(order)


def settle(order: Order) -> int:
    """Move the order's frozen commission into the promoters' balances, except lines still
    held (looked at again a day later). Exactly once per record, racing refunds and other
    workers. Returns how many records settled."""
    done = 0
    with transaction():
        _lock_order(order.id)
        held = held_lines(order)
        records = list(
            Commission.select()
            .where((Commission.order_id == order.id) & (Commission.status == C_FROZEN))
            .order_by(Commission.promoter_id, Commission.id)
        )
        waiting = [r for r in records if r.order_line_id in held]
        view = merchant_plugins(order.merchant_id).hook
        for record in records:
            if record.order_line_id in held:
                continue
            net = record.amount - record.cancelled
            promoter = wallet.lock(record.promoter_id)
            won = (
                Commission.update(status=C_SETTLED, settled=net, settled_at=utcnow())
                .where((Commission.id == record.id) & (Commission.status == C_FROZEN))
                .execute()
            )
            if not won:
                continue
            before = Promoter.get_by_id(promoter.id)
            wallet.credit(promoter, net, commission_id=record.id)
            record = Commission.get_by_id(record.id)
            view.on_commission_settled(commission=record, promoter=before)
            done += 1
        if waiting:
            schedule_task(
                SETTLE,
                run_at=utcnow() + RECHECK,
                payload={"order_id": order.id},
                merchant_id=order.merchant_id,
            )
    return done


def on_refunded(order: Order, lines: list[dict[str, Any]]) -> None:
    """Take back the refunded share of each refunded line's commission."""
    refunded = {line["order_line_id"]: line["amount"] for line in lines}
    with transaction():
        _lock_order(order.id)
        records = list(
            Commission.select()
            .where((Commission.order_id == order.id) & Commission.order_line_id.in_(list(refunded)))
            .order_by(Commission.promoter_id, Commission.id)
        )
        for record in records:
            promoter = wallet.lock(record.promoter_id)
            record = Commission.get_by_id(record.id)
            total_refunded = min(record.line_paid, record.refunded + refunded[record.order_line_id])
            kept = record.amount * (record.line_paid - total_refunded) // record.line_paid
            delta = (record.amount - kept) - record.cancelled
            changes: dict[str, Any] = {
                "refunded": total_refunded,
                "cancelled": record.amount - kept,
            }
            if record.status == C_FROZEN and kept == 0:
                changes["status"] = C_CANCELLED
            won = (
                Commission.update(**changes)
                .where((Commission.id == record.id) & (Commission.refunded == record.refunded))
                .execute()
            )
            if not won or delta <= 0:
                continue
            settled = record.status == C_SETTLED
            if settled:
                wallet.take_back(promoter, delta, commission_id=record.id)
            merchant_plugins(order.merchant_id).hook.on_commission_reversed(
                commission=Commission.get_by_id(record.id), amount=delta, settled=settled
            )
