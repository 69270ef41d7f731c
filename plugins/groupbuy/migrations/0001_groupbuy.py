"""Group buy tables (mallkit.plugins.groupbuy.models), frozen as they were when written."""

import peewee as pw


class GroupActivity(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    title = pw.CharField(max_length=100)
    product_id = pw.IntegerField()
    prices = pw.TextField(default="{}")
    group_size = pw.IntegerField()
    time_limit_minutes = pw.IntegerField(default=1440)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField()
    per_user_limit = pw.IntegerField(default=0)
    per_order_limit = pw.IntegerField(default=1)
    simulate_success = pw.BooleanField(default=False)
    success_threshold = pw.IntegerField(default=0)
    stock = pw.IntegerField(null=True)
    allow_discounts = pw.BooleanField(default=False)
    status = pw.CharField(max_length=16, default="active")
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "groupbuy_activity"


class Group(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    activity = pw.ForeignKeyField(GroupActivity, on_delete="CASCADE")
    leader_id = pw.IntegerField()
    size = pw.IntegerField()
    joined = pw.IntegerField(default=1)
    paid = pw.IntegerField(default=0)
    status = pw.CharField(max_length=16, default="pending")
    open_key = pw.CharField(max_length=64, null=True, unique=True)
    simulated = pw.BooleanField(default=False)
    opened_at = pw.DateTimeField(null=True)
    expires_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "groupbuy_group"
        indexes = ((("activity", "status"), False),)


class Member(pw.Model):
    group = pw.ForeignKeyField(Group, on_delete="CASCADE")
    merchant_id = pw.IntegerField(index=True)
    activity_id = pw.IntegerField()
    user_id = pw.IntegerField()
    order_id = pw.IntegerField(unique=True)
    quantity = pw.IntegerField(default=1)
    is_leader = pw.BooleanField(default=False)
    inviter_id = pw.IntegerField(null=True)
    share_code = pw.CharField(max_length=32, null=True)
    status = pw.CharField(max_length=16, default="reserved")
    created_at = pw.DateTimeField()
    paid_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "groupbuy_member"
        indexes = ((("activity_id", "user_id"), False),)


class Share(pw.Model):
    code = pw.CharField(max_length=32, unique=True)
    merchant_id = pw.IntegerField(index=True)
    group = pw.ForeignKeyField(Group, on_delete="CASCADE")
    inviter_id = pw.IntegerField()
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "groupbuy_share"
        indexes = ((("group", "inviter_id"), True),)


MODELS = [GroupActivity, Group, Member, Share]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
