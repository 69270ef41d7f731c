"""Warehouse tables: a store's warehouses, stock per SKU per warehouse, the warehouse stock
ledger, what each order took from which warehouse, and transfer documents."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

TRANSFER_STATES = ("draft", "approved", "shipped", "received", "cancelled")


class Warehouse(BaseModel):
    """A place stock is kept. ``regions``: province or city codes it serves (empty: all);
    ``priority``: higher is tried first; ``lng``/``lat`` from its address, for distance."""

    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=60)
    priority = pw.IntegerField(default=0)
    regions = JSONField(default=list)
    province = pw.CharField(max_length=50, default="")
    city = pw.CharField(max_length=50, default="")
    lng = pw.FloatField(null=True)
    lat = pw.FloatField(null=True)
    active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "warehouse"


class WarehouseStock(BaseModel):
    """A SKU's quantity in one warehouse; never below zero (every decrement is conditional)."""

    warehouse_id = pw.IntegerField()
    sku_id = pw.IntegerField(index=True)
    merchant_id = pw.IntegerField()
    quantity = pw.IntegerField(default=0)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "warehouse_stock"
        indexes = ((("warehouse_id", "sku_id"), True),)


class WarehouseMovement(BaseModel):
    """The warehouse ledger: one row per change of one warehouse's stock of one SKU."""

    merchant_id = pw.IntegerField(index=True)
    warehouse_id = pw.IntegerField()
    sku_id = pw.IntegerField()
    quantity = pw.IntegerField()  # signed
    balance_after = pw.IntegerField()
    reason = pw.CharField(
        max_length=16
    )  # sale, cancel, refund, stock_in, stocktake, transfer_out, transfer_in
    reference_type = pw.CharField(max_length=32, default="")
    reference_id = pw.CharField(max_length=64, default="")
    actor_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "warehouse_movement"
        indexes = ((("warehouse_id", "sku_id", "id"), False),)


class WarehouseAllocation(BaseModel):
    """What a document (an order) took from a warehouse, and how much of it went back."""

    merchant_id = pw.IntegerField()
    reference_type = pw.CharField(max_length=32)
    reference_id = pw.CharField(max_length=64)
    sku_id = pw.IntegerField()
    warehouse_id = pw.IntegerField()
    quantity = pw.IntegerField()
    released = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "warehouse_allocation"
        indexes = ((("reference_type", "reference_id", "sku_id"), False),)


class Transfer(BaseModel):
    """A transfer document: draft → approved → shipped → received, or cancelled (a shipped
    one's stock goes back to the source)."""

    merchant_id = pw.IntegerField(index=True)
    number = pw.CharField(max_length=32, unique=True)
    source_id = pw.IntegerField()
    target_id = pw.IntegerField()
    status = pw.CharField(max_length=12, default="draft")
    lines = JSONField(default=list)  # [{"sku_id", "quantity"}]
    note = pw.CharField(max_length=255, default="")
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    history = JSONField(default=list)  # [{"status", "at", "by"}]

    class Meta:
        table_name = "warehouse_transfer"
