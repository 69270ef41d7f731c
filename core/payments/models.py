"""Payment tables: attempts, refunds with their lines, and the log of every channel call and
notification with its verdict."""

from __future__ import annotations

import peewee as pw

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.db import BaseModel, JSONField, utcnow
from mallkit.core.orders.models import Order, OrderLine

ATTEMPT_STATES = ("pending", "paid", "closed", "failed")
REFUND_STATES = ("pending", "succeeded", "failed")


class PaymentAttempt(BaseModel):
    """One try at paying an order through one channel. ``number`` is the out-trade-no sent to
    the gateway; ``channel_txn_id`` the gateway's transaction id, unique per channel, which is
    what makes a payment count once however many notifications report it."""

    number = pw.CharField(max_length=32, unique=True)
    order = pw.ForeignKeyField(Order, backref="payments", on_delete="RESTRICT")
    merchant = pw.ForeignKeyField(Merchant, on_delete="RESTRICT")
    channel = pw.CharField(max_length=32)
    method = pw.CharField(max_length=32, default="")  # native, jsapi, h5, app, page, wap ...
    amount = pw.IntegerField()
    currency = pw.CharField(max_length=3)
    status = pw.CharField(max_length=16, default="pending", index=True)
    channel_txn_id = pw.CharField(max_length=64, null=True)
    channel_data = JSONField(default=dict)  # what the client needs to pay (code_url ...)
    created_at = pw.DateTimeField(default=utcnow)
    paid_at = pw.DateTimeField(null=True)
    closed_at = pw.DateTimeField(null=True)
    last_queried_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("channel", "channel_txn_id"), True),)


class Refund(BaseModel):
    """Money going back through the channel the order was paid with. ``number`` is the
    out-refund-no: the stable idempotency key sent to the gateway on every retry."""

    number = pw.CharField(max_length=32, unique=True)
    order = pw.ForeignKeyField(Order, backref="refunds", on_delete="RESTRICT")
    attempt = pw.ForeignKeyField(PaymentAttempt, backref="refunds", on_delete="RESTRICT")
    merchant = pw.ForeignKeyField(Merchant, on_delete="RESTRICT")
    amount = pw.IntegerField()
    currency = pw.CharField(max_length=3)
    status = pw.CharField(max_length=16, default="pending", index=True)
    reason = pw.CharField(max_length=255, default="")
    restock = pw.BooleanField(default=True)
    channel_refund_id = pw.CharField(max_length=64, null=True)
    failure = pw.CharField(max_length=255, default="")
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    completed_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("attempt", "channel_refund_id"), True),)


class RefundLine(BaseModel):
    refund = pw.ForeignKeyField(Refund, backref="lines", on_delete="CASCADE")
    order_line = pw.ForeignKeyField(OrderLine, backref="refund_lines", on_delete="RESTRICT")
    quantity = pw.IntegerField()
    amount = pw.IntegerField()


class PaymentLog(BaseModel):
    """Every channel call and notification with its verdict (never a secret)."""

    at = pw.DateTimeField(default=utcnow, index=True)
    merchant_id = pw.IntegerField(null=True)
    channel = pw.CharField(max_length=32)
    action = pw.CharField(max_length=32)  # create, query, close, refund, notify ...
    reference = pw.CharField(max_length=64, default="")
    verdict = pw.CharField(max_length=32)
    detail = JSONField(default=dict)
