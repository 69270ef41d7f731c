"""Reviews tables (mallkit.plugins.reviews.models), frozen as they were when written."""

import peewee as pw


class Review(pw.Model):
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
    photos = pw.TextField(default="[]")
    tags = pw.TextField(default="[]")
    has_photos = pw.BooleanField(default=False)
    anonymous = pw.BooleanField(default=False)
    auto = pw.BooleanField(default=False)
    status = pw.CharField(max_length=8, default="visible")
    hidden_reason = pw.CharField(max_length=200, default="")
    reply = pw.TextField(default="")
    replied_at = pw.DateTimeField(null=True)
    replied_by = pw.IntegerField(null=True)
    followup_text = pw.TextField(default="")
    followup_photos = pw.TextField(default="[]")
    followup_at = pw.DateTimeField(null=True)
    published_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "reviews_review"
        indexes = (
            (("product_id", "status", "created_at"), False),
            (("merchant_id", "created_at"), False),
        )


class ProductRating(pw.Model):
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


class ProductTag(pw.Model):
    product_id = pw.IntegerField()
    tag = pw.CharField(max_length=20)
    count = pw.IntegerField(default=0)

    class Meta:
        table_name = "reviews_product_tag"
        indexes = ((("product_id", "tag"), True),)


MODELS = [Review, ProductRating, ProductTag]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
