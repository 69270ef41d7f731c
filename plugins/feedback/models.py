"""The feedback table: buyers' suggestions to a store or to the platform."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

# new -> answered -> closed; new -> closed (nothing to answer)
NEW, ANSWERED, CLOSED = "new", "answered", "closed"
CATEGORIES = ("product", "service", "logistics", "after_sales", "app", "suggestion", "other")
# categories and states named in both languages (the console's selects and cells)
CATEGORIES_ZH = {
    "product": "商品问题",
    "service": "服务态度",
    "logistics": "物流配送",
    "after_sales": "售后问题",
    "app": "App/网站使用",
    "suggestion": "功能建议",
    "other": "其他",
}
CATEGORIES_EN = {
    "product": "Product",
    "service": "Service",
    "logistics": "Delivery",
    "after_sales": "After-sales",
    "app": "App or website",
    "suggestion": "Suggestion",
    "other": "Other",
}
STATUSES_ZH = {"new": "待答复", "answered": "已答复", "closed": "已关闭"}
STATUSES_EN = {"new": "New", "answered": "Answered", "closed": "Closed"}


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
