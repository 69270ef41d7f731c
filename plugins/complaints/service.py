"""Complaint rules: filing, the merchant's appeal and its deadline, the conversation, the
platform's arbitration, and carrying a decision out exactly once.

States: ``new`` (filed) → ``awaiting_appeal`` (the platform forwarded it; the merchant has
``appeal_hours``) → ``in_conversation`` (the merchant answered; buyer, merchant and platform
talk) → ``awaiting_arbitration`` (a party escalated it, or the merchant let the deadline
pass; the platform has ``arbitration_sla_hours``) → ``closed`` with a decision. The buyer may
withdraw an open complaint. Every change is a compare-and-set on the status.

A decision with money or goods (``refund_full``, ``refund_partial``, ``exchange``) is carried
out by the aftersales plugin — an after-sale case the platform opens and approves, refunded
through the core's refund service — by a durable task; the task, a retry or a second worker
find it done and change nothing (``execution`` compare-and-set, and the case's unique
``source_key``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import peewee as pw

from mallkit.core.plugin_api import (
    SYSTEM,
    Actor,
    Conflict,
    NotFound,
    Order,
    OrderLine,
    ValidationError,
    cancel_task,
    merchant_plugins,
    record_audit,
    schedule_task,
    transaction,
    utcnow,
)
from mallkit.plugins.aftersales import service as aftersales
from mallkit.plugins.complaints.models import (
    AWAITING_APPEAL,
    AWAITING_ARBITRATION,
    CLOSED,
    IN_CONVERSATION,
    MONEY_DECISIONS,
    NEW,
    OPEN,
    WITHDRAWN,
    Complaint,
    ComplaintMessage,
)

PLUGIN = "complaints"
APPEAL_DEADLINE = "complaints.appeal_deadline"
EXECUTE = "complaints.execute"
ELIGIBLE = ("paid", "shipped", "completed")
# The platform decides once the merchant was asked (it need not wait for a late answer).
DECIDABLE = (AWAITING_APPEAL, IN_CONVERSATION, AWAITING_ARBITRATION)


def config(merchant_id: int) -> dict[str, Any]:
    saved = merchant_plugins(merchant_id).config(PLUGIN)
    return {"window_days": 15, "appeal_hours": 72, "arbitration_sla_hours": 72, **saved}


def get(merchant_id: int, complaint_id: int) -> Complaint:
    found = Complaint.get_or_none(
        (Complaint.id == complaint_id) & (Complaint.merchant_id == merchant_id)
    )
    if found is None:
        raise NotFound("no such complaint", code="complaint_not_found")
    return found


def note(complaint: Complaint, actor: Actor, text: str = "", *, event: str = "", images=()):
    return ComplaintMessage.create(
        complaint=complaint.id,
        author_type=actor.type,
        author_id=actor.id,
        text=text[:2000],
        images=list(images),
        event=event,
    )


def _move(complaint: Complaint, sources: tuple[str, ...], target: str, **changes) -> Complaint:
    """Compare-and-set; 409 ``invalid_complaint_state`` with the current state otherwise."""
    won = (
        Complaint.update(status=target, updated_at=utcnow(), **changes)
        .where((Complaint.id == complaint.id) & Complaint.status.in_(sources))
        .execute()
    )
    current = Complaint.get_by_id(complaint.id)
    if not won:
        raise Conflict(
            f"a {current.status} complaint cannot become {target}",
            code="invalid_complaint_state",
            errors={"status": [current.status]},
        )
    return current


def _line(order: Order, line_id: int | None, field: str) -> OrderLine | None:
    if line_id is None:
        return None
    line = OrderLine.get_or_none((OrderLine.id == line_id) & (OrderLine.order == order.id))
    if line is None:
        raise ValidationError(
            "not a line of this order", errors={field: ["Not a line of this order."]}
        )
    return line


# -- the buyer -------------------------------------------------------------------------------


def file(order: Order, data: dict[str, Any], actor: Actor) -> Complaint:
    """File a complaint about the buyer's ``order`` (one open complaint per order), within
    ``window_days`` of completion."""
    cfg = config(order.merchant_id)
    order = Order.get_by_id(order.id)
    if order.status not in ELIGIBLE:
        raise Conflict(
            f"a {order.status} order takes no complaint",
            code="not_eligible",
            errors={"status": [order.status]},
        )
    if order.status == "completed" and order.completed_at is not None:
        closes = order.completed_at + dt.timedelta(days=cfg["window_days"])
        if utcnow() > closes:
            raise Conflict(
                f"complaints close {cfg['window_days']} days after completion",
                code="complaint_window_closed",
                errors={"status": ["completed"]},
            )
    line = _line(order, data.get("order_line_id"), "order_line_id")
    evidence = aftersales.check_evidence(
        order.merchant_id, data.get("evidence") or [], folder=PLUGIN
    )
    with transaction():
        try:
            with transaction():  # a savepoint: the unique open_key decides a race
                complaint = Complaint.create(
                    number=f"CP{utcnow():%y%m%d%H%M%S}{secrets.token_hex(4).upper()}",
                    merchant_id=order.merchant_id,
                    order_id=order.id,
                    order_line_id=line.id if line else None,
                    buyer_id=order.buyer_id,
                    type=data["type"],
                    description=data["description"],
                    evidence=evidence,
                    open_key=str(order.id),
                    due_at=utcnow() + dt.timedelta(hours=cfg["arbitration_sla_hours"]),
                )
        except pw.IntegrityError:
            raise Conflict(
                "this order already has an open complaint", code="complaint_open"
            ) from None
        note(complaint, actor, data["description"], event=NEW, images=evidence)
    return complaint


def withdraw(complaint: Complaint, actor: Actor) -> Complaint:
    with transaction():
        complaint = _move(complaint, OPEN, WITHDRAWN, open_key=None, finished_at=utcnow())
        cancel_task(f"{APPEAL_DEADLINE}:{complaint.id}")
        note(complaint, actor, event=WITHDRAWN)
    return complaint


# -- the merchant and the conversation -------------------------------------------------------


def forward(complaint: Complaint, actor: Actor) -> Complaint:
    """The platform accepts the complaint and asks the merchant to answer in time."""
    due = utcnow() + dt.timedelta(hours=config(complaint.merchant_id)["appeal_hours"])
    with transaction():
        complaint = _move(complaint, (NEW,), AWAITING_APPEAL, appeal_due_at=due, due_at=due)
        schedule_task(
            APPEAL_DEADLINE,
            run_at=due,
            payload={"complaint_id": complaint.id},
            merchant_id=complaint.merchant_id,
            dedupe_key=f"{APPEAL_DEADLINE}:{complaint.id}",
        )
        note(complaint, actor, event=AWAITING_APPEAL)
    return complaint


def appeal(complaint: Complaint, actor: Actor, text: str, evidence: list[str]) -> Complaint:
    """The merchant's answer; the conversation opens."""
    evidence = aftersales.check_evidence(complaint.merchant_id, evidence, folder=PLUGIN)
    with transaction():
        complaint = _move(
            complaint,
            (AWAITING_APPEAL,),
            IN_CONVERSATION,
            appeal_text=text,
            appeal_evidence=evidence,
            due_at=None,
        )
        cancel_task(f"{APPEAL_DEADLINE}:{complaint.id}")
        note(complaint, actor, text, event="appealed", images=evidence)
    return complaint


def _arbitration_due(complaint: Complaint) -> dict[str, dt.datetime]:
    hours = config(complaint.merchant_id)["arbitration_sla_hours"]
    due = utcnow() + dt.timedelta(hours=hours)
    return {"arbitration_due_at": due, "due_at": due}


def escalate(complaint: Complaint, actor: Actor) -> Complaint:
    """A party asks the platform to decide."""
    with transaction():
        complaint = _move(
            complaint,
            (IN_CONVERSATION,),
            AWAITING_ARBITRATION,
            **_arbitration_due(complaint),
        )
        note(complaint, actor, event=AWAITING_ARBITRATION)
    return complaint


def add_message(complaint: Complaint, actor: Actor, text: str, images: list[str]):
    if complaint.status not in OPEN:
        raise Conflict(
            f"a {complaint.status} complaint takes no more messages",
            code="invalid_complaint_state",
            errors={"status": [complaint.status]},
        )
    images = aftersales.check_evidence(complaint.merchant_id, images, "images", folder=PLUGIN)
    return note(complaint, actor, text, images=images)


def run_appeal_deadline(task: Any) -> None:
    """The merchant did not answer in time: the platform arbitrates (once)."""
    complaint = Complaint.get_or_none(Complaint.id == int(task.payload["complaint_id"]))
    if complaint is None or complaint.status != AWAITING_APPEAL:
        return
    with transaction():
        try:
            complaint = _move(
                complaint,
                (AWAITING_APPEAL,),
                AWAITING_ARBITRATION,
                **_arbitration_due(complaint),
            )
        except Conflict:
            return
        note(complaint, SYSTEM, "the merchant did not answer in time", event="appeal_missed")


# -- the platform's decision -----------------------------------------------------------------


def decide(complaint: Complaint, actor: Actor, data: dict[str, Any]) -> Complaint:
    """Close the complaint with a decision; money and exchanges are carried out by the
    ``complaints.execute`` task through the aftersales plugin."""
    kind = data["decision"]
    current = Complaint.get_by_id(complaint.id)
    if current.status not in DECIDABLE:
        raise Conflict(
            f"a {current.status} complaint cannot be decided",
            code="invalid_complaint_state",
            errors={"status": [current.status]},
        )
    order = Order.get_by_id(complaint.order_id)
    line = None
    amount = 0
    if kind in MONEY_DECISIONS:
        line = _line(order, data.get("order_line_id") or complaint.order_line_id, "order_line_id")
        if line is None:
            raise ValidationError(
                "name the order line the decision refunds or exchanges",
                errors={"order_line_id": ["Required for this decision."]},
            )
        left_qty, left_amount = aftersales.refundable(line)
        if kind == "refund_partial":
            amount = data.get("amount") or 0
            if not 1 <= amount <= left_amount:
                raise ValidationError(
                    "the amount is more than the line has left",
                    errors={"amount": [f"Between 1 and {left_amount}."]},
                )
        elif kind == "refund_full":
            amount = left_amount
            if left_amount <= 0:
                raise Conflict("the line is refunded already", code="nothing_to_refund")
        elif not line.shipped_quantity or left_qty <= 0:
            raise Conflict("nothing shipped to exchange", code="not_shipped")
        if line.id in aftersales.lines_on_hold(order):
            raise Conflict(
                "the line has an open after-sale case; end it first",
                code="case_open",
                errors={"order_line_id": [str(line.id)]},
            )
    with transaction():
        complaint = _move(
            complaint,
            DECIDABLE,
            CLOSED,
            open_key=None,
            finished_at=utcnow(),
            due_at=None,
            decision=kind,
            decision_amount=amount,
            decision_line_id=line.id if line else None,
            decision_note=data.get("note", ""),
            decided_by=actor.id,
            decided_at=utcnow(),
            execution="pending" if kind in MONEY_DECISIONS else "",
        )
        cancel_task(f"{APPEAL_DEADLINE}:{complaint.id}")
        note(complaint, actor, data.get("note", ""), event=f"decided:{kind}")
        record_audit(
            "complaints.decide",
            actor_id=actor.id,
            merchant_id=complaint.merchant_id,
            target_type="complaint",
            target_id=complaint.number,
            after={"decision": kind, "amount": amount, "order_line_id": complaint.decision_line_id},
        )
        if kind in MONEY_DECISIONS:
            schedule_task(
                EXECUTE,
                payload={"complaint_id": complaint.id},
                merchant_id=complaint.merchant_id,
                dedupe_key=f"{EXECUTE}:{complaint.id}",
            )
    return complaint


def execute(complaint_id: int) -> str:
    """Carry out a decision once: open the platform's after-sale case and approve it (a
    refund is sent at once; an exchange waits for the goods). Returns ``done`` or
    ``nothing`` (done before, or nothing to do)."""
    complaint = Complaint.get_or_none(Complaint.id == complaint_id)
    if complaint is None or complaint.execution != "pending":
        return "nothing"
    order = Order.get_by_id(complaint.order_id)
    line = OrderLine.get_by_id(complaint.decision_line_id)
    platform = Actor("admin", complaint.decided_by)
    kind = "exchange" if complaint.decision == "exchange" else "refund"
    left_qty, _ = aftersales.refundable(line)
    quantity = {
        "refund_full": left_qty,  # everything left of the line, goods and money
        "refund_partial": 0,  # money only: the buyer keeps the goods
        "exchange": min(left_qty, line.shipped_quantity),
    }[complaint.decision]
    with transaction():
        won = (
            Complaint.update(execution="done", updated_at=utcnow())
            .where((Complaint.id == complaint.id) & (Complaint.execution == "pending"))
            .execute()
        )
        if not won:
            return "nothing"
        case = aftersales.apply(
            order,
            {
                "order_line_id": line.id,
                "type": kind,
                "quantity": quantity,
                "amount": complaint.decision_amount or None,
                "reason": "complaint",  # one reason for the store's statistics
                "description": f"{complaint.number}: {complaint.decision_note}",
            },
            platform,
            source_key=f"complaint:{complaint.id}",
            by_platform=True,
        )
        Complaint.update(case_id=case.id).where(Complaint.id == complaint.id).execute()
        note(complaint, SYSTEM, f"after-sale case {case.number}", event="executed")
        if case.status == "applied":
            aftersales.approve(case, platform, f"complaint {complaint.number}")
    return "done"


def run_execute(task: Any) -> None:
    execute(int(task.payload["complaint_id"]))


# -- holds and statistics --------------------------------------------------------------------


def lines_on_hold(order: Order) -> list[int]:
    """Lines whose money waits for a complaint: the complaint's line, or every line when the
    complaint is about the whole order; also a decision not carried out yet."""
    waiting = list(
        Complaint.select(Complaint.order_line_id, Complaint.decision_line_id).where(
            (Complaint.order_id == order.id)
            & (Complaint.status.in_(OPEN) | (Complaint.execution == "pending"))
        )
    )
    if not waiting:
        return []
    held: set[int] = set()
    for c in waiting:
        line_id = c.order_line_id or c.decision_line_id
        if line_id is None:
            return sorted(
                ln.id for ln in OrderLine.select(OrderLine.id).where(OrderLine.order == order.id)
            )
        held.add(line_id)
    return sorted(held)


def stats(merchant_id: int, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    """Complaints filed in ``[since, until)`` against the store: the rate per paid order,
    by type and decision, warnings."""
    mine = (
        (Complaint.merchant_id == merchant_id)
        & (Complaint.created_at >= since)
        & (Complaint.created_at < until)
    )

    def by(column: pw.Field) -> dict[str, int]:
        rows = (
            Complaint.select(column, pw.fn.COUNT(Complaint.id))
            .where(mine)
            .group_by(column)
            .tuples()
        )
        return {key: count for key, count in rows if key}

    total = Complaint.select().where(mine).count()
    orders = (
        Order.select()
        .where((Order.merchant == merchant_id) & (Order.paid_at >= since) & (Order.paid_at < until))
        .count()
    )
    return {
        "since": since,
        "until": until,
        "complaints": total,
        "paid_orders": orders,
        "rate": round(total / orders, 4) if orders else 0.0,
        "by_type": by(Complaint.type),
        "by_status": by(Complaint.status),
        "by_decision": by(Complaint.decision),
        "warnings": Complaint.select().where(mine & (Complaint.decision == "warning")).count(),
    }


def inbox(filters: dict[str, Any]):
    """The platform's open complaints, most urgent first: each has a due time (the merchant's
    appeal deadline, or the platform's SLA to forward or to decide)."""
    query = Complaint.select()
    if filters.get("status"):
        query = query.where(Complaint.status == filters["status"])
    else:
        query = query.where(Complaint.status.in_(OPEN))
    for name in ("merchant_id", "type"):
        if filters.get(name) is not None:
            query = query.where(getattr(Complaint, name) == filters[name])
    if filters.get("overdue"):
        query = query.where(Complaint.due_at < utcnow())
    return query.order_by(Complaint.due_at.asc(nulls="LAST"), Complaint.id)
