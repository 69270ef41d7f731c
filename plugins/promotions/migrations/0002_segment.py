"""A promotion may target one buyer segment (``segment_id``; None: every buyer)."""

import peewee as pw


def up(migrator, db):
    migrator.migrate(migrator.add_column("promotion", "segment_id", pw.IntegerField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("promotion", "segment_id"))
