"""Membership tables (mallkit.plugins.membership.models), frozen as they were when written."""

import peewee as pw


class Member(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField(index=True)
    level = pw.IntegerField(default=0)
    growth = pw.IntegerField(default=0)
    points = pw.IntegerField(default=0)
    balance = pw.IntegerField(default=0)
    frozen = pw.IntegerField(default=0)
    total_spent = pw.IntegerField(default=0)
    order_count = pw.IntegerField(default=0)
    last_order_at = pw.DateTimeField(null=True)
    region = pw.CharField(max_length=64, default="")
    tags = pw.TextField(default="[]")
    sign_streak = pw.IntegerField(default=0)
    last_sign_date = pw.CharField(max_length=10, default="")
    joined_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_member"
        indexes = ((("merchant_id", "user_id"), True), (("merchant_id", "level"), False))


class PointLot(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    amount = pw.IntegerField()
    remaining = pw.IntegerField()
    expired = pw.IntegerField(default=0)
    status = pw.CharField(max_length=8, default="active")
    source = pw.CharField(max_length=16)
    created_at = pw.DateTimeField(null=False)
    expires_at = pw.DateTimeField(index=True)

    class Meta:
        table_name = "membership_point_lot"
        indexes = ((("merchant_id", "user_id", "status", "expires_at"), False),)


class PointEntry(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    delta = pw.IntegerField()
    kind = pw.CharField(max_length=16)
    key = pw.CharField(max_length=64, null=True, unique=True)
    order_id = pw.IntegerField(null=True, index=True)
    reason = pw.CharField(max_length=255, default="")
    actor_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_point_entry"
        indexes = ((("merchant_id", "user_id", "created_at"), False),)


class PointSpend(pw.Model):
    lot = pw.ForeignKeyField(PointLot, on_delete="CASCADE")
    order_id = pw.IntegerField(index=True)
    amount = pw.IntegerField()
    returned = pw.IntegerField(default=0)

    class Meta:
        table_name = "membership_point_spend"


class GrowthEntry(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    delta = pw.IntegerField()
    kind = pw.CharField(max_length=16)
    key = pw.CharField(max_length=64, null=True, unique=True)
    order_id = pw.IntegerField(null=True)
    reason = pw.CharField(max_length=255, default="")
    actor_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_growth_entry"
        indexes = ((("merchant_id", "user_id"), False),)


class LevelChange(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    from_level = pw.IntegerField()
    to_level = pw.IntegerField()
    growth = pw.IntegerField()
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_level_change"
        indexes = ((("merchant_id", "user_id"), False),)


class BalanceEntry(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    delta = pw.IntegerField()
    frozen_delta = pw.IntegerField(default=0)
    kind = pw.CharField(max_length=16)
    key = pw.CharField(max_length=64, unique=True)
    reference = pw.CharField(max_length=32, default="")
    reason = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_balance_entry"
        indexes = ((("merchant_id", "user_id", "created_at"), False),)


class RechargePackage(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    title = pw.CharField(max_length=100)
    amount = pw.IntegerField()
    bonus = pw.IntegerField(default=0)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_recharge_package"


class Recharge(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    package_id = pw.IntegerField()
    order_id = pw.IntegerField(unique=True)
    amount = pw.IntegerField()
    bonus = pw.IntegerField()
    status = pw.CharField(max_length=12, default="pending")
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_recharge"
        indexes = ((("merchant_id", "user_id"), False),)


class SignIn(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    local_date = pw.CharField(max_length=10)
    streak = pw.IntegerField()
    points = pw.IntegerField()
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_sign_in"
        indexes = ((("merchant_id", "user_id", "local_date"), True),)


class Segment(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    rules = pw.TextField(default="{}")
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_segment"


class PointsEvent(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    multiplier = pw.IntegerField()
    category_id = pw.IntegerField(null=True)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField()
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_points_event"


class PriorityOrder(pw.Model):
    merchant_id = pw.IntegerField()
    order_id = pw.IntegerField(unique=True)
    user_id = pw.IntegerField()
    level = pw.IntegerField()
    created_at = pw.DateTimeField(null=False)

    class Meta:
        table_name = "membership_priority_order"
        indexes = ((("merchant_id", "created_at"), False),)


MODELS = [
    Member,
    PointLot,
    PointEntry,
    PointSpend,
    GrowthEntry,
    LevelChange,
    BalanceEntry,
    RechargePackage,
    Recharge,
    SignIn,
    Segment,
    PointsEvent,
    PriorityOrder,
]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
