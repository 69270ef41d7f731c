"""The feedback table (mallkit.plugins.feedback.models), frozen as it was when written."""

import peewee as pw


class Feedback(pw.Model):
    merchant_id = pw.IntegerField(null=True)
    user_id = pw.IntegerField(index=True)
    category = pw.CharField(max_length=16)
    text = pw.TextField()
    photos = pw.TextField(default="[]")
    contact = pw.CharField(max_length=100, default="")
    status = pw.CharField(max_length=8, default="new")
    tags = pw.TextField(default="[]")
    answer = pw.TextField(default="")
    answered_by = pw.IntegerField(null=True)
    answered_at = pw.DateTimeField(null=True)
    closed_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "feedback_feedback"
        indexes = ((("merchant_id", "status", "created_at"), False),)


def up(migrator, db):
    with db.bind_ctx([Feedback]):
        db.create_tables([Feedback])


def down(migrator, db):
    with db.bind_ctx([Feedback]):
        db.drop_tables([Feedback])
