"""Retention (core/retention.py): a merchant's record-keeping period for payment gateway logs
(``order_settings.record_keeping_days``), indexes the purge selects by, and a partial index
over running tasks by ``locked_until`` (``scheduled_task_running``) that workers find
abandoned tasks through, so a long history of finished tasks never slows a claim."""

import peewee as pw


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("order_settings", "record_keeping_days", pw.IntegerField(default=1095)),
        migrator.add_index("access_token", ("expires_at",), False),
        migrator.add_index("idempotency_key", ("created_at",), False),
    )
    db.execute_sql(
        'CREATE INDEX "scheduled_task_running" ON "scheduled_task" ("locked_until") '
        "WHERE \"status\" = 'running'"
    )


def down(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "scheduled_task_running"')
    migrator.migrate(
        migrator.drop_index("idempotency_key", "idempotency_key_created_at"),
        migrator.drop_index("access_token", "access_token_expires_at"),
        migrator.drop_column("order_settings", "record_keeping_days"),
    )
