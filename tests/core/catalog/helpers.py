"""Helpers for the catalog tests: product payloads, row and query counting."""

from __future__ import annotations

from typing import Any

from mallkit.core.catalog import service
from mallkit.core.catalog.models import MODELS
from mallkit.core.catalog.schemas import ProductIn


def product_payload(name: str = "纯棉T恤", **overrides: Any) -> dict[str, Any]:
    """A two-by-two product: 颜色 × 尺码, four SKUs with stock 20 each."""
    data = {
        "name": name,
        "subtitle": "夏季新品",
        "description": "<p>舒适 <b>透气</b></p>",
        "images": ["https://img.example.com/a.jpg"],
        "specs": [{"name": "颜色", "values": ["红", "蓝"]}, {"name": "尺码", "values": ["M", "L"]}],
        "sku_defaults": {
            "price": 9900,
            "original_price": 12900,
            "cost": 4000,
            "stock": 20,
            "weight": 250,
        },
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}  # None: leave the key out


def create_product(merchant, name: str = "纯棉T恤", **overrides: Any):
    """Create a product through the service (no HTTP; input loaded as the API loads it)."""
    data = ProductIn().load(product_payload(name, **overrides))
    return service.create_product(merchant.id, data)


def single_sku(price: int = 1000, stock: int = 10, **extra: Any) -> dict[str, Any]:
    """Payload fields for a product without specifications (one SKU)."""
    return {"specs": [], "sku_defaults": None, "skus": [{"price": price, "stock": stock, **extra}]}


def row_counts() -> dict[str, int]:
    """Rows per catalog table (to show a refused request wrote nothing)."""
    from mallkit.core.audit import AuditLog

    counts = {m._meta.table_name: m.select().count() for m in MODELS}
    counts["audit_log"] = AuditLog.select().count()
    return counts


class QueryCounter:
    """Counts statements sent to the database (by wrapping ``execute_sql``)."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        from mallkit.core import db as dbm

        database = dbm.database.obj
        original = database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return original(sql, params, *args, **kwargs)

        database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        from mallkit.core import db as dbm

        del dbm.database.obj.execute_sql
