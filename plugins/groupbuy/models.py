"""Group buy tables: activities, groups and members (with who invited them). Share codes are
core share links of kind ``"group"`` (docs/shares.md); the ``groupbuy_share`` table of
migration 0001 is no longer used (its rows were copied to the core by migration 0002)."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

# A group: pending (leader placed, not paid) -> open (leader paid; joinable, expiry running)
# -> succeeded | failed; cancelled when the leader's order is cancelled unpaid.
PENDING, OPEN, SUCCEEDED, FAILED, CANCELLED = "pending", "open", "succeeded", "failed", "cancelled"
# A member (a seat): reserved (order placed) -> paid -> refunded; released when the order is
# cancelled unpaid.
RESERVED, PAID, REFUNDED, RELEASED = "reserved", "paid", "refunded", "released"


class GroupActivity(BaseModel):
    """A merchant's group-buy offer: SKUs at group prices, a group size and time limit.

    ``prices`` maps SKU id (as text) to the group unit price in minor units. ``stock`` is the
    activity's own stock (None: only the SKU's stock limits it). ``simulate_success``: an
    expiring group succeeds anyway; ``success_threshold`` (percent, 0 = off): it succeeds
    when paid members / size reach it. ``allow_discounts`` lets coupons and 满减 apply.
    """

    merchant_id = pw.IntegerField(index=True)
    title = pw.CharField(max_length=100)
    product_id = pw.IntegerField()
    prices = JSONField(default=dict)
    group_size = pw.IntegerField()
    time_limit_minutes = pw.IntegerField(default=24 * 60)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField()
    per_user_limit = pw.IntegerField(default=0)  # units per user over the activity; 0 = none
    per_order_limit = pw.IntegerField(default=1)  # units per order
    simulate_success = pw.BooleanField(default=False)
    success_threshold = pw.IntegerField(default=0)
    stock = pw.IntegerField(null=True)
    allow_discounts = pw.BooleanField(default=False)
    status = pw.CharField(max_length=16, default="active")  # active | closed
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "groupbuy_activity"


class Group(BaseModel):
    """One group of an activity. ``joined`` counts seats taken (reserved or paid) and only
    moves by conditional updates (``joined < size``), so the last seat goes to one buyer.
    ``open_key`` is ``"<activity>:<leader>"`` while the group is pending or open and NULL
    afterwards; its unique index is the "one open group per user per activity" rule."""

    merchant_id = pw.IntegerField(index=True)
    activity = pw.ForeignKeyField(GroupActivity, backref="groups", on_delete="CASCADE")
    leader_id = pw.IntegerField()
    size = pw.IntegerField()
    joined = pw.IntegerField(default=1)
    paid = pw.IntegerField(default=0)
    status = pw.CharField(max_length=16, default=PENDING)
    open_key = pw.CharField(max_length=64, null=True, unique=True)
    simulated = pw.BooleanField(default=False)
    opened_at = pw.DateTimeField(null=True)
    expires_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "groupbuy_group"
        indexes = ((("activity", "status"), False),)


class Member(BaseModel):
    """A seat in a group, held by one order. ``inviter_id`` is whoever's share link (a core
    share link of kind ``"group"``, ``share_code``) brought the member (None for the leader
    or a join without a code)."""

    group = pw.ForeignKeyField(Group, backref="members", on_delete="CASCADE")
    merchant_id = pw.IntegerField(index=True)
    activity_id = pw.IntegerField()
    user_id = pw.IntegerField()
    order_id = pw.IntegerField(unique=True)
    quantity = pw.IntegerField(default=1)
    is_leader = pw.BooleanField(default=False)
    inviter_id = pw.IntegerField(null=True)
    share_code = pw.CharField(max_length=32, null=True)
    status = pw.CharField(max_length=16, default=RESERVED)
    created_at = pw.DateTimeField(default=utcnow)
    paid_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "groupbuy_member"
        indexes = ((("activity_id", "user_id"), False),)
