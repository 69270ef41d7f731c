"""Coupon templates, user coupons and redeem codes (mallkit.plugins.coupons).

The models are frozen here as they were when this migration was written.
"""

import peewee as pw


class CouponTemplate(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    type = pw.CharField(max_length=16)
    threshold = pw.IntegerField(default=0)
    amount = pw.IntegerField(default=0)
    rate = pw.IntegerField(default=100)
    cap = pw.IntegerField(default=0)
    scope = pw.CharField(max_length=16, default="all")
    scope_ids = pw.TextField(default="[]")
    validity = pw.CharField(max_length=16, default="fixed")
    starts_at = pw.DateTimeField(null=True)
    ends_at = pw.DateTimeField(null=True)
    valid_days = pw.IntegerField(default=0)
    total = pw.IntegerField()
    issued = pw.IntegerField(default=0)
    per_user = pw.IntegerField(default=1)
    per_day = pw.IntegerField(default=0)
    claimable = pw.BooleanField(default=True)
    new_user_gift = pw.BooleanField(default=False)
    status = pw.CharField(max_length=16, default="active")
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "coupon_template"
        legacy_table_names = False


class UserCoupon(pw.Model):
    template = pw.ForeignKeyField(CouponTemplate, on_delete="CASCADE")
    merchant_id = pw.IntegerField(index=True)
    user_id = pw.IntegerField(index=True)
    channel = pw.CharField(max_length=16)
    rules = pw.TextField(default="{}")
    status = pw.CharField(max_length=16, default="unused", index=True)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField(index=True)
    claimed_at = pw.DateTimeField()
    claimed_day = pw.CharField(max_length=10)
    order_id = pw.IntegerField(null=True, index=True)
    order_total = pw.IntegerField(default=0)
    used_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "user_coupon"
        legacy_table_names = False


class RedeemCode(pw.Model):
    template = pw.ForeignKeyField(CouponTemplate, on_delete="CASCADE")
    code = pw.CharField(max_length=32, unique=True)
    used_by = pw.IntegerField(null=True)
    used_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "coupon_redeem_code"
        legacy_table_names = False


MODELS = [CouponTemplate, UserCoupon, RedeemCode]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(list(reversed(MODELS)))
