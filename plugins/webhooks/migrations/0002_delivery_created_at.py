"""An index on ``webhook_delivery.created_at``: the hourly purge (webhooks/retention.py)
finds deliveries older than the retention period through it, a batch at a time."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("webhook_delivery", ("created_at",), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("webhook_delivery", "webhook_delivery_created_at"))
