"""After-sale rules: applying, deciding, returning, refunding, exchanging, and the tasks that
move a case on when nobody acts.

Every change of a case is a compare-and-set on its status (``UPDATE ... WHERE status IN
(...)``), so a staff click, a buyer click and a worker racing for one case change it once; the
loser gets ``409 invalid_case_state`` with the current state. Money moves only through the
core's refund service (``refund_lines``), in the transaction of the change that asks for it,
so a case is refunded at most once however often a task or a request is retried. The core
then runs ``on_order_refunded`` (points, commission, the order's refund status) and this
plugin completes the case there.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from typing import Any

import peewee as pw

from mallkit.core.plugin_api import (
    SYSTEM,
    Actor,
    Conflict,
    Merchant,
    NotFound,
    Order,
    OrderLine,
    Refund,
    StockReference,
    ValidationError,
    allocate_stock_lines,
    cancel_task,
    is_postgres,
    merchant_plugins,
    record_audit,
    refund_lines,
    release_stock_lines,
    schedule_task,
    transaction,
    utcnow,
)
from mallkit.plugins.aftersales.models import (
    APPLIED,
    APPROVED,
    CANCELLED,
    CLOSED,
    COMPLETED,
    OPEN,
    REASONS,
    RECEIVED,
    REFUNDING,
    REFUSED,
    REJECTED,
    RETURNING,
    Case,
    CaseMessage,
)

PLUGIN = "aftersales"
AUTO_APPROVE = "aftersales.auto_approve"
AUTO_CLOSE = "aftersales.auto_close"
REFUND = "aftersales.refund"
AWAITING_GROUP = "awaiting_group"  # groupbuy's order state: the order waits for its group
ELIGIBLE = ("paid", "shipped", "completed", AWAITING_GROUP)
log = logging.getLogger("mallkit.aftersales")


def config(merchant_id: int) -> dict[str, Any]:
    """The merchant's settings, with the defaults for a store that saved none."""
    saved = merchant_plugins(merchant_id).config(PLUGIN)
    return {
        "window_days": 15,
        "approve_within_hours": 48,
        "ship_back_days": 7,
        "refund_on_receipt": True,
        "restock_returns": True,
        "reasons": list(REASONS),
        "return_address": None,
        **saved,
    }


def evidence_url(merchant_id: int, folder: str = PLUGIN) -> re.Pattern[str]:
    """URLs ``store_media`` gives for this merchant's uploads in ``folder``."""
    return re.compile(
        rf"^/api/v1/media/{folder}/{int(merchant_id)}/[0-9a-f]{{32}}\.[a-z0-9]{{2,5}}$"
    )


def check_evidence(
    merchant_id: int, urls: list[str], field: str = "evidence", folder: str = PLUGIN
) -> list[str]:
    """Accept only photos uploaded to ``folder`` of the media store for this store."""
    pattern = evidence_url(merchant_id, folder)
    bad = [u for u in urls if not pattern.match(u)]
    if bad:
        raise ValidationError(
            f"evidence must be photos uploaded to this store's {folder}",
            code="invalid_evidence",
            errors={field: [f"Not an upload of this store: {u}" for u in bad]},
        )
    return list(urls)


# -- reading ---------------------------------------------------------------------------------


def get_case(merchant_id: int, case_id: int) -> Case:
    case = Case.get_or_none((Case.id == case_id) & (Case.merchant_id == merchant_id))
    if case is None:
        raise NotFound("no such after-sale case", code="case_not_found")
    return case


def lines_on_hold(order: Order) -> list[int]:
    """The order's lines with an open case (their money is not final)."""
    return sorted(
        {
            c.order_line_id
            for c in Case.select(Case.order_line_id).where(
                (Case.order_id == order.id) & Case.status.in_(OPEN)
            )
        }
    )


def refundable(line: OrderLine) -> tuple[int, int]:
    """What is left of a line to refund: (quantity, amount)."""
    return line.quantity - line.refunded_quantity, line.pay_amount - line.refunded_amount


def default_amount(line: OrderLine, quantity: int) -> int:
    """The line's share for ``quantity`` units; the last units take what is left."""
    left_qty, left_amount = refundable(line)
    if quantity >= left_qty:
        return left_amount
    return min(left_amount, line.pay_amount * quantity // line.quantity)


# -- applying --------------------------------------------------------------------------------


def _number() -> str:
    return f"AS{utcnow():%y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


# Staff and platform decisions that move money or stock go to the audit log too.
AUDITED = ("approved", "rejected", "received", "refused", "refund_sent", "reshipped")


def note(case: Case, author: Actor, text: str = "", *, event: str = "", images=()) -> None:
    """A message on the case; a change of state when ``event`` names it (audited when staff
    or the platform decided it)."""
    if event in AUDITED and author.type in ("staff", "admin"):
        record_audit(
            f"aftersales.{event}",
            actor_id=author.id,
            merchant_id=case.merchant_id,
            target_type="aftersale_case",
            target_id=case.number,
            after={
                "status": case.status,
                "order_line_id": case.order_line_id,
                "quantity": case.quantity,
                "amount": case.amount,
                "refund_id": case.refund_id,
            },
        )
    CaseMessage.create(
        case=case.id,
        author_type=author.type,
        author_id=author.id,
        text=text[:1000],
        images=list(images),
        event=event,
    )


def apply(
    order: Order,
    data: dict[str, Any],
    actor: Actor,
    *,
    source_key: str | None = None,
    by_platform: bool = False,
) -> Case:
    """Open a case for ``data["quantity"]`` of one line of the buyer's ``order``.

    ``data``: ``order_line_id``, ``type`` (refund | return_refund | exchange), ``quantity``,
    ``amount`` (refund; defaults to the line's share), ``reason`` (one of the store's),
    ``description``, ``evidence`` (URLs of this plugin's uploads). Refuses what the rules
    forbid with nothing written; one open case per line (``409 case_open``).

    ``by_platform``: a case the platform decided (a complaint's decision, ``source_key``
    naming it) skips the store's reasons and window; a second call with the same
    ``source_key`` returns the case the first one made."""
    if source_key is not None:
        existing = Case.get_or_none(Case.source_key == source_key)
        if existing is not None:
            return existing
    with transaction():
        if is_postgres():
            # Lock the line (as the core's refunds do, line first) so what is left of it is
            # read after any refund or case that got there first; SQLite's BEGIN IMMEDIATE
            # already serialises the whole application.
            OrderLine.select(OrderLine.id).where(
                (OrderLine.id == data["order_line_id"]) & (OrderLine.order == order.id)
            ).for_update().execute()
        return _open(order, data, actor, source_key=source_key, by_platform=by_platform)


def _open(
    order: Order,
    data: dict[str, Any],
    actor: Actor,
    *,
    source_key: str | None,
    by_platform: bool,
) -> Case:
    cfg = config(order.merchant_id)
    order = Order.get_by_id(order.id)
    if order.status not in ELIGIBLE:
        raise Conflict(
            f"a {order.status} order takes no after-sale application",
            code="not_eligible",
            errors={"status": [order.status]},
        )
    if order.status == "completed" and order.completed_at is not None and not by_platform:
        closes = order.completed_at + dt.timedelta(days=cfg["window_days"])
        if utcnow() > closes:
            raise Conflict(
                f"the after-sale window closed {cfg['window_days']} days after completion",
                code="aftersale_window_closed",
                errors={"status": ["completed"], "closed_at": [closes.isoformat() + "Z"]},
            )
    line = OrderLine.get_or_none(
        (OrderLine.id == data["order_line_id"]) & (OrderLine.order == order.id)
    )
    if line is None:
        raise ValidationError(
            "not a line of this order", errors={"order_line_id": ["Not a line of this order."]}
        )
    kind = data["type"]
    errors: dict[str, list[str]] = {}
    if not by_platform and data["reason"] not in cfg["reasons"]:
        errors["reason"] = [f"One of: {', '.join(cfg['reasons'])}."]
    left_qty, left_amount = refundable(line)
    quantity = data["quantity"]
    if kind != "refund" and (
        order.status not in ("shipped", "completed") or not line.shipped_quantity
    ):
        raise Conflict(
            "goods can be returned or exchanged only after they shipped",
            code="not_shipped",
            errors={"status": [order.status]},
        )
    limit = min(left_qty, line.shipped_quantity) if kind != "refund" else left_qty
    # The platform may award money without goods (quantity 0: a partial compensation).
    lowest = 0 if by_platform and kind == "refund" else 1
    if not lowest <= quantity <= limit:
        errors["quantity"] = [f"Between 1 and {limit}." if limit else "Nothing left on this line."]
    amount = 0
    if kind != "exchange" and "quantity" not in errors:
        # At most the units' share of what the line paid (all that is left for the last ones).
        share = default_amount(line, quantity) if quantity else left_amount
        amount = data.get("amount")
        if amount is None:
            amount = share
        if not 1 <= amount <= share:
            errors["amount"] = [f"Between 1 and {share}."]
    if errors:
        raise ValidationError("the application is not valid", errors=errors)
    if order.status == AWAITING_GROUP and (quantity != left_qty or amount != left_amount):
        # A group order waiting for its group leaves the group as a whole: the refund of all
        # of it closes the order, and groupbuy frees the seat.
        raise Conflict(
            "an order waiting for its group is refunded whole",
            code="group_order_whole",
            errors={"quantity": [str(left_qty)], "amount": [str(left_amount)]},
        )
    evidence = check_evidence(order.merchant_id, data.get("evidence") or [])
    with transaction():
        try:
            with transaction():  # a savepoint: the unique open_key decides a race
                case = Case.create(
                    number=_number(),
                    merchant_id=order.merchant_id,
                    order_id=order.id,
                    order_line_id=line.id,
                    buyer_id=order.buyer_id,
                    type=kind,
                    quantity=quantity,
                    amount=amount,
                    currency=order.currency,
                    reason=data["reason"][:64],
                    description=(data.get("description") or "")[:1000],
                    evidence=evidence,
                    open_key=str(line.id),
                    source_key=source_key,
                )
        except pw.IntegrityError:
            open_case = Case.get_or_none(Case.open_key == str(line.id))
            raise Conflict(
                "this line already has an open after-sale case",
                code="case_open",
                errors={"case_id": [str(open_case.id) if open_case else "?"]},
            ) from None
        note(case, actor, data.get("description") or "", event=APPLIED, images=evidence)
        hours = cfg["approve_within_hours"]
        if hours:
            schedule_task(
                AUTO_APPROVE,
                delay=dt.timedelta(hours=hours),
                payload={"case_id": case.id},
                merchant_id=case.merchant_id,
                dedupe_key=f"{AUTO_APPROVE}:{case.id}",
            )
    return case


# -- state changes ---------------------------------------------------------------------------


def _lock_line(case: Case) -> None:
    """On PostgreSQL, take the order line's row lock before changing a case that refunds it.

    Lock order is line, then case, everywhere: an application locks the line and then
    inserts its case (whose unique ``open_key`` waits for a transaction changing the line's
    open case), and a refund updates the line after moving the case — without this, an
    application and an approval of the same line wait for each other (a deadlock)."""
    if is_postgres():
        OrderLine.select(OrderLine.id).where(
            OrderLine.id == case.order_line_id
        ).for_update().execute()


def _move(case: Case, sources: tuple[str, ...], target: str, **changes: Any) -> Case:
    """Compare-and-set the case from one of ``sources`` to ``target``; 409 with the current
    state when another change came first."""
    now = utcnow()
    won = (
        Case.update(status=target, updated_at=now, **changes)
        .where((Case.id == case.id) & Case.status.in_(sources))
        .execute()
    )
    current = Case.get_by_id(case.id)
    if not won:
        raise Conflict(
            f"a {current.status} case cannot become {target}",
            code="invalid_case_state",
            errors={"status": [current.status]},
        )
    return current


def _end(case: Case, sources: tuple[str, ...], target: str, **changes: Any) -> Case:
    """End the case (the line is free for a new application)."""
    return _move(case, sources, target, open_key=None, finished_at=utcnow(), **changes)


def _hook(merchant_id: int) -> Any:
    return merchant_plugins(merchant_id).hook


def _closed(case: Case) -> Case:
    _hook(case.merchant_id).on_aftersale_closed(case=case, order=Order.get_by_id(case.order_id))
    return case


def approve(case: Case, actor: Actor, text: str = "") -> Case:
    """Approve: a refund-only case is refunded at once; a return or exchange waits for the
    goods, at the merchant's return address, for ``ship_back_days``."""
    cfg = config(case.merchant_id)
    with transaction():
        _lock_line(case)
        if case.type == "refund":
            case = _move(case, (APPLIED,), REFUNDING, approved_at=utcnow(), decided_by=actor.type)
        else:
            case = _move(
                case,
                (APPLIED,),
                APPROVED,
                approved_at=utcnow(),
                decided_by=actor.type,
                return_address=cfg["return_address"],
            )
            schedule_task(
                AUTO_CLOSE,
                delay=dt.timedelta(days=cfg["ship_back_days"]),
                payload={"case_id": case.id},
                merchant_id=case.merchant_id,
                dedupe_key=f"{AUTO_CLOSE}:{case.id}",
            )
        cancel_task(f"{AUTO_APPROVE}:{case.id}")
        note(case, actor, text, event="approved")
        if case.type == "refund":
            case = _refund(case, actor)
        _hook(case.merchant_id).on_aftersale_approved(
            case=case, order=Order.get_by_id(case.order_id)
        )
    return Case.get_by_id(case.id)  # a refund sent after commit may have completed it


def reject(case: Case, actor: Actor, reason: str) -> Case:
    with transaction():
        case = _end(case, (APPLIED,), REJECTED, decided_by=actor.type, decision_note=reason[:255])
        cancel_task(f"{AUTO_APPROVE}:{case.id}")
        note(case, actor, reason, event=REJECTED)
        return _closed(case)


def cancel(case: Case, actor: Actor) -> Case:
    """The buyer withdraws the application (only before it is decided)."""
    with transaction():
        case = _end(case, (APPLIED,), CANCELLED)
        cancel_task(f"{AUTO_APPROVE}:{case.id}")
        note(case, actor, event=CANCELLED)
        return _closed(case)


def ship_back(case: Case, actor: Actor, carrier: str, tracking_number: str) -> Case:
    with transaction():
        case = _move(
            case,
            (APPROVED,),
            RETURNING,
            return_carrier=carrier,
            return_tracking=tracking_number,
            shipped_back_at=utcnow(),
        )
        cancel_task(f"{AUTO_CLOSE}:{case.id}")
        note(case, actor, f"{carrier} {tracking_number}", event="shipped_back")
    return case


def _exchanged(case: Case, order: Order) -> tuple[Merchant, dict[int, int], StockReference]:
    """What an exchange moves, for the core's allocate/release: the order's document, so a
    warehouse plugin takes the returned unit back where the order took it from and sends the
    replacement from a warehouse serving the order's address (a stock kept per warehouse
    never drifts from the SKU's)."""
    sku_id = OrderLine.get_by_id(case.order_line_id).sku_id
    merchant = Merchant.get_by_id(case.merchant_id)
    return merchant, {sku_id: case.quantity}, StockReference("order", order.number)


def receive(case: Case, actor: Actor) -> Case:
    """The returned goods arrived. An exchange's goods go back into stock (when the store
    restocks returns); a return's follow the refund (the core restocks on its success). With
    ``refund_on_receipt`` a task refunds the return at once."""
    cfg = config(case.merchant_id)
    with transaction():
        case = _move(case, (RETURNING,), RECEIVED, received_at=utcnow())
        note(case, actor, event=RECEIVED)
        order = Order.get_by_id(case.order_id)
        if case.type == "exchange" and cfg["restock_returns"] and order.stock_deducted:
            merchant, lines, reference = _exchanged(case, order)
            release_stock_lines(
                merchant,
                lines,
                reference,
                reason="refund",  # the core's reason for goods coming back
                actor_id=actor.id,
            )
            Case.update(restocked=True).where(Case.id == case.id).execute()
        if case.type == "return_refund" and cfg["refund_on_receipt"]:
            schedule_task(
                REFUND,
                payload={"case_id": case.id},
                merchant_id=case.merchant_id,
                dedupe_key=f"{REFUND}:{case.id}",
            )
    return Case.get_by_id(case.id)


def refuse(case: Case, actor: Actor, reason: str) -> Case:
    """Refuse receipt (the parcel is not what was approved); the case ends."""
    with transaction():
        case = _end(case, (RETURNING,), REFUSED, decision_note=reason[:255])
        note(case, actor, reason, event=REFUSED)
        return _closed(case)


def refund(case: Case, actor: Actor) -> Case:
    """Refund a received return — or send again a refund the channel reported failed."""
    with transaction():
        _lock_line(case)
        current = Case.get_by_id(case.id)
        if current.type == "exchange":
            raise Conflict(
                "an exchange is reshipped, not refunded",
                code="invalid_case_state",
                errors={"status": [current.status]},
            )
        failed = (
            current.status == REFUNDING
            and current.refund_id is not None
            and Refund.get_by_id(current.refund_id).status == "failed"
        )
        if failed:
            won = (
                Case.update(refund_id=None, updated_at=utcnow())
                .where((Case.id == current.id) & (Case.refund_id == current.refund_id))
                .execute()
            )
            if not won:
                raise Conflict(
                    "the refund was sent again meanwhile",
                    code="invalid_case_state",
                    errors={"status": [REFUNDING]},
                )
            case = Case.get_by_id(current.id)
        else:
            case = _move(current, (RECEIVED,), REFUNDING)
        cancel_task(f"{REFUND}:{case.id}")
        case = _refund(case, actor)
    return Case.get_by_id(case.id)  # the refund is sent after commit


def _refund(case: Case, actor: Actor) -> Case:
    """Create the core refund for the case (inside the caller's transaction)."""
    order = Order.get_by_id(case.order_id)
    line = OrderLine.get_by_id(case.order_line_id)
    if case.type == "return_refund":
        restock = bool(config(case.merchant_id)["restock_returns"])
    else:  # refund only: stock comes back (per the store's order settings) if never shipped
        restock = None if line.shipped_quantity == 0 else False
    created = refund_lines(
        order,
        [{"line_id": line.id, "quantity": case.quantity, "amount": case.amount}],
        reason=f"aftersale {case.number}",
        actor=actor,
        restock=restock,
    )
    Case.update(refund_id=created.id).where(Case.id == case.id).execute()
    note(case, actor, event="refund_sent")
    return Case.get_by_id(case.id)


def reship(case: Case, actor: Actor, carrier: str, tracking_number: str) -> Case:
    """Ship the replacement of a received exchange (taken out of stock); the case is done."""
    if case.type != "exchange":
        raise Conflict(
            "only an exchange is reshipped",
            code="invalid_case_state",
            errors={"status": [Case.get_by_id(case.id).status]},
        )
    with transaction():
        case = _end(
            case,
            (RECEIVED,),
            COMPLETED,
            reship_carrier=carrier,
            reship_tracking=tracking_number,
        )
        order = Order.get_by_id(case.order_id)
        if order.stock_deducted:
            allocate_stock_lines(*_exchanged(case, order))  # a unit leaves, as for an order
        note(case, actor, f"{carrier} {tracking_number}", event="reshipped")
        _completed(case, order, None)
    return case


def _completed(case: Case, order: Order, refund_row: Refund | None) -> None:
    """Tell the other plugins, each on its own (isolated: the money or parcel has left)."""
    caller = _hook(case.merchant_id).on_aftersale_completed
    for impl in reversed(caller.get_hookimpls()):
        try:
            with transaction():
                impl.function(
                    **{
                        k: v
                        for k, v in {"case": case, "order": order, "refund": refund_row}.items()
                        if k in impl.argnames
                    }
                )
        except Exception:
            log.exception("on_aftersale_completed of %r failed (isolated)", impl.plugin_name)


def add_message(case: Case, actor: Actor, text: str, images: list[str]) -> CaseMessage:
    if case.status not in OPEN:
        raise Conflict(
            f"a {case.status} case takes no more messages",
            code="invalid_case_state",
            errors={"status": [case.status]},
        )
    images = check_evidence(case.merchant_id, images, field="images")
    return CaseMessage.create(
        case=case.id, author_type=actor.type, author_id=actor.id, text=text, images=images
    )


# -- the core's events -----------------------------------------------------------------------


def on_refunded(order: Order, refund_row: Refund) -> None:
    """The channel reported the case's refund succeeded: the case is complete."""
    case = Case.get_or_none((Case.refund_id == refund_row.id) & (Case.status == REFUNDING))
    if case is None:
        return
    case = _end(case, (REFUNDING,), COMPLETED)
    note(case, SYSTEM, event=COMPLETED)
    _completed(case, Order.get_by_id(order.id), refund_row)


def on_order_closed(order: Order) -> None:
    """Everything was refunded (by staff, a group failing ...): cases still waiting for a
    decision or for goods have nothing left to pay and end."""
    for case in Case.select().where(
        (Case.order_id == order.id) & Case.status.in_((APPLIED, APPROVED, RETURNING, RECEIVED))
    ):
        try:
            ended = _end(case, (case.status,), CLOSED, decision_note="order refunded in full")
        except Conflict:
            continue
        note(ended, SYSTEM, "order refunded in full", event=CLOSED)
        _closed(ended)


# -- tasks -----------------------------------------------------------------------------------


def _task_case(task: Any) -> Case | None:
    return Case.get_or_none(Case.id == int(task.payload["case_id"]))


def run_auto_approve(task: Any) -> None:
    """The merchant did not act in time: the case is approved (once)."""
    case = _task_case(task)
    if case is not None and case.status == APPLIED:
        try:
            approve(case, SYSTEM, "approved automatically: the merchant did not act in time")
        except Conflict:  # decided meanwhile
            pass


def run_auto_close(task: Any) -> None:
    """The buyer did not ship the goods back in time: the case closes (once)."""
    case = _task_case(task)
    if case is None or case.status != APPROVED:
        return
    try:
        with transaction():
            case = _end(case, (APPROVED,), CLOSED, decision_note="not shipped back in time")
            note(case, SYSTEM, "not shipped back in time", event=CLOSED)
            _closed(case)
    except Conflict:
        pass


def run_refund(task: Any) -> None:
    """Refund on receipt (``refund_on_receipt``), once."""
    case = _task_case(task)
    if case is not None and case.status == RECEIVED:
        try:
            refund(case, SYSTEM)
        except Conflict as exc:
            if exc.code != "invalid_case_state":
                raise


# -- statistics ------------------------------------------------------------------------------


def stats(merchant_id: int, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    """Cases opened in ``[since, until)``: counts by status, type and reason, the refunded
    amount, and the rate (cases per paid order of the period)."""
    mine = (
        (Case.merchant_id == merchant_id) & (Case.created_at >= since) & (Case.created_at < until)
    )

    def by(column: pw.Field) -> dict[str, int]:
        rows = Case.select(column, pw.fn.COUNT(Case.id)).where(mine).group_by(column).tuples()
        return {key: count for key, count in rows}

    total = Case.select().where(mine).count()
    refunded = (
        Case.select(pw.fn.COALESCE(pw.fn.SUM(Case.amount), 0))
        .where(mine & (Case.status == COMPLETED) & Case.refund_id.is_null(False))
        .scalar()
    )
    orders = (
        Order.select()
        .where((Order.merchant == merchant_id) & (Order.paid_at >= since) & (Order.paid_at < until))
        .count()
    )
    return {
        "since": since,
        "until": until,
        "cases": total,
        "paid_orders": orders,
        "rate": round(total / orders, 4) if orders else 0.0,
        "refunded_amount": int(refunded or 0),
        "by_status": by(Case.status),
        "by_type": by(Case.type),
        "by_reason": by(Case.reason),
    }
