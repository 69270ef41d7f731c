"""Durable scheduled tasks: the ``scheduled_task`` table (mallkit.core.tasks).

The model is frozen here as it was when this migration was written, so later changes to
:class:`mallkit.core.tasks.queue.ScheduledTask` come with migrations of their own. Only the schema
matters here; Python-side defaults live on the real model.
"""

import peewee as pw


class ScheduledTask(pw.Model):
    kind = pw.CharField(max_length=100)
    merchant_id = pw.IntegerField(null=True, index=True)
    payload = pw.TextField(default="{}")
    run_at = pw.DateTimeField()
    status = pw.CharField(max_length=16, default="pending")
    attempts = pw.IntegerField(default=0)
    max_attempts = pw.IntegerField(null=True)
    last_error = pw.TextField(default="")
    locked_by = pw.CharField(max_length=100, null=True)
    locked_until = pw.DateTimeField(null=True)
    dedupe_key = pw.CharField(max_length=200, null=True, unique=True)
    created_at = pw.DateTimeField()
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "scheduled_task"
        legacy_table_names = False
        indexes = ((("status", "run_at"), False),)


MODELS = [ScheduledTask]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
