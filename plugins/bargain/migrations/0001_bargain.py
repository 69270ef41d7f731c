"""Bargain tables (mallkit.plugins.bargain.models), frozen as they were when written."""

import peewee as pw


class BargainActivity(pw.Model):
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
    validity_minutes = pw.IntegerField(default=1440)
    initiator_may_cut = pw.BooleanField(default=False)
    floor_only = pw.BooleanField(default=True)
    allow_discounts = pw.BooleanField(default=False)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField()
    status = pw.CharField(max_length=16, default="active")  # active | closed
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "bargain_activity"


class Bargain(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    activity = pw.ForeignKeyField(BargainActivity, on_delete="CASCADE")
    user_id = pw.IntegerField()
    slot = pw.IntegerField()
    sku_id = pw.IntegerField()
    start_price = pw.IntegerField()
    floor_price = pw.IntegerField()
    current_price = pw.IntegerField()
    helpers_needed = pw.IntegerField()
    helps = pw.IntegerField(default=0)
    seed = pw.CharField(max_length=32)
    status = pw.CharField(max_length=16, default="active")
    order_id = pw.IntegerField(null=True, unique=True)
    expires_at = pw.DateTimeField()
    reached_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "bargain_bargain"
        indexes = ((("activity", "user_id", "slot"), True),)


class Help(pw.Model):
    bargain = pw.ForeignKeyField(Bargain, on_delete="CASCADE")
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
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "bargain_help"
        indexes = (
            (("bargain", "seq"), True),
            (("bargain", "helper_id", "user_slot"), True),
            (("activity_id", "helper_id", "day", "day_slot"), True),
        )


class Share(pw.Model):
    code = pw.CharField(max_length=32, unique=True)
    merchant_id = pw.IntegerField(index=True)
    bargain = pw.ForeignKeyField(Bargain, on_delete="CASCADE")
    inviter_id = pw.IntegerField()
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "bargain_share"
        indexes = ((("bargain", "inviter_id"), True),)


MODELS = [BargainActivity, Bargain, Help, Share]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
