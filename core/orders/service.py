"""Order rules after placing: cancel, confirm receipt, ship, change price or address, notes,
and the merchant's order settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mallkit.core import audit
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.catalog import stock
from mallkit.core.db import (
    Param,
    Prepared,
    as_utc,
    database,
    instance,
    is_postgres,
    transaction,
    utcnow,
)
from mallkit.core.errors import Conflict, NotFound, ValidationError
from mallkit.core.money import apportion
from mallkit.core.orders.machine import SYSTEM, Actor, record_event, transition
from mallkit.core.orders.models import (
    STOCK_AT_PAY,
    STOCK_AT_PLACE,
    Order,
    OrderLine,
    OrderSettings,
    Shipment,
    ShipmentLine,
)
from mallkit.core.plugins import merchant_plugins
from mallkit.core.tasks import queue as tasks

AUTO_CANCEL = "order.auto_cancel"
AUTO_CONFIRM = "order.auto_confirm"
SETTINGS_FIELDS = (
    "auto_cancel_minutes",
    "auto_confirm_days",
    "stock_deduct",
    "restock_on_refund",
    "record_keeping_days",
)


def new_number(prefix: str = "") -> str:
    """An order/payment/refund number: the time to the second, then a counter the database
    hands out (migration 0012) at least 8 digits wide — sortable by time, and never the same
    twice however many processes or machines make numbers at once (a collision would need
    the counter to repeat). 20 characters of ``[A-Z0-9]`` for the next 10⁸ numbers, then
    longer, always inside the ``[A-Za-z0-9_-]{6,32}`` gateways accept. Call it inside the
    transaction that writes the number (on SQLite the counter row is locked until it ends)."""
    return f"{prefix}{utcnow():%y%m%d%H%M%S}{next_counter():08d}"


def next_counter() -> int:
    if is_postgres():
        return database.execute_sql("SELECT nextval('mallkit_number_seq')").fetchone()[0]
    return database.execute_sql(
        'INSERT INTO "number_counter" ("id", "value") VALUES (1, 1) '
        'ON CONFLICT ("id") DO UPDATE SET "value" = "number_counter"."value" + 1 '
        'RETURNING "value"'
    ).fetchone()[0]


_SETTINGS_FIELDS = tuple(OrderSettings._meta.sorted_fields)
_SETTINGS = Prepared(
    lambda: OrderSettings.select(*_SETTINGS_FIELDS).where(
        OrderSettings.merchant == Param("merchant")
    )
)


def settings_for(merchant_id: int) -> OrderSettings:
    """The merchant's order settings (defaults when never saved; not written)."""
    row = _SETTINGS.one({"merchant": merchant_id})  # on every checkout: SQL built once
    if row is None:
        return OrderSettings(merchant=merchant_id)
    return instance(OrderSettings, {f.name: v for f, v in zip(_SETTINGS_FIELDS, row, strict=True)})


def update_settings(merchant_id: int, changes: dict[str, Any], *, actor_id=None) -> OrderSettings:
    if not changes:
        return settings_for(merchant_id)
    if changes.get("stock_deduct", STOCK_AT_PLACE) not in (STOCK_AT_PLACE, STOCK_AT_PAY):
        raise ValidationError(
            "stock_deduct is place or pay", errors={"stock_deduct": ["One of place, pay."]}
        )
    with transaction():
        current = settings_for(merchant_id)
        before = {k: getattr(current, k) for k in SETTINGS_FIELDS}
        if current.id is None:
            current = OrderSettings.create(merchant=merchant_id, **changes)
        else:
            OrderSettings.update(**changes, updated_at=utcnow()).where(
                OrderSettings.id == current.id
            ).execute()
        audit.record(
            "order_settings",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="order_settings",
            target_id=merchant_id,
            before=before,
            after=changes,
        )
    return settings_for(merchant_id)


# -- finding orders --------------------------------------------------------------------------


def buyer_order(user_id: int, order_id: int) -> Order:
    """The buyer's own order; someone else's answers 404."""
    order = Order.get_or_none((Order.id == order_id) & (Order.buyer == user_id))
    if order is None:
        raise NotFound("order not found", code="order_not_found")
    return order


def merchant_order(merchant_id: int, order_id: int) -> Order:
    order = Order.get_or_none((Order.id == order_id) & (Order.merchant == merchant_id))
    if order is None:
        raise NotFound("order not found", code="order_not_found")
    return order


def reload(order: Order) -> Order:
    return Order.get_by_id(order.id)


# -- stock -----------------------------------------------------------------------------------


def restore_stock(
    order: Order, quantities: dict[int, int], reason: str, actor: Actor | None = None
) -> None:
    """Put ``{sku_id: quantity}`` back, with ledger rows referencing the order, through the
    ``release_stock`` hook (a warehouse plugin puts it back where it came from)."""
    quantities = {k: v for k, v in quantities.items() if v > 0}
    if quantities:
        stock.release(
            Merchant.get_by_id(order.merchant_id),
            quantities,
            stock.StockReference("order", order.number),
            reason=reason,
            actor_id=actor.id if actor else None,
        )


def _line_quantities(order: Order) -> dict[int, int]:
    out: dict[int, int] = {}
    for line in OrderLine.select().where(OrderLine.order == order.id):
        out[line.sku_id] = out.get(line.sku_id, 0) + line.quantity
    return out


# -- buyer and system actions ----------------------------------------------------------------


def cancel(order: Order, actor: Actor, reason: str = "buyer") -> Order:
    """Cancel an unpaid order: stock goes back once. Open payment attempts are closed by the
    payments' reaction to the ``cancelled`` transition."""
    with transaction():
        order = transition(
            order, "cancelled", actor, reason=reason, changes={"cancel_reason": reason[:32]}
        )
        if order.stock_deducted:
            restore_stock(order, _line_quantities(order), "cancel", actor)
            Order.update(stock_deducted=False).where(Order.id == order.id).execute()
            order.stock_deducted = False
        tasks.cancel(f"{AUTO_CANCEL}:{order.id}")
    return order


def confirm_receipt(order: Order, actor: Actor) -> Order:
    with transaction():
        order = transition(order, "completed", actor, reason="receipt confirmed")
        tasks.cancel(f"{AUTO_CONFIRM}:{order.id}")
    return order


# -- staff actions ---------------------------------------------------------------------------


def ship(
    order: Order,
    actor: Actor,
    *,
    carrier: str,
    tracking_number: str,
    lines: dict[int, int] | None = None,
) -> Shipment:
    """Ship some quantity of some lines (all that is left when ``lines`` is None). When
    everything is shipped the order becomes ``shipped`` and auto-confirm is scheduled."""
    with transaction():
        order = reload(order)
        if order.status != "paid":
            raise Conflict(
                f"a {order.status} order cannot ship",
                code="invalid_transition",
                errors={"status": [order.status]},
            )
        order_lines = {ln.id: ln for ln in OrderLine.select().where(OrderLine.order == order.id)}
        if lines is None:
            lines = {
                ln.id: ln.quantity - ln.refunded_quantity - ln.shipped_quantity
                for ln in order_lines.values()
            }
            lines = {k: v for k, v in lines.items() if v > 0}
        if not lines:
            raise Conflict("nothing left to ship", code="nothing_to_ship")
        unknown = [k for k in lines if k not in order_lines]
        if unknown or any(q <= 0 for q in lines.values()):
            raise ValidationError(
                "unknown lines or bad quantities",
                errors={
                    "lines": [f"Line {k} is not on this order." for k in unknown] or ["Positive."]
                },
            )
        shipment = Shipment.create(
            order=order.id, carrier=carrier, tracking_number=tracking_number, created_by=actor.id
        )
        for line_id, quantity in sorted(lines.items()):
            won = (
                OrderLine.update(shipped_quantity=OrderLine.shipped_quantity + quantity)
                .where(
                    (OrderLine.id == line_id)
                    & (
                        OrderLine.shipped_quantity + quantity
                        <= OrderLine.quantity - OrderLine.refunded_quantity
                    )
                )
                .execute()
            )
            if not won:
                raise Conflict(
                    "more than is left to ship",
                    code="over_shipped",
                    errors={str(line_id): ["More than is left to ship."]},
                )
            ShipmentLine.create(shipment=shipment, order_line=line_id, quantity=quantity)
        merchant_plugins(order.merchant_id).hook.on_shipment_created(order=order, shipment=shipment)
        left = (
            OrderLine.select()
            .where(
                (OrderLine.order == order.id)
                & (OrderLine.shipped_quantity < OrderLine.quantity - OrderLine.refunded_quantity)
            )
            .exists()
        )
        record_event(
            order,
            "shipment",
            actor,
            data={
                "shipment_id": shipment.id,
                "carrier": carrier,
                "tracking_number": tracking_number,
                "lines": {str(k): v for k, v in lines.items()},
            },
        )
        if left:
            Order.update(shipping_status="partial").where(Order.id == order.id).execute()
        else:
            transition(order, "shipped", actor, changes={"shipping_status": "full"})
            days = settings_for(order.merchant_id).auto_confirm_days
            tasks.schedule(
                AUTO_CONFIRM,
                delay=dt.timedelta(days=days),
                payload={"order_id": order.id},
                merchant_id=order.merchant_id,
                dedupe_key=f"{AUTO_CONFIRM}:{order.id}",
            )
    return shipment


def restart_auto_confirm(order: Order, start: dt.datetime | None = None) -> dt.datetime | None:
    """Start the auto-confirm countdown again from ``start`` (default now): the order is
    confirmed ``auto_confirm_days`` after it — a tracking plugin calls it when the parcel is
    delivered. Only a ``shipped`` order has a countdown; returns when it now ends, or None
    (not shipped). Idempotent: the same ``start`` gives the same end. Inside the caller's
    transaction."""
    with transaction():
        order = reload(order)
        if order.status != "shipped":
            return None
        days = settings_for(order.merchant_id).auto_confirm_days
        run_at = (as_utc(start) if start else utcnow()) + dt.timedelta(days=days)
        key = f"{AUTO_CONFIRM}:{order.id}"
        if not tasks.reschedule(key, run_at):
            tasks.schedule(
                AUTO_CONFIRM,
                run_at=run_at,
                payload={"order_id": order.id},
                merchant_id=order.merchant_id,
                dedupe_key=key,
            )
        record_event(order, "auto_confirm_restarted", SYSTEM, data={"at": run_at.isoformat()})
    return run_at


def change_price(order: Order, new_total: int, actor: Actor, reason: str = "") -> Order:
    """Change what the buyer pays, before payment, once; the total stays above zero. The
    difference is apportioned over the lines. ``on_order_price_changed`` runs in the same
    transaction (the payments close their open attempts there)."""
    if new_total <= 0:
        raise ValidationError("the new total must be above zero", errors={"total": ["Above zero."]})
    with transaction():
        order = reload(order)
        if order.status != "pending_payment":
            raise Conflict("the price can change only before payment", code="already_paid")
        if order.price_changed:
            raise Conflict("the price was already changed once", code="price_already_changed")
        lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
        delta = order.total - new_total  # > 0: a discount, < 0: a surcharge
        shares = apportion(delta, [ln.pay_amount for ln in lines])
        won = (
            Order.update(
                total=new_total, discount_total=Order.discount_total + delta, price_changed=True
            )
            .where(
                (Order.id == order.id)
                & (Order.status == "pending_payment")
                & (Order.price_changed == False)  # noqa: E712  (SQL, not Python)
            )
            .execute()
        )
        if not won:
            raise Conflict("the order changed meanwhile; reload it", code="order_state_changed")
        for line, share in zip(lines, shares, strict=True):
            OrderLine.update(
                other_discount=OrderLine.other_discount + share,
                pay_amount=OrderLine.pay_amount - share,
            ).where(OrderLine.id == line.id).execute()
        record_event(
            order,
            "price_changed",
            actor,
            reason=reason,
            data={"from": order.total, "to": new_total},
        )
        audit.record(
            "order.price",
            actor_id=actor.id,
            merchant_id=order.merchant_id,
            target_type="order",
            target_id=order.number,
            before={"total": order.total},
            after={"total": new_total},
        )
        merchant_plugins(order.merchant_id).hook.on_order_price_changed(
            order=reload(order), before=order.total, after=new_total, actor=actor
        )
    return reload(order)


def change_address(order: Order, address: dict[str, Any], actor: Actor) -> Order:
    with transaction():
        won = (
            Order.update(address=address)
            .where(
                (Order.id == order.id)
                & Order.status.in_(("pending_payment", "paid"))
                & (Order.shipping_status == "none")
            )
            .execute()
        )
        if not won:
            raise Conflict("the address can change only before shipping", code="already_shipped")
        record_event(order, "address_changed", actor, data={"from": order.address, "to": address})
    return reload(order)


def add_note(order: Order, note: str, actor: Actor) -> Order:
    with transaction():
        stamp = f"[{utcnow():%Y-%m-%d %H:%M} #{actor.id}] {note}\n"
        # Appended in SQL: two notes written at once are both kept.
        Order.update(staff_note=Order.staff_note.concat(stamp)).where(
            Order.id == order.id
        ).execute()
        record_event(order, "note", actor, reason=note[:255])
    return reload(order)
