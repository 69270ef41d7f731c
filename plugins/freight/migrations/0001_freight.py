"""Freight tables (mallkit.plugins.freight.models), frozen as they were when written."""

import peewee as pw


class FreightTemplate(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=60)
    method = pw.CharField(max_length=8, default="piece")
    is_default = pw.BooleanField(default=False)
    rows = pw.TextField(default="[]")
    default_row = pw.TextField(default="{}")
    free = pw.TextField(default="[]")
    undeliverable = pw.TextField(default="[]")
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "freight_template"


class FreightProduct(pw.Model):
    product_id = pw.IntegerField(unique=True)
    merchant_id = pw.IntegerField(index=True)
    template_id = pw.IntegerField(index=True)
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "freight_product"


MODELS = [FreightTemplate, FreightProduct]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
