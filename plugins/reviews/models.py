"""Reviews tables: one review per order line, and each product's rating summary.

The summary (``reviews_product_rating`` and ``reviews_product_tag``) counts the *visible*
reviews of a product. It is never recomputed: every change that makes a review visible or
hidden moves it by one with a conditional ``UPDATE ... SET n = n + 1`` (see
``service.tally``), so concurrent reviews of one product keep exact counts.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

VISIBLE, HIDDEN = "visible", "hidden"


class Review(BaseModel):
    """A buyer's review of one order line (or the automatic 5★ one, ``auto``).

    ``order_line_id`` is unique: one review per line, whoever writes first (the buyer, or the
    auto-review task) wins. ``rating`` is the description (product) rating the summary counts;
    ``logistics_rating`` is set only for shipped orders. ``published_at`` is set once, the
    first time the review is visible, which is when ``on_review_published`` fires.
    """

    merchant_id = pw.IntegerField()
    product_id = pw.IntegerField()
    sku_id = pw.IntegerField()
    order_id = pw.IntegerField(index=True)
    order_line_id = pw.IntegerField(unique=True)
    buyer_id = pw.IntegerField(index=True)
    sku_name = pw.CharField(max_length=255, default="")
    rating = pw.SmallIntegerField()
    service_rating = pw.SmallIntegerField()
    logistics_rating = pw.SmallIntegerField(null=True)
    text = pw.TextField(default="")
    photos = JSONField(default=list)
    tags = JSONField(default=list)
    has_photos = pw.BooleanField(default=False)
    anonymous = pw.BooleanField(default=False)
    auto = pw.BooleanField(default=False)
    status = pw.CharField(max_length=8, default=VISIBLE)
    hidden_reason = pw.CharField(max_length=200, default="")
    reply = pw.TextField(default="")
    replied_at = pw.DateTimeField(null=True)
    replied_by = pw.IntegerField(null=True)
    followup_text = pw.TextField(default="")
    followup_photos = JSONField(default=list)
    followup_at = pw.DateTimeField(null=True)
    published_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "reviews_review"
        indexes = (
            (("product_id", "status", "created_at"), False),
            (("merchant_id", "created_at"), False),
        )


class ProductRating(BaseModel):
    """The rating summary of one product over its visible reviews: ``count``, the sum of
    ratings (``total``; the average is ``total / count``), one counter per star and how many
    carry photos."""

    product_id = pw.IntegerField(unique=True)
    merchant_id = pw.IntegerField(index=True)
    count = pw.IntegerField(default=0)
    total = pw.IntegerField(default=0)
    star1 = pw.IntegerField(default=0)
    star2 = pw.IntegerField(default=0)
    star3 = pw.IntegerField(default=0)
    star4 = pw.IntegerField(default=0)
    star5 = pw.IntegerField(default=0)
    with_photos = pw.IntegerField(default=0)

    class Meta:
        table_name = "reviews_product_rating"


class ProductTag(BaseModel):
    """How many visible reviews of a product picked a tag (the store's ``tags`` setting)."""

    product_id = pw.IntegerField()
    tag = pw.CharField(max_length=20)
    count = pw.IntegerField(default=0)

    class Meta:
        table_name = "reviews_product_tag"
        indexes = ((("product_id", "tag"), True),)


MODELS = [Review, ProductRating, ProductTag]
