"""FAQ tables: categories and entries (a store's, or the platform's when ``merchant_id`` is
NULL) and each product's warranty and repair information."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, utcnow


class FaqCategory(BaseModel):
    """A heading entries are grouped under, in ``position`` order."""

    merchant_id = pw.IntegerField(null=True, index=True)  # NULL: the platform's
    name = pw.CharField(max_length=50)
    position = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "faq_category"


class FaqEntry(BaseModel):
    """A question and its answer. ``search_doc`` holds the catalog search's tokens of both,
    space-padded (`` tok1 tok2 ``), so a token matches with ``LIKE '% tok %'``."""

    merchant_id = pw.IntegerField(null=True)
    category_id = pw.IntegerField(null=True)
    question = pw.CharField(max_length=200)
    answer = pw.TextField()
    position = pw.IntegerField(default=0)
    published = pw.BooleanField(default=True)
    search_doc = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "faq_entry"
        indexes = ((("merchant_id", "category_id", "position"), False),)


class ProductCare(BaseModel):
    """Warranty and repair information of one product, shown on its detail page."""

    product_id = pw.IntegerField(unique=True)
    merchant_id = pw.IntegerField(index=True)
    warranty_months = pw.IntegerField(default=0)
    warranty = pw.TextField(default="")
    repair = pw.TextField(default="")
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "faq_product_care"


MODELS = [FaqCategory, FaqEntry, ProductCare]
