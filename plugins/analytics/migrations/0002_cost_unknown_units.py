"""``analytics_daily_product.cost_unknown_units``: the units kept (not refunded) of lines
whose cost price at the sale is not known (``order_line.unit_cost`` NULL: sold before core
migration 0024, or a SKU without a cost), which ``cost`` counts at 0. Days aggregated before
keep their figures (cost from the SKU's cost price then, 0 here) until aggregated again."""

import peewee as pw


def up(migrator, db):
    migrator.migrate(
        migrator.add_column(
            "analytics_daily_product", "cost_unknown_units", pw.IntegerField(default=0)
        )
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("analytics_daily_product", "cost_unknown_units"))
