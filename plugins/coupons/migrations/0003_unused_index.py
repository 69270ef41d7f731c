"""Pricing's index over a buyer's coupons becomes partial: ``user_coupon_unused`` on
``(user_id, merchant_id, template_id, ends_at, id) WHERE status = 'unused'`` replaces 0002's
index over all coupons with ``status`` inside it, and the index on ``status`` alone goes.

Using a coupon (every checkout with one) then removes one entry from one index instead of
moving entries in two: each index a checkout's write touches costs ~20-30 µs on SQLite (its
pages are written to the WAL and checkpointed). Expiry finds due coupons by ``ends_at``, as
before; nothing else looked coupons up by status alone."""

PARTIAL = (
    'CREATE INDEX "user_coupon_unused" ON "user_coupon" '
    '("user_id", "merchant_id", "template_id", "ends_at", "id") WHERE ("status" = \'unused\')'
)


def up(migrator, db):
    db.execute_sql(PARTIAL)
    migrator.migrate(
        migrator.drop_index(
            "user_coupon", "user_coupon_user_id_merchant_id_status_template_id_ends_at_id"
        ),
        migrator.drop_index("user_coupon", "user_coupon_status"),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.add_index("user_coupon", ("status",), False),
        migrator.add_index(
            "user_coupon",
            ("user_id", "merchant_id", "status", "template_id", "ends_at", "id"),
            False,
        ),
    )
    db.execute_sql('DROP INDEX IF EXISTS "user_coupon_unused"')
