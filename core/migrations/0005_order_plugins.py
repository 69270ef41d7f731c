"""``orders.plugins``: the merchant-level plugins enabled when an order was placed, so their
compensations (``on_order_state_changed``, ``on_order_refunded``) keep running for it."""

import peewee as pw


def up(migrator, db):
    migrator.migrate(migrator.add_column("orders", "plugins", pw.TextField(default="[]")))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("orders", "plugins"))
