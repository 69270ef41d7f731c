"""Promotions and their usage (mallkit.plugins.promotions).

The models are frozen here as they were when this migration was written.
"""

import peewee as pw


class Promotion(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    type = pw.CharField(max_length=16)
    status = pw.CharField(max_length=16, default="active")
    priority = pw.IntegerField(default=0)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField()
    scope = pw.CharField(max_length=16, default="all")
    scope_ids = pw.TextField(default="[]")
    rules = pw.TextField(default="{}")
    stock = pw.IntegerField(default=0)
    sold = pw.IntegerField(default=0)
    per_user = pw.IntegerField(default=0)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "promotion"
        legacy_table_names = False
        indexes = ((("merchant_id", "status", "ends_at"), False),)


class PromotionUsage(pw.Model):
    promotion = pw.ForeignKeyField(Promotion, on_delete="CASCADE")
    user_id = pw.IntegerField()
    order_id = pw.IntegerField(index=True)
    quantity = pw.IntegerField()
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "promotion_usage"
        legacy_table_names = False
        indexes = ((("promotion", "user_id"), False),)


MODELS = [Promotion, PromotionUsage]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(list(reversed(MODELS)))
