"""Bargain tables: activities, bargains, helps (who cut how much, invited by whom). Share
codes are core share links of kind ``"bargain"`` (docs/shares.md); the ``bargain_share``
table of migration 0001 is no longer used (its rows were copied to the core by 0002)."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, utcnow

# A bargain: active (helpers cut; the initiator may buy) -> ordered (an order holds it)
# -> bought (paid); back to active when the order is cancelled unpaid; expired at the end
# of its validity unless ordered.
ACTIVE, ORDERED, BOUGHT, EXPIRED = "active", "ordered", "bought", "expired"


class BargainActivity(BaseModel):
    """A merchant's bargain offer for one SKU: from ``start_price`` down to ``floor_price``
    in exactly ``helpers_needed`` helps. ``helps_per_user``: helps one user may give one
    bargain; ``helps_per_day``: helps one user may give in this activity per UTC day (0 =
    no limit); ``bargains_per_user``: bargains one user may start. ``floor_only``: buy only
    once the floor is reached (else at the current price)."""

    merchant_id = pw.IntegerField(index=True)
    title = pw.CharField(max_length=100)
    product_id = pw.IntegerField()
    sku_id = pw.IntegerField()
    start_price = pw.IntegerField()
    floor_price = pw.IntegerField()
    helpers_needed = pw.IntegerField()
    helps_per_user = pw.IntegerField(default=1)
    helps_per_day = pw.IntegerField(default=0)
    bargains_per_user = pw.IntegerField(default=1)
    validity_minutes = pw.IntegerField(default=24 * 60)
    initiator_may_cut = pw.BooleanField(default=False)
    floor_only = pw.BooleanField(default=True)
    allow_discounts = pw.BooleanField(default=False)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField()
    status = pw.CharField(max_length=16, default="active")  # active | closed
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "bargain_activity"


class Bargain(BaseModel):
    """One buyer's bargain. ``current_price`` and ``helps`` move together by a
    compare-and-set on ``helps``, so concurrent helps never over-cut. ``seed`` makes the
    cuts replayable. ``slot`` numbers the user's bargains in the activity; its unique index
    enforces ``bargains_per_user``."""

    merchant_id = pw.IntegerField(index=True)
    activity = pw.ForeignKeyField(BargainActivity, backref="bargains", on_delete="CASCADE")
    user_id = pw.IntegerField()
    slot = pw.IntegerField()
    sku_id = pw.IntegerField()
    start_price = pw.IntegerField()
    floor_price = pw.IntegerField()
    current_price = pw.IntegerField()
    helpers_needed = pw.IntegerField()
    helps = pw.IntegerField(default=0)
    seed = pw.CharField(max_length=32)
    status = pw.CharField(max_length=16, default=ACTIVE)
    order_id = pw.IntegerField(null=True, unique=True)
    expires_at = pw.DateTimeField()
    reached_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "bargain_bargain"
        indexes = ((("activity", "user_id", "slot"), True),)


class Help(BaseModel):
    """One cut. ``seq`` is the help number (unique per bargain). ``user_slot`` and
    ``day_slot`` number the helper's helps on this bargain and in this activity that day;
    their unique indexes enforce the limits under concurrency (``day_slot`` is NULL when the
    activity has no daily limit)."""

    bargain = pw.ForeignKeyField(Bargain, backref="help_rows", on_delete="CASCADE")
    merchant_id = pw.IntegerField(index=True)
    activity_id = pw.IntegerField()
    helper_id = pw.IntegerField()
    inviter_id = pw.IntegerField(null=True)
    share_code = pw.CharField(max_length=32, null=True)
    seq = pw.IntegerField()
    amount = pw.IntegerField()
    price_after = pw.IntegerField()
    user_slot = pw.IntegerField()
    day = pw.CharField(max_length=10)
    day_slot = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "bargain_help"
        indexes = (
            (("bargain", "seq"), True),
            (("bargain", "helper_id", "user_slot"), True),
            (("activity_id", "helper_id", "day", "day_slot"), True),
        )
