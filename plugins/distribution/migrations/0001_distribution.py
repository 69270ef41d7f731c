"""Distribution tables (mallkit.plugins.distribution).

The models are frozen here as they were when this migration was written.
"""

import peewee as pw


class PromoterGroup(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=50)
    level1_bp = pw.IntegerField()
    level2_bp = pw.IntegerField()
    created_at = pw.DateTimeField()

    class Meta:
        legacy_table_names = False
        table_name = "distribution_group"
        indexes = ((("merchant_id", "name"), True),)


class Promoter(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField(index=True)
    code = pw.CharField(max_length=16, unique=True)
    status = pw.CharField(max_length=8, default="active")
    group_id = pw.IntegerField(null=True)
    parent_id = pw.IntegerField(null=True, index=True)
    source = pw.CharField(max_length=16)
    balance = pw.IntegerField(default=0)
    debt = pw.IntegerField(default=0)
    created_at = pw.DateTimeField()

    class Meta:
        legacy_table_names = False
        table_name = "distribution_promoter"
        indexes = ((("merchant_id", "user_id"), True),)


class Binding(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    promoter_id = pw.IntegerField(index=True)
    source = pw.CharField(max_length=16)
    share_code = pw.CharField(max_length=32, default="")
    bound_at = pw.DateTimeField()
    expires_at = pw.DateTimeField(null=True)

    class Meta:
        legacy_table_names = False
        table_name = "distribution_binding"
        indexes = ((("merchant_id", "user_id"), True),)


class Application(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    user_id = pw.IntegerField(index=True)
    fields = pw.TextField(default="{}")
    status = pw.CharField(max_length=8, default="pending")
    reason = pw.CharField(max_length=255, default="")
    open_key = pw.CharField(max_length=40, null=True, unique=True)
    reviewed_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField()
    reviewed_at = pw.DateTimeField(null=True)

    class Meta:
        legacy_table_names = False
        table_name = "distribution_application"


class ProductRule(pw.Model):
    merchant_id = pw.IntegerField()
    product_id = pw.IntegerField()
    mode = pw.CharField(max_length=8)
    level1 = pw.IntegerField()
    level2 = pw.IntegerField()

    class Meta:
        legacy_table_names = False
        table_name = "distribution_product_rule"
        indexes = ((("merchant_id", "product_id"), True),)


class Commission(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    promoter_id = pw.IntegerField(index=True)
    order_id = pw.IntegerField(index=True)
    order_line_id = pw.IntegerField()
    product_id = pw.IntegerField()
    buyer_id = pw.IntegerField()
    level = pw.SmallIntegerField()
    base = pw.IntegerField()
    line_paid = pw.IntegerField()
    rule = pw.CharField(max_length=8)
    rate = pw.IntegerField()
    amount = pw.IntegerField()
    refunded = pw.IntegerField(default=0)
    cancelled = pw.IntegerField(default=0)
    settled = pw.IntegerField(default=0)
    status = pw.CharField(max_length=10, default="frozen", index=True)
    created_at = pw.DateTimeField(index=True)
    settled_at = pw.DateTimeField(null=True)

    class Meta:
        legacy_table_names = False
        table_name = "distribution_commission"
        indexes = ((("order_line_id", "level"), True),)


class LedgerEntry(pw.Model):
    merchant_id = pw.IntegerField()
    promoter_id = pw.IntegerField(index=True)

    kind = pw.CharField(max_length=20)
    amount = pw.IntegerField()
    debt_delta = pw.IntegerField(default=0)
    commission_id = pw.IntegerField(null=True)
    withdrawal_id = pw.IntegerField(null=True)
    note = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField()

    class Meta:
        legacy_table_names = False
        table_name = "distribution_ledger"


class Withdrawal(pw.Model):
    number = pw.CharField(max_length=32, unique=True)
    merchant_id = pw.IntegerField(index=True)
    promoter_id = pw.IntegerField(index=True)
    amount = pw.IntegerField()
    fee = pw.IntegerField()
    net = pw.IntegerField()
    channel = pw.CharField(max_length=32)
    account = pw.TextField(default="{}")
    status = pw.CharField(max_length=10, default="requested", index=True)
    reason = pw.CharField(max_length=255, default="")
    reference = pw.CharField(max_length=64, default="")
    day = pw.CharField(max_length=10)
    idempotency_key = pw.CharField(max_length=128, null=True)
    reviewed_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField()
    reviewed_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        legacy_table_names = False
        table_name = "distribution_withdrawal"
        indexes = ((("promoter_id", "idempotency_key"), True),)


MODELS = [
    PromoterGroup,
    Promoter,
    Binding,
    Application,
    ProductRule,
    Commission,
    LedgerEntry,
    Withdrawal,
]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
