"""Warehouse tables (mallkit.plugins.warehouses.models), frozen as they were when written."""

import peewee as pw


class Warehouse(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=60)
    priority = pw.IntegerField(default=0)
    regions = pw.TextField(default="[]")
    province = pw.CharField(max_length=50, default="")
    city = pw.CharField(max_length=50, default="")
    lng = pw.FloatField(null=True)
    lat = pw.FloatField(null=True)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "warehouse"


class WarehouseStock(pw.Model):
    warehouse_id = pw.IntegerField()
    sku_id = pw.IntegerField(index=True)
    merchant_id = pw.IntegerField()
    quantity = pw.IntegerField(default=0)
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "warehouse_stock"
        indexes = ((("warehouse_id", "sku_id"), True),)


class WarehouseMovement(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    warehouse_id = pw.IntegerField()
    sku_id = pw.IntegerField()
    quantity = pw.IntegerField()
    balance_after = pw.IntegerField()
    reason = pw.CharField(max_length=16)
    reference_type = pw.CharField(max_length=32, default="")
    reference_id = pw.CharField(max_length=64, default="")
    actor_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "warehouse_movement"
        indexes = ((("warehouse_id", "sku_id", "id"), False),)


class WarehouseAllocation(pw.Model):
    merchant_id = pw.IntegerField()
    reference_type = pw.CharField(max_length=32)
    reference_id = pw.CharField(max_length=64)
    sku_id = pw.IntegerField()
    warehouse_id = pw.IntegerField()
    quantity = pw.IntegerField()
    released = pw.IntegerField(default=0)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "warehouse_allocation"
        indexes = ((("reference_type", "reference_id", "sku_id"), False),)


class Transfer(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    number = pw.CharField(max_length=32, unique=True)
    source_id = pw.IntegerField()
    target_id = pw.IntegerField()
    status = pw.CharField(max_length=12, default="draft")
    lines = pw.TextField(default="[]")
    note = pw.CharField(max_length=255, default="")
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()
    history = pw.TextField(default="[]")

    class Meta:
        table_name = "warehouse_transfer"


MODELS = [Warehouse, WarehouseStock, WarehouseMovement, WarehouseAllocation, Transfer]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
