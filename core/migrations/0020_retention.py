"""Retention (core/retention.py): a merchant's record-keeping period for payment gateway logs
(``order_settings.record_keeping_days``), and indexes the purge selects by."""

import peewee as pw


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("order_settings", "record_keeping_days", pw.IntegerField(default=1095)),
        migrator.add_index("access_token", ("expires_at",), False),
        migrator.add_index("idempotency_key", ("created_at",), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("idempotency_key", "idempotency_key_created_at"),
        migrator.drop_index("access_token", "access_token_expires_at"),
        migrator.drop_column("order_settings", "record_keeping_days"),
    )
