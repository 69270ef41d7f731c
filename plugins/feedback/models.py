"""The feedback table: buyers' suggestions to a store or to the platform."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

# new -> answered -> closed; new -> closed (nothing to answer)
NEW, ANSWERED, CLOSED = "new", "answered", "closed"
CATEGORIES = ("product", "service", "logistics", "after_sales", "app", "suggestion", "other")


class Feedback(BaseModel):
    """One buyer's message: to a store (``merchant_id``) or to the platform (NULL).

    ``tags`` are the staff's own labels for sorting; ``status`` moves by compare-and-set."""

    merchant_id = pw.IntegerField(null=True)
    user_id = pw.IntegerField(index=True)
    category = pw.CharField(max_length=16)
    text = pw.TextField()
    photos = JSONField(default=list)
    contact = pw.CharField(max_length=100, default="")
    status = pw.CharField(max_length=8, default=NEW)
    tags = JSONField(default=list)
    answer = pw.TextField(default="")
    answered_by = pw.IntegerField(null=True)
    answered_at = pw.DateTimeField(null=True)
    closed_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "feedback_feedback"
        indexes = ((("merchant_id", "status", "created_at"), False),)
