"""Carts, orders, payments, refunds and idempotency keys.

The tables as they were when this migration was written (frozen copies: later model
changes come with migrations of their own). Python-side defaults live on the real models."""

import peewee as pw


def up(migrator, db):
    class Merchant(pw.Model):
        class Meta:
            database = db
            table_name = "merchant"
            legacy_table_names = False

    class Sku(pw.Model):
        class Meta:
            database = db
            table_name = "sku"
            legacy_table_names = False

    class User(pw.Model):
        class Meta:
            database = db
            table_name = "user"
            legacy_table_names = False

    class CartLine(pw.Model):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        sku = pw.ForeignKeyField(Sku, on_delete="CASCADE")
        quantity = pw.IntegerField()
        selected = pw.BooleanField(default=True)
        added_unit_price = pw.IntegerField()
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "cart_line"
            legacy_table_names = False
            indexes = ((("user", "sku"), True),)

    db.create_tables([CartLine])

    class IdempotencyKey(pw.Model):
        user_id = pw.IntegerField()
        scope = pw.CharField(max_length=32)
        key = pw.CharField(max_length=128)
        request_hash = pw.CharField(max_length=64)
        status = pw.IntegerField(default=0)
        response = pw.TextField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "idempotency_key"
            legacy_table_names = False
            indexes = ((("user_id", "scope", "key"), True),)

    db.create_tables([IdempotencyKey])

    class Order(pw.Model):
        number = pw.CharField(unique=True, max_length=32)
        merchant = pw.ForeignKeyField(Merchant, on_delete="RESTRICT")
        buyer = pw.ForeignKeyField(User, on_delete="RESTRICT")
        status = pw.CharField(index=True, max_length=32, default="pending_payment")
        currency = pw.CharField(max_length=3)
        subtotal = pw.IntegerField()
        discount_total = pw.IntegerField(default=0)
        freight = pw.IntegerField(default=0)
        total = pw.IntegerField()
        paid_amount = pw.IntegerField(default=0)
        refunded_amount = pw.IntegerField(default=0)
        refund_status = pw.CharField(max_length=8, default="none")
        shipping_status = pw.CharField(max_length=8, default="none")
        shipping_method = pw.CharField(max_length=64, default="")
        price_changed = pw.BooleanField(default=False)
        stock_deducted = pw.BooleanField(default=False)
        address = pw.TextField(null=True)
        buyer_note = pw.CharField(max_length=500, default="")
        staff_note = pw.TextField(default="")
        cancel_reason = pw.CharField(max_length=32, default="")
        pricing = pw.TextField(default=dict)
        payment_channel = pw.CharField(max_length=32, default="")
        checkout_key = pw.CharField(index=True, max_length=64, default="")
        placed_at = pw.DateTimeField(index=True)
        paid_at = pw.DateTimeField(index=True, null=True)
        shipped_at = pw.DateTimeField(null=True)
        completed_at = pw.DateTimeField(null=True)
        cancelled_at = pw.DateTimeField(null=True)
        closed_at = pw.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "orders"
            legacy_table_names = False
            indexes = (
                (("merchant", "status", "placed_at"), False),
                (("buyer", "placed_at"), False),
            )

    db.create_tables([Order])

    class OrderEvent(pw.Model):
        order = pw.ForeignKeyField(Order, on_delete="CASCADE")
        at = pw.DateTimeField()
        actor_type = pw.CharField(max_length=16)
        actor_id = pw.IntegerField(null=True)
        action = pw.CharField(max_length=32)
        from_status = pw.CharField(max_length=32, default="")
        to_status = pw.CharField(max_length=32, default="")
        reason = pw.CharField(default="")
        data = pw.TextField(default=dict)

        class Meta:
            database = db
            table_name = "order_event"
            legacy_table_names = False

    db.create_tables([OrderEvent])

    class OrderLine(pw.Model):
        order = pw.ForeignKeyField(Order, on_delete="CASCADE")
        sku_id = pw.IntegerField(index=True)
        product_id = pw.IntegerField(index=True)
        product_name = pw.CharField(max_length=200)
        sku_name = pw.CharField(default="")
        sku_code = pw.CharField(max_length=64, default="")
        specs = pw.TextField(default=dict)
        image_url = pw.CharField(max_length=500, default="")
        unit_price = pw.IntegerField()
        sale_unit_price = pw.IntegerField()
        price_source = pw.CharField(max_length=64, default="")
        price_kind = pw.CharField(max_length=16, default="")
        activity = pw.TextField(null=True)
        quantity = pw.IntegerField()
        amount = pw.IntegerField()
        promotion_discount = pw.IntegerField(default=0)
        coupon_discount = pw.IntegerField(default=0)
        points_discount = pw.IntegerField(default=0)
        other_discount = pw.IntegerField(default=0)
        freight_share = pw.IntegerField(default=0)
        pay_amount = pw.IntegerField()
        refunded_amount = pw.IntegerField(default=0)
        refunded_quantity = pw.IntegerField(default=0)
        shipped_quantity = pw.IntegerField(default=0)
        is_gift = pw.BooleanField(default=False)

        class Meta:
            database = db
            table_name = "order_line"
            legacy_table_names = False

    db.create_tables([OrderLine])

    class OrderSettings(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, unique=True, on_delete="CASCADE")
        auto_cancel_minutes = pw.IntegerField(default=30)
        auto_confirm_days = pw.IntegerField(default=10)
        stock_deduct = pw.CharField(max_length=8, default="place")
        restock_on_refund = pw.BooleanField(default=True)
        updated_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "order_settings"
            legacy_table_names = False

    db.create_tables([OrderSettings])

    class PaymentAttempt(pw.Model):
        number = pw.CharField(unique=True, max_length=32)
        order = pw.ForeignKeyField(Order, on_delete="RESTRICT")
        merchant = pw.ForeignKeyField(Merchant, on_delete="RESTRICT")
        channel = pw.CharField(max_length=32)
        method = pw.CharField(max_length=32, default="")
        amount = pw.IntegerField()
        currency = pw.CharField(max_length=3)
        status = pw.CharField(index=True, max_length=16, default="pending")
        channel_txn_id = pw.CharField(null=True, max_length=64)
        channel_data = pw.TextField(default=dict)
        created_at = pw.DateTimeField()
        paid_at = pw.DateTimeField(null=True)
        closed_at = pw.DateTimeField(null=True)
        last_queried_at = pw.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "payment_attempt"
            legacy_table_names = False
            indexes = ((("channel", "channel_txn_id"), True),)

    db.create_tables([PaymentAttempt])

    class PaymentLog(pw.Model):
        at = pw.DateTimeField(index=True)
        merchant_id = pw.IntegerField(null=True)
        channel = pw.CharField(max_length=32)
        action = pw.CharField(max_length=32)
        reference = pw.CharField(max_length=64, default="")
        verdict = pw.CharField(max_length=32)
        detail = pw.TextField(default=dict)

        class Meta:
            database = db
            table_name = "payment_log"
            legacy_table_names = False

    db.create_tables([PaymentLog])

    class Refund(pw.Model):
        number = pw.CharField(unique=True, max_length=32)
        order = pw.ForeignKeyField(Order, on_delete="RESTRICT")
        attempt = pw.ForeignKeyField(PaymentAttempt, on_delete="RESTRICT")
        merchant = pw.ForeignKeyField(Merchant, on_delete="RESTRICT")
        amount = pw.IntegerField()
        currency = pw.CharField(max_length=3)
        status = pw.CharField(index=True, max_length=16, default="pending")
        reason = pw.CharField(default="")
        restock = pw.BooleanField(default=True)
        channel_refund_id = pw.CharField(null=True, max_length=64)
        failure = pw.CharField(default="")
        created_by = pw.IntegerField(null=True)
        created_at = pw.DateTimeField()
        completed_at = pw.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "refund"
            legacy_table_names = False
            indexes = ((("attempt", "channel_refund_id"), True),)

    db.create_tables([Refund])

    class RefundLine(pw.Model):
        refund = pw.ForeignKeyField(Refund, on_delete="CASCADE")
        order_line = pw.ForeignKeyField(OrderLine, on_delete="RESTRICT")
        quantity = pw.IntegerField()
        amount = pw.IntegerField()

        class Meta:
            database = db
            table_name = "refund_line"
            legacy_table_names = False

    db.create_tables([RefundLine])

    class Shipment(pw.Model):
        order = pw.ForeignKeyField(Order, on_delete="CASCADE")
        carrier = pw.CharField(max_length=64)
        tracking_number = pw.CharField(max_length=64)
        shipped_at = pw.DateTimeField()
        created_by = pw.IntegerField(null=True)

        class Meta:
            database = db
            table_name = "shipment"
            legacy_table_names = False

    db.create_tables([Shipment])

    class ShipmentLine(pw.Model):
        shipment = pw.ForeignKeyField(Shipment, on_delete="CASCADE")
        order_line = pw.ForeignKeyField(OrderLine, on_delete="CASCADE")
        quantity = pw.IntegerField()

        class Meta:
            database = db
            table_name = "shipment_line"
            legacy_table_names = False

    db.create_tables([ShipmentLine])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("shipment_line"))
    migrator.migrate(migrator.drop_table("shipment"))
    migrator.migrate(migrator.drop_table("refund_line"))
    migrator.migrate(migrator.drop_table("refund"))
    migrator.migrate(migrator.drop_table("payment_log"))
    migrator.migrate(migrator.drop_table("payment_attempt"))
    migrator.migrate(migrator.drop_table("order_settings"))
    migrator.migrate(migrator.drop_table("order_line"))
    migrator.migrate(migrator.drop_table("order_event"))
    migrator.migrate(migrator.drop_table("orders"))
    migrator.migrate(migrator.drop_table("idempotency_key"))
    migrator.migrate(migrator.drop_table("cart_line"))
