"""Complaint tables (mallkit.plugins.complaints.models), frozen as they were when written."""

import peewee as pw


class Complaint(pw.Model):
    number = pw.CharField(max_length=32, unique=True)
    merchant_id = pw.IntegerField(index=True)
    order_id = pw.IntegerField(index=True)
    order_line_id = pw.IntegerField(null=True)
    buyer_id = pw.IntegerField(index=True)
    type = pw.CharField(max_length=24)
    description = pw.CharField(max_length=2000)
    evidence = pw.TextField(default="[]")
    status = pw.CharField(max_length=24, default="new", index=True)
    open_key = pw.CharField(max_length=32, null=True, unique=True)
    appeal_due_at = pw.DateTimeField(null=True)
    arbitration_due_at = pw.DateTimeField(null=True)
    due_at = pw.DateTimeField(null=True, index=True)
    appeal_text = pw.CharField(max_length=2000, default="")
    appeal_evidence = pw.TextField(default="[]")
    decision = pw.CharField(max_length=24, default="")
    decision_amount = pw.IntegerField(default=0)
    decision_line_id = pw.IntegerField(null=True)
    decision_note = pw.CharField(max_length=500, default="")
    decided_by = pw.IntegerField(null=True)
    decided_at = pw.DateTimeField(null=True)
    execution = pw.CharField(max_length=16, default="")
    case_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "complaint"
        indexes = ((("merchant_id", "created_at"), False),)


class ComplaintMessage(pw.Model):
    complaint = pw.ForeignKeyField(Complaint, on_delete="CASCADE")
    author_type = pw.CharField(max_length=16)
    author_id = pw.IntegerField(null=True)
    text = pw.CharField(max_length=2000, default="")
    images = pw.TextField(default="[]")
    event = pw.CharField(max_length=32, default="")
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "complaint_message"


MODELS = [Complaint, ComplaintMessage]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
