"""Invoice tables (mallkit.plugins.invoices.models), frozen as they were when written."""

import peewee as pw


class InvoiceTitle(pw.Model):
    user_id = pw.IntegerField(index=True)
    kind = pw.CharField(max_length=8)
    name = pw.CharField(max_length=100)
    tax_number = pw.CharField(max_length=20, default="")
    email = pw.CharField(max_length=254, default="")
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "invoices_title"


class Invoice(pw.Model):
    merchant_id = pw.IntegerField()
    order_id = pw.IntegerField(unique=True)
    buyer_id = pw.IntegerField(index=True)
    title_kind = pw.CharField(max_length=8)
    title_name = pw.CharField(max_length=100)
    tax_number = pw.CharField(max_length=20, default="")
    email = pw.CharField(max_length=254, default="")
    medium = pw.CharField(max_length=12, default="electronic")
    status = pw.CharField(max_length=20, default="requested")
    provider = pw.CharField(max_length=32, default="")
    number = pw.CharField(max_length=64, default="")
    amount = pw.IntegerField(null=True)
    carrier = pw.CharField(max_length=64, default="")
    tracking_number = pw.CharField(max_length=64, default="")
    reversal_number = pw.CharField(max_length=64, default="")
    reversal_reason = pw.CharField(max_length=200, default="")
    requested_at = pw.DateTimeField()
    due_at = pw.DateTimeField(null=True)
    issued_at = pw.DateTimeField(null=True)
    reversed_at = pw.DateTimeField(null=True)
    round = pw.IntegerField(default=1)
    history = pw.TextField(default="[]")

    class Meta:
        table_name = "invoices_invoice"
        indexes = ((("merchant_id", "status", "due_at"), False),)


class InvoiceFile(pw.Model):
    invoice_id = pw.IntegerField()
    round = pw.IntegerField(default=1)
    kind = pw.CharField(max_length=8)
    content = pw.BlobField()
    size = pw.IntegerField()
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "invoices_file"
        indexes = ((("invoice_id", "round", "kind"), True),)


MODELS = [InvoiceTitle, Invoice, InvoiceFile]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
