"""Schemas of the order endpoints."""

from __future__ import annotations

import functools

from marshmallow import fields, validate

from mallkit.core.accounts.schemas import AddressSnapshotIn
from mallkit.core.api import Schema, UtcDateTime
from mallkit.core.orders.models import Order, OrderEvent, OrderLine, Shipment, ShipmentLine


class OrderLineOut(Schema):
    id = fields.Integer()
    sku_id = fields.Integer()
    product_id = fields.Integer()
    product_name = fields.String()
    sku_name = fields.String()
    sku_code = fields.String()
    specs = fields.Dict()
    image_url = fields.String()
    unit_price = fields.Integer()
    sale_unit_price = fields.Integer()
    price_source = fields.String()
    price_kind = fields.String()
    activity = fields.Dict(allow_none=True)
    quantity = fields.Integer()
    amount = fields.Integer()
    promotion_discount = fields.Integer()
    coupon_discount = fields.Integer()
    points_discount = fields.Integer()
    other_discount = fields.Integer()
    freight_share = fields.Integer()
    pay_amount = fields.Integer()
    refunded_amount = fields.Integer()
    refunded_quantity = fields.Integer()
    shipped_quantity = fields.Integer()
    is_gift = fields.Boolean()


class ShipmentOut(Schema):
    id = fields.Integer()
    carrier = fields.String()
    tracking_number = fields.String()
    shipped_at = UtcDateTime()
    lines = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "order line id → quantity"},
    )


class OrderOut(Schema):
    id = fields.Integer()
    number = fields.String()
    merchant_id = fields.Integer()
    buyer_id = fields.Integer()
    status = fields.String()
    currency = fields.String()
    subtotal = fields.Integer()
    discount_total = fields.Integer()
    freight = fields.Integer()
    total = fields.Integer()
    paid_amount = fields.Integer()
    refunded_amount = fields.Integer()
    refund_status = fields.String()
    shipping_status = fields.String()
    shipping_method = fields.String()
    price_changed = fields.Boolean()
    address = fields.Dict(allow_none=True)
    buyer_note = fields.String()
    cancel_reason = fields.String()
    payment_channel = fields.String()
    pricing = fields.Dict()
    source = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The share link the order came through: share_code, channel, "
            "utm_source, utm_medium, utm_campaign (null when none)"
        },
    )
    placed_at = UtcDateTime()
    paid_at = UtcDateTime(allow_none=True)
    shipped_at = UtcDateTime(allow_none=True)
    completed_at = UtcDateTime(allow_none=True)
    cancelled_at = UtcDateTime(allow_none=True)
    closed_at = UtcDateTime(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineOut))


class OrderDetailOut(OrderOut):
    shipments = fields.List(fields.Nested(ShipmentOut))


class EventOut(Schema):
    at = UtcDateTime()
    actor_type = fields.String()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    from_status = fields.String()
    to_status = fields.String()
    reason = fields.String()
    data = fields.Dict()


class StaffOrderOut(OrderDetailOut):
    staff_note = fields.String()
    events = fields.List(fields.Nested(EventOut))


class OrderQuery(Schema):
    status = fields.String(validate=validate.Length(max=32))


class StaffOrderQuery(OrderQuery):
    buyer_id = fields.Integer()
    buyer = fields.String(
        validate=validate.Length(min=3, max=254), metadata={"description": "Buyer e-mail or phone"}
    )
    number = fields.String(validate=validate.Length(max=32))
    placed_from = UtcDateTime()
    placed_to = UtcDateTime()


class CancelIn(Schema):
    reason = fields.String(load_default="buyer", validate=validate.Length(max=32))


class ShipIn(Schema):
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=64))
    tracking_number = fields.String(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9-]{4,64}$")
    )
    lines = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d+$")),
        values=fields.Integer(validate=validate.Range(min=1)),
        load_default=None,
        metadata={"description": "order line id → quantity; omit for all"},
    )


class PriceIn(Schema):
    total = fields.Integer(required=True, validate=validate.Range(min=1))
    reason = fields.String(load_default="", validate=validate.Length(max=255))


class AddressChangeIn(Schema):
    address = fields.Nested(AddressSnapshotIn, required=True)


class NoteIn(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class StatsQuery(Schema):
    period = fields.String(
        load_default="day", validate=validate.OneOf(("day", "week", "month", "year"))
    )
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class StatsBucketOut(Schema):
    period = fields.String()
    count = fields.Integer()
    sales = fields.Integer()
    refunds = fields.Integer()
    average_order_value = fields.Integer()


class StatsOut(Schema):
    currency = fields.String()
    timezone = fields.String()
    period = fields.String()
    buckets = fields.List(fields.Nested(StatsBucketOut))
    count = fields.Integer()
    sales = fields.Integer()
    average_order_value = fields.Integer()


class OrderSettingsIn(Schema):
    auto_cancel_minutes = fields.Integer(validate=validate.Range(min=5, max=7 * 24 * 60))
    auto_confirm_days = fields.Integer(validate=validate.Range(min=1, max=60))
    stock_deduct = fields.String(validate=validate.OneOf(("place", "pay")))
    restock_on_refund = fields.Boolean()
    record_keeping_days = fields.Integer(
        validate=validate.Range(min=1095, max=3650),
        metadata={"description": "Days payment gateway logs are kept (at least three years)."},
    )


class OrderSettingsOut(OrderSettingsIn):
    pass


def attach_details(
    orders: list[Order], *, shipments: bool = True, events: bool = False
) -> list[Order]:
    """Load the orders' lines (and shipments, events) in one query each, not one per order."""
    if not orders:
        return orders
    ids = [o.id for o in orders]
    by_order: dict[int, list] = {i: [] for i in ids}
    for line in OrderLine.select().where(OrderLine.order.in_(ids)).order_by(OrderLine.id):
        by_order[line.order_id].append(line)
    for o in orders:
        o.lines_loaded = by_order[o.id]
    if shipments:
        ships: dict[int, list] = {i: [] for i in ids}
        rows = (
            ShipmentLine.select(ShipmentLine, Shipment)
            .join(Shipment)
            .where(Shipment.order.in_(ids))
            .order_by(Shipment.id)
        )
        seen: dict[int, Shipment] = {}
        for row in rows:
            s = seen.get(row.shipment.id)
            if s is None:
                s = seen[row.shipment.id] = row.shipment
                s.lines_map = {}
                ships[s.order_id].append(s)
            s.lines_map[str(row.order_line_id)] = row.quantity
        for o in orders:
            o.shipments_loaded = ships[o.id]
    if events:
        evs: dict[int, list] = {i: [] for i in ids}
        for e in OrderEvent.select().where(OrderEvent.order.in_(ids)).order_by(OrderEvent.id):
            evs[e.order_id].append(e)
        for o in orders:
            o.events_loaded = evs[o.id]
    return orders


@functools.cache
def _view_fields() -> tuple[str, ...]:
    """The order attributes the detail schema shows (its fields, known once)."""
    return tuple(
        f
        for f in OrderDetailOut().fields
        if f not in ("lines", "shipments", "merchant_id", "buyer_id")
    )


def order_view(order: Order) -> dict:
    """An order as the schemas expect it (after :func:`attach_details`)."""
    data = {f: getattr(order, f) for f in _view_fields()}
    data["merchant_id"] = order.merchant_id
    data["buyer_id"] = order.buyer_id
    data["staff_note"] = order.staff_note
    data["lines"] = getattr(order, "lines_loaded", [])
    data["shipments"] = [
        {
            "id": s.id,
            "carrier": s.carrier,
            "tracking_number": s.tracking_number,
            "shipped_at": s.shipped_at,
            "lines": s.lines_map,
        }
        for s in getattr(order, "shipments_loaded", [])
    ]
    data["events"] = getattr(order, "events_loaded", [])
    return data


def orders_by_id(ids: list[int], *, shipments: bool = True) -> list[dict]:
    orders = list(Order.select().where(Order.id.in_(ids)).order_by(Order.id))
    return [order_view(o) for o in attach_details(orders, shipments=shipments)]
