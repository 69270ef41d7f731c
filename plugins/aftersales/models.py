"""After-sale tables: cases (one per application on an order line) and the messages on them.

A case's ``open_key`` is ``"<order line id>"`` while the case is open and NULL once it ends;
its unique index is the "one open case per line" rule, so two applications racing for one
line end with one case. ``source_key`` is unique too: a case opened by another plugin's
decision (a complaint's ``complaint:<id>``) exists once however often the decision runs.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

TYPES = ("refund", "return_refund", "exchange")  # 仅退款, 退货退款, 换货
# named in both languages for the console (the shared status text of refund is a stock
# movement's 退款退回, not this)
TYPES_ZH = {"refund": "仅退款", "return_refund": "退货退款", "exchange": "换货"}
TYPES_EN = {"refund": "Refund only", "return_refund": "Return & refund", "exchange": "Exchange"}
# The reasons a store offers unless it sets its own (settings: ``reasons``).
REASONS = ("不想要了", "商品质量问题", "商品与描述不符", "少件/漏发", "发错货", "商品破损", "其他")
# applied -> approved -> returning -> received -> refunding -> completed (money), or
# received -> completed (exchange, reshipped); refund-only: applied -> refunding -> completed.
APPLIED, APPROVED, RETURNING, RECEIVED, REFUNDING = (
    "applied",
    "approved",
    "returning",
    "received",
    "refunding",
)
COMPLETED, REJECTED, CANCELLED, CLOSED, REFUSED = (
    "completed",
    "rejected",
    "cancelled",
    "closed",
    "refused",
)
OPEN = (APPLIED, APPROVED, RETURNING, RECEIVED, REFUNDING)
ENDED = (COMPLETED, REJECTED, CANCELLED, CLOSED, REFUSED)
STATUSES = OPEN + ENDED


class Case(BaseModel):
    """One after-sale application for some quantity of one order line.

    ``amount`` is the refund asked for (minor units; 0 for an exchange), never more than the
    line paid minus what was refunded. ``evidence`` holds media URLs from this plugin's
    folder of the media store. ``return_address`` is the merchant's address as it was when
    the case was approved. ``refund_id`` is the core ``Refund`` that pays the case.
    """

    number = pw.CharField(max_length=32, unique=True)
    merchant_id = pw.IntegerField(index=True)
    order_id = pw.IntegerField(index=True)
    order_line_id = pw.IntegerField(index=True)
    buyer_id = pw.IntegerField(index=True)
    type = pw.CharField(max_length=16)
    status = pw.CharField(max_length=16, default=APPLIED)
    quantity = pw.IntegerField()
    amount = pw.IntegerField(default=0)
    currency = pw.CharField(max_length=3, default="CNY")
    reason = pw.CharField(max_length=64)
    description = pw.CharField(max_length=1000, default="")
    evidence = JSONField(default=list)
    open_key = pw.CharField(max_length=32, null=True, unique=True)
    source_key = pw.CharField(max_length=64, null=True, unique=True)
    decision_note = pw.CharField(max_length=255, default="")  # why rejected / refused
    decided_by = pw.CharField(max_length=16, default="")  # staff | admin | system
    return_address = JSONField(null=True)
    return_carrier = pw.CharField(max_length=64, default="")
    return_tracking = pw.CharField(max_length=64, default="")
    reship_carrier = pw.CharField(max_length=64, default="")
    reship_tracking = pw.CharField(max_length=64, default="")
    restocked = pw.BooleanField(default=False)
    refund_id = pw.IntegerField(null=True, index=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    approved_at = pw.DateTimeField(null=True)
    shipped_back_at = pw.DateTimeField(null=True)
    received_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "aftersale_case"
        indexes = ((("merchant_id", "status", "created_at"), False),)


class CaseMessage(BaseModel):
    """A line of the case's conversation: the buyer, the merchant's staff, the platform, or
    the system noting a change of state."""

    case = pw.ForeignKeyField(Case, backref="messages", on_delete="CASCADE")
    author_type = pw.CharField(max_length=16)  # buyer | staff | admin | system
    author_id = pw.IntegerField(null=True)
    text = pw.CharField(max_length=1000, default="")
    images = JSONField(default=list)
    event = pw.CharField(max_length=32, default="")  # the state change it records, if any
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "aftersale_message"
