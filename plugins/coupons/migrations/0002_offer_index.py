"""An index pricing finds a buyer's coupons by: ``(user_id, merchant_id, status, template_id,
ends_at, id)``. Per template, the coupon expiring soonest is one index lookup; before,
pricing read every coupon the buyer held (used ones too) to group them by template."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index(
            "user_coupon",
            ("user_id", "merchant_id", "status", "template_id", "ends_at", "id"),
            False,
        )
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index(
            "user_coupon",
            "user_coupon_user_id_merchant_id_status_template_id_ends_at_id",
        )
    )
