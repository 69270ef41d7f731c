"""Order tables: per-merchant order settings, orders with their lines (a snapshot of what was
bought and every share of money), order events, shipments."""

from __future__ import annotations

import peewee as pw

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.db import BaseModel, JSONField, utcnow

STOCK_AT_PLACE = "place"
STOCK_AT_PAY = "pay"


class OrderSettings(BaseModel):
    """A merchant's order rules (defaults in docs/rules.md); a missing row means the defaults."""

    merchant = pw.ForeignKeyField(Merchant, unique=True, on_delete="CASCADE")
    auto_cancel_minutes = pw.IntegerField(default=30)
    auto_confirm_days = pw.IntegerField(default=10)
    stock_deduct = pw.CharField(max_length=8, default=STOCK_AT_PLACE)  # place | pay
    restock_on_refund = pw.BooleanField(default=True)
    # how long payment gateway logs are kept (docs/deployment.md "Retention"); the law's
    # minimum for transaction records is three years
    record_keeping_days = pw.IntegerField(default=1095)
    updated_at = pw.DateTimeField(default=utcnow)


class Order(BaseModel):
    """One merchant's part of a checkout. Money in minor units of ``currency``.

    ``total = subtotal - discount_total + freight`` is what the buyer pays; each line carries
    its exact share of every discount and of the freight, so partial refunds are exact.
    """

    number = pw.CharField(max_length=32, unique=True)
    merchant = pw.ForeignKeyField(Merchant, backref="orders", on_delete="RESTRICT")
    buyer = pw.ForeignKeyField(User, backref="orders", on_delete="RESTRICT")
    status = pw.CharField(max_length=32, default="pending_payment", index=True)
    currency = pw.CharField(max_length=3)
    subtotal = pw.IntegerField()
    discount_total = pw.IntegerField(default=0)
    freight = pw.IntegerField(default=0)
    total = pw.IntegerField()
    paid_amount = pw.IntegerField(default=0)
    refunded_amount = pw.IntegerField(default=0)
    refund_status = pw.CharField(max_length=8, default="none")  # none | partial | full
    shipping_status = pw.CharField(max_length=8, default="none")  # none | partial | full
    shipping_method = pw.CharField(max_length=64, default="")
    price_changed = pw.BooleanField(default=False)
    stock_deducted = pw.BooleanField(default=False)
    address = JSONField(null=True)
    buyer_note = pw.CharField(max_length=500, default="")
    staff_note = pw.TextField(default="")
    cancel_reason = pw.CharField(max_length=32, default="")
    pricing = JSONField(default=dict)  # applied adjustments and shipping, for the record
    # The merchant-level plugins enabled when the order was placed: their compensations
    # (on cancel, on refund) keep running for this order after the merchant disables them.
    plugins = JSONField(default=list)
    payment_channel = pw.CharField(max_length=32, default="")
    checkout_key = pw.CharField(max_length=64, default="", index=True)
    # Where the order came from: the share link it was placed through (docs/shares.md).
    share_id = pw.IntegerField(null=True, index=True)
    share_code = pw.CharField(max_length=32, default="")
    source_channel = pw.CharField(max_length=16, default="")
    utm_source = pw.CharField(max_length=100, default="")
    utm_medium = pw.CharField(max_length=100, default="")
    utm_campaign = pw.CharField(max_length=100, default="")
    placed_at = pw.DateTimeField(default=utcnow, index=True)
    paid_at = pw.DateTimeField(null=True, index=True)
    shipped_at = pw.DateTimeField(null=True)
    completed_at = pw.DateTimeField(null=True)
    cancelled_at = pw.DateTimeField(null=True)
    closed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "orders"  # "order" is an SQL keyword
        indexes = ((("merchant", "status", "placed_at"), False), (("buyer", "placed_at"), False))

    @property
    def source(self) -> dict | None:
        """The share the order came through (code, channel, UTM), or None."""
        if not self.share_code:
            return None
        return {
            "share_code": self.share_code,
            "channel": self.source_channel,
            "utm_source": self.utm_source,
            "utm_medium": self.utm_medium,
            "utm_campaign": self.utm_campaign,
        }


class OrderLine(BaseModel):
    """A line of an order: the snapshot of what was bought and its shares of money.

    ``amount = sale_unit_price * quantity``;
    ``pay_amount = amount - promotion_discount - coupon_discount - points_discount
    - other_discount + freight_share`` — what this line costs the buyer, the ceiling of its
    refunds.
    """

    order = pw.ForeignKeyField(Order, backref="lines", on_delete="CASCADE")
    sku_id = pw.IntegerField(index=True)
    product_id = pw.IntegerField(index=True)
    product_name = pw.CharField(max_length=200)
    sku_name = pw.CharField(max_length=255, default="")
    sku_code = pw.CharField(max_length=64, default="")
    specs = JSONField(default=dict)
    image_url = pw.CharField(max_length=500, default="")
    unit_price = pw.IntegerField()  # the catalog price when ordered
    sale_unit_price = pw.IntegerField()  # after price candidates (member, activity ...)
    # the SKU's cost price (fen) when ordered; NULL: no cost then (or no SKU), or ordered
    # before the column existed (migration 0024 does not backfill)
    unit_cost = pw.IntegerField(null=True)
    price_source = pw.CharField(max_length=64, default="")
    price_kind = pw.CharField(max_length=16, default="")  # activity, discount, member or ""
    activity = JSONField(null=True)  # {"type", "id", "params"} for group buy, bargain ...
    quantity = pw.IntegerField()
    amount = pw.IntegerField()
    promotion_discount = pw.IntegerField(default=0)
    coupon_discount = pw.IntegerField(default=0)
    points_discount = pw.IntegerField(default=0)
    other_discount = pw.IntegerField(default=0)
    freight_share = pw.IntegerField(default=0)
    pay_amount = pw.IntegerField()
    refunded_amount = pw.IntegerField(default=0)
    refunded_quantity = pw.IntegerField(default=0)
    shipped_quantity = pw.IntegerField(default=0)
    is_gift = pw.BooleanField(default=False)


class OrderEvent(BaseModel):
    """Every state change and notable action on an order: who, when, from, to, why."""

    order = pw.ForeignKeyField(Order, backref="events", on_delete="CASCADE")
    at = pw.DateTimeField(default=utcnow)
    actor_type = pw.CharField(max_length=16)  # buyer | staff | admin | system
    actor_id = pw.IntegerField(null=True)
    action = pw.CharField(max_length=32)
    from_status = pw.CharField(max_length=32, default="")
    to_status = pw.CharField(max_length=32, default="")
    reason = pw.CharField(max_length=255, default="")
    data = JSONField(default=dict)


class Shipment(BaseModel):
    """A parcel: some quantity of some lines, with carrier and tracking number."""

    order = pw.ForeignKeyField(Order, backref="shipments", on_delete="CASCADE")
    carrier = pw.CharField(max_length=64)
    tracking_number = pw.CharField(max_length=64)
    shipped_at = pw.DateTimeField(default=utcnow)
    created_by = pw.IntegerField(null=True)


class ShipmentLine(BaseModel):
    shipment = pw.ForeignKeyField(Shipment, backref="lines", on_delete="CASCADE")
    order_line = pw.ForeignKeyField(OrderLine, on_delete="CASCADE")
    quantity = pw.IntegerField()
