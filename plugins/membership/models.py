"""Membership tables. Every balance is also a ledger: ``Member.points`` is the sum of the
remaining points of the member's active lots, ``Member.balance``/``frozen`` the sums of the
balance ledger's deltas; every change of either writes the ledger row in the same
transaction, with a unique ``key`` so that one business event moves money once."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow


class Member(BaseModel):
    """A buyer at one store: level, growth, points, stored value and the counters segments
    are evaluated on. Created on the buyer's first paid order, sign-in or recharge."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField(index=True)
    level = pw.IntegerField(default=0)  # index into the store's configured levels
    growth = pw.IntegerField(default=0)
    points = pw.IntegerField(default=0)  # = sum of active lots' remaining
    balance = pw.IntegerField(default=0)  # stored value, minor units
    frozen = pw.IntegerField(default=0)  # stored value held by a pending recharge refund
    total_spent = pw.IntegerField(default=0)  # paid minus refunded, recharges excluded
    order_count = pw.IntegerField(default=0)
    last_order_at = pw.DateTimeField(null=True)
    region = pw.CharField(max_length=64, default="")  # province of the last paid order
    tags = JSONField(default=list)
    sign_streak = pw.IntegerField(default=0)
    last_sign_date = pw.CharField(max_length=10, default="")
    joined_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_member"
        indexes = ((("merchant_id", "user_id"), True), (("merchant_id", "level"), False))


class PointLot(BaseModel):
    """Points earned together, expiring together; spent oldest first."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    amount = pw.IntegerField()
    remaining = pw.IntegerField()
    expired = pw.IntegerField(default=0)  # what expiry took
    status = pw.CharField(max_length=8, default="active")  # active | expired
    source = pw.CharField(max_length=16)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(index=True)

    class Meta:
        table_name = "membership_point_lot"
        indexes = ((("merchant_id", "user_id", "status", "expires_at"), False),)


class PointEntry(BaseModel):
    """The points ledger: one row per change of a member's points."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    delta = pw.IntegerField()
    kind = pw.CharField(max_length=16)  # earn reverse spend return expire signin adjust redeem
    key = pw.CharField(max_length=64, null=True, unique=True)
    order_id = pw.IntegerField(null=True, index=True)
    reason = pw.CharField(max_length=255, default="")
    actor_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_point_entry"
        indexes = ((("merchant_id", "user_id", "created_at"), False),)


class PointSpend(BaseModel):
    """Which lot an order's redeemed points came from, so a cancel or refund returns them to
    the same lot — unless it expired meanwhile (then they stay expired, once)."""

    lot = pw.ForeignKeyField(PointLot, on_delete="CASCADE")
    order_id = pw.IntegerField(index=True)
    amount = pw.IntegerField()
    returned = pw.IntegerField(default=0)

    class Meta:
        table_name = "membership_point_spend"


class GrowthEntry(BaseModel):
    """The growth ledger."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    delta = pw.IntegerField()
    kind = pw.CharField(max_length=16)  # earn reverse adjust
    key = pw.CharField(max_length=64, null=True, unique=True)
    order_id = pw.IntegerField(null=True)
    reason = pw.CharField(max_length=255, default="")
    actor_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_growth_entry"
        indexes = ((("merchant_id", "user_id"), False),)


class LevelChange(BaseModel):
    """The level history: every move up or down."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    from_level = pw.IntegerField()
    to_level = pw.IntegerField()
    growth = pw.IntegerField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_level_change"
        indexes = ((("merchant_id", "user_id"), False),)


class BalanceEntry(BaseModel):
    """The stored-value ledger: deltas of the balance and of the frozen balance."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    delta = pw.IntegerField()
    frozen_delta = pw.IntegerField(default=0)
    kind = pw.CharField(max_length=16)  # recharge bonus pay refund freeze unfreeze withdraw adjust
    key = pw.CharField(max_length=64, unique=True)
    reference = pw.CharField(max_length=32, default="")  # attempt, refund or order number
    reason = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_balance_entry"
        indexes = ((("merchant_id", "user_id", "created_at"), False),)


class RechargePackage(BaseModel):
    """A stored-value offer: pay ``amount``, get ``amount + bonus``."""

    merchant_id = pw.IntegerField(index=True)
    title = pw.CharField(max_length=100)
    amount = pw.IntegerField()
    bonus = pw.IntegerField(default=0)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_recharge_package"


class Recharge(BaseModel):
    """One recharge: a virtual order of the package's amount, credited once when paid."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    package_id = pw.IntegerField()
    order_id = pw.IntegerField(unique=True)
    amount = pw.IntegerField()
    bonus = pw.IntegerField()
    status = pw.CharField(max_length=12, default="pending")  # pending credited refunding refunded
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_recharge"
        indexes = ((("merchant_id", "user_id"), False),)


class SignIn(BaseModel):
    """One daily sign-in; the unique key is what makes it once a day under any concurrency."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    local_date = pw.CharField(max_length=10)
    streak = pw.IntegerField()
    points = pw.IntegerField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_sign_in"
        indexes = ((("merchant_id", "user_id", "local_date"), True),)


class Segment(BaseModel):
    """A buyer segment: rules evaluated in SQL over the members (see ``segments.py``)."""

    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    rules = JSONField(default=dict)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_segment"


class PointsEvent(BaseModel):
    """A points-multiplier event: e.g. double points over some days, for a category or all."""

    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    multiplier = pw.IntegerField()  # percent: 200 = double points
    category_id = pw.IntegerField(null=True)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "membership_points_event"


class PriorityOrder(BaseModel):
    """An order placed by a member whose level ships first (``priority_shipping``)."""

    merchant_id = pw.IntegerField()
    order_id = pw.IntegerField(unique=True)
    user_id = pw.IntegerField()
    level = pw.IntegerField()
    created_at = pw.DateTimeField(default=utcnow)

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
