"""``order_line.unit_cost``: the SKU's cost price (``sku.cost``, fen) when the order was
placed, so a later change of the cost price does not rewrite the gross profit of past sales
(the analytics product report reads it). NULL when the SKU had no cost, and for a line
without a SKU (a virtual order's).

Existing lines keep NULL: they are not backfilled from today's ``sku.cost``, which is the
cost price now, not when they were sold — exactly the number this column replaces. Reports
count such units as "cost unknown" (docs/plugins/analytics.md)."""

import peewee as pw


def up(migrator, db):
    migrator.migrate(migrator.add_column("order_line", "unit_cost", pw.IntegerField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("order_line", "unit_cost"))
