"""Ads tables (mallkit.plugins.ads.models), frozen as they were when written."""

import peewee as pw


class Creative(pw.Model):
    merchant_id = pw.IntegerField()
    placement = pw.CharField(max_length=32)
    title = pw.CharField(max_length=100)
    image_url = pw.CharField(max_length=500)
    link_type = pw.CharField(max_length=16)
    link_target = pw.CharField(max_length=500)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField(null=True)
    priority = pw.IntegerField(default=0)
    enabled = pw.BooleanField(default=True)
    segments = pw.TextField(default="[]")
    levels = pw.TextField(default="[]")
    regions = pw.TextField(default="[]")
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "ads_creative"
        indexes = ((("merchant_id", "placement", "enabled"), False),)


MODELS = [Creative]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
