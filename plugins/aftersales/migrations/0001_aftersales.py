"""After-sale tables (mallkit.plugins.aftersales.models), frozen as they were when written."""

import peewee as pw


class Case(pw.Model):
    number = pw.CharField(max_length=32, unique=True)
    merchant_id = pw.IntegerField(index=True)
    order_id = pw.IntegerField(index=True)
    order_line_id = pw.IntegerField(index=True)
    buyer_id = pw.IntegerField(index=True)
    type = pw.CharField(max_length=16)
    status = pw.CharField(max_length=16, default="applied")
    quantity = pw.IntegerField()
    amount = pw.IntegerField(default=0)
    currency = pw.CharField(max_length=3, default="CNY")
    reason = pw.CharField(max_length=64)
    description = pw.CharField(max_length=1000, default="")
    evidence = pw.TextField(default="[]")
    open_key = pw.CharField(max_length=32, null=True, unique=True)
    source_key = pw.CharField(max_length=64, null=True, unique=True)
    decision_note = pw.CharField(max_length=255, default="")
    decided_by = pw.CharField(max_length=16, default="")
    return_address = pw.TextField(null=True)
    return_carrier = pw.CharField(max_length=64, default="")
    return_tracking = pw.CharField(max_length=64, default="")
    reship_carrier = pw.CharField(max_length=64, default="")
    reship_tracking = pw.CharField(max_length=64, default="")
    restocked = pw.BooleanField(default=False)
    refund_id = pw.IntegerField(null=True, index=True)
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()
    approved_at = pw.DateTimeField(null=True)
    shipped_back_at = pw.DateTimeField(null=True)
    received_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "aftersale_case"
        indexes = ((("merchant_id", "status", "created_at"), False),)


class CaseMessage(pw.Model):
    case = pw.ForeignKeyField(Case, on_delete="CASCADE")
    author_type = pw.CharField(max_length=16)
    author_id = pw.IntegerField(null=True)
    text = pw.CharField(max_length=1000, default="")
    images = pw.TextField(default="[]")
    event = pw.CharField(max_length=32, default="")
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "aftersale_message"


MODELS = [Case, CaseMessage]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
