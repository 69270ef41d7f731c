"""Complaint tables: complaints about an order and the conversation on each.

A complaint's ``open_key`` is ``"<order id>"`` while it is open (one open complaint per
order; NULL once closed or withdrawn). Its decision's money or exchange is carried out by the
aftersales plugin exactly once: ``execution`` goes ``pending → done`` by a compare-and-set in
the transaction that opens the after-sale case (``case_id``), whose own unique
``source_key`` (``complaint:<id>``) backs it up.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

TYPES = ("quality", "not_as_described", "counterfeit", "service", "delivery", "other")
DECISIONS = ("refund_full", "refund_partial", "exchange", "reject", "warning")
MONEY_DECISIONS = ("refund_full", "refund_partial", "exchange")  # carried out by aftersales
NEW, AWAITING_APPEAL, IN_CONVERSATION, AWAITING_ARBITRATION = (
    "new",
    "awaiting_appeal",
    "in_conversation",
    "awaiting_arbitration",
)
CLOSED, WITHDRAWN = "closed", "withdrawn"
OPEN = (NEW, AWAITING_APPEAL, IN_CONVERSATION, AWAITING_ARBITRATION)
STATUSES = OPEN + (CLOSED, WITHDRAWN)


class Complaint(BaseModel):
    """A buyer's complaint about an order (or one of its lines) to the platform."""

    number = pw.CharField(max_length=32, unique=True)
    merchant_id = pw.IntegerField(index=True)
    order_id = pw.IntegerField(index=True)
    order_line_id = pw.IntegerField(null=True)
    buyer_id = pw.IntegerField(index=True)
    type = pw.CharField(max_length=24)
    description = pw.CharField(max_length=2000)
    evidence = JSONField(default=list)
    status = pw.CharField(max_length=24, default=NEW, index=True)
    open_key = pw.CharField(max_length=32, null=True, unique=True)
    appeal_due_at = pw.DateTimeField(null=True)  # the merchant's deadline to answer
    arbitration_due_at = pw.DateTimeField(null=True)  # the platform's SLA to decide
    # When the current step is due (forward: the SLA; appeal: the merchant's deadline;
    # arbitration: the SLA); NULL while the parties talk or once it ended. The inbox sorts by it.
    due_at = pw.DateTimeField(null=True, index=True)
    appeal_text = pw.CharField(max_length=2000, default="")
    appeal_evidence = JSONField(default=list)
    decision = pw.CharField(max_length=24, default="")
    decision_amount = pw.IntegerField(default=0)
    decision_line_id = pw.IntegerField(null=True)
    decision_note = pw.CharField(max_length=500, default="")
    decided_by = pw.IntegerField(null=True)
    decided_at = pw.DateTimeField(null=True)
    execution = pw.CharField(max_length=16, default="")  # "" | pending | done
    case_id = pw.IntegerField(null=True)  # the after-sale case that carried it out
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "complaint"
        indexes = ((("merchant_id", "created_at"), False),)


class ComplaintMessage(BaseModel):
    """A line of the conversation: the buyer, the merchant's staff, the platform, or the
    system noting a change of state."""

    complaint = pw.ForeignKeyField(Complaint, backref="messages", on_delete="CASCADE")
    author_type = pw.CharField(max_length=16)  # buyer | staff | admin | system
    author_id = pw.IntegerField(null=True)
    text = pw.CharField(max_length=2000, default="")
    images = JSONField(default=list)
    event = pw.CharField(max_length=32, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "complaint_message"
