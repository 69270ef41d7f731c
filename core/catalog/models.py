"""Catalog tables: categories, brands, suppliers, tags, products with their SKUs, the stock
ledger, low-stock alerts and the per-merchant catalog settings.

Money columns are integer minor units (fen) in the merchant's currency. Products and SKUs are
deleted softly (``deleted_at``): an ordered product never disappears from its orders.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.db import BaseModel, JSONField, utcnow

DEFAULT_LOW_STOCK_THRESHOLD = 10
STOCK_REASONS = ("sale", "cancel", "refund", "stocktake", "adjustment", "transfer")


class CatalogSettings(BaseModel):
    """Catalog settings of one merchant (kept here so the core merchant table stays as is)."""

    merchant = pw.ForeignKeyField(Merchant, unique=True, on_delete="CASCADE")
    low_stock_threshold = pw.IntegerField(default=DEFAULT_LOW_STOCK_THRESHOLD)
    updated_at = pw.DateTimeField(default=utcnow)


class Category(BaseModel):
    """A node of a category tree. ``merchant`` NULL: a platform-wide category (browsing
    across merchants, managed by platform admins).

    ``path`` is the materialised path of ids, ``/1/5/12/``, so "this category and its
    descendants" is one indexed prefix match.
    """

    merchant = pw.ForeignKeyField(Merchant, null=True, on_delete="CASCADE")
    parent = pw.ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    name = pw.CharField(max_length=64)
    icon_url = pw.CharField(max_length=500, default="")
    position = pw.IntegerField(default=0)
    path = pw.CharField(max_length=255, default="", index=True)
    depth = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "parent", "position"), False),)


class Brand(BaseModel):
    """A brand with its story, shown on the product detail."""

    merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
    name = pw.CharField(max_length=100)
    logo_url = pw.CharField(max_length=500, default="")
    story = pw.TextField(default="")
    philosophy = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "name"), True),)


class Supplier(BaseModel):
    """Where a merchant buys a product from."""

    merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
    name = pw.CharField(max_length=100)
    contact_name = pw.CharField(max_length=100, default="")
    contact_phone = pw.CharField(max_length=32, default="")
    contact_email = pw.CharField(max_length=254, default="")
    address = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "name"), True),)


class Tag(BaseModel):
    """A product label (热门, 新品, 推荐 or the merchant's own), unique by name per merchant."""

    merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
    name = pw.CharField(max_length=32)
    position = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "name"), True),)


class Product(BaseModel):
    """A product of a merchant; what is sold are its SKUs.

    ``specs`` declares the specification dimensions, ``[{"name": "颜色", "values": [...]}]``;
    every SKU is one combination of their values. ``price_min``/``price_max`` and the
    ``search_*`` token columns are kept by the catalog service for filtering, sorting and
    full-text search (see :mod:`mallkit.core.catalog.search`).
    """

    merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
    category = pw.ForeignKeyField(Category, null=True, on_delete="SET NULL")
    platform_category = pw.ForeignKeyField(
        Category,
        null=True,
        on_delete="SET NULL",
        column_name="platform_category_id",
        backref="platform_products",
    )
    brand = pw.ForeignKeyField(Brand, null=True, on_delete="SET NULL")
    supplier = pw.ForeignKeyField(Supplier, null=True, on_delete="SET NULL")
    name = pw.CharField(max_length=200)
    subtitle = pw.CharField(max_length=255, default="")
    description = pw.TextField(default="")  # sanitised HTML
    images = JSONField(default=list)
    video_url = pw.CharField(max_length=500, default="")
    attributes = JSONField(default=dict)
    specs = JSONField(default=list)
    is_on_shelf = pw.BooleanField(default=True)
    shelf_on_at = pw.DateTimeField(null=True)
    shelf_off_at = pw.DateTimeField(null=True)
    price_min = pw.IntegerField(default=0, index=True)
    price_max = pw.IntegerField(default=0)
    sales_count = pw.IntegerField(default=0, index=True)
    search_name = pw.TextField(default="")
    search_extra = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    deleted_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("merchant", "id"), False),)

    @property
    def cover_url(self) -> str:
        return self.images[0] if self.images else ""


class ProductTag(BaseModel):
    product = pw.ForeignKeyField(Product, backref="tag_links", on_delete="CASCADE")
    tag = pw.ForeignKeyField(Tag, backref="product_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("product", "tag"), True), (("tag", "product"), False))


class Sku(BaseModel):
    """One sellable combination of a product's specification values, with its own price,
    stock and code. ``stock`` changes only through :mod:`mallkit.core.catalog.stock`."""

    product = pw.ForeignKeyField(Product, backref="skus", on_delete="CASCADE")
    merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")  # scoping without a join
    code = pw.CharField(max_length=64)
    specs = JSONField(default=dict)  # {"颜色": "红", "尺码": "M"}
    spec_key = pw.CharField(max_length=255, default="")
    price = pw.IntegerField()
    original_price = pw.IntegerField(null=True)
    cost = pw.IntegerField(null=True)
    weight = pw.IntegerField(default=0)  # grams
    stock = pw.IntegerField(default=0)
    low_stock_threshold = pw.IntegerField(null=True)  # NULL: the merchant's default
    image_url = pw.CharField(max_length=500, default="")
    position = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)
    deleted_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("product", "position"), False),)


class StockMovement(BaseModel):
    """The stock ledger: one row per movement of one SKU. ``quantity`` is signed;
    ``balance_after`` is the SKU's stock right after it, so the last row of a SKU always
    equals its stock and the quantities sum to it."""

    merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
    sku = pw.ForeignKeyField(Sku, backref="movements", on_delete="CASCADE")
    product = pw.ForeignKeyField(Product, on_delete="CASCADE")
    quantity = pw.IntegerField()
    balance_after = pw.IntegerField()
    reason = pw.CharField(max_length=16, choices=[(r, r) for r in STOCK_REASONS])
    reference_type = pw.CharField(max_length=32, default="")
    reference_id = pw.CharField(max_length=64, default="")
    note = pw.CharField(max_length=255, default="")
    actor_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("sku", "id"), False),
            (("merchant", "id"), False),
            (("reference_type", "reference_id"), False),
        )


class LowStockAlert(BaseModel):
    """Raised when a movement takes a SKU's stock from above its threshold to at or below it;
    the merchant lists and acknowledges these."""

    merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
    sku = pw.ForeignKeyField(Sku, on_delete="CASCADE")
    product = pw.ForeignKeyField(Product, on_delete="CASCADE")
    stock = pw.IntegerField()
    threshold = pw.IntegerField()
    created_at = pw.DateTimeField(default=utcnow)
    acknowledged_at = pw.DateTimeField(null=True)
    acknowledged_by = pw.IntegerField(null=True)

    class Meta:
        indexes = ((("merchant", "acknowledged_at", "id"), False),)


MODELS = [
    CatalogSettings,
    Category,
    Brand,
    Supplier,
    Tag,
    Product,
    ProductTag,
    Sku,
    StockMovement,
    LowStockAlert,
]
