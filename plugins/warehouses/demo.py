"""Demo data: the demo store's two warehouses — 上海仓 (first for 华东) and 广州仓 (everywhere)
— holding its first product's stock between them. Only ``mallkit demo`` calls it; running it
again adds nothing."""

from __future__ import annotations

from mallkit.core.plugin_api import Product, Sku, merchant_plugins
from mallkit.plugins.warehouses import service
from mallkit.plugins.warehouses.models import Warehouse


def attach(app, merchant, base_url) -> list[str]:
    if not merchant_plugins(merchant.id).is_enabled("warehouses"):
        return []
    if not Warehouse.select().where(Warehouse.merchant_id == merchant.id).exists():
        shanghai = service.save_warehouse(
            merchant.id,
            {
                "name": "上海仓",
                "priority": 10,
                "province": "上海市",
                "city": "上海市",
                "regions": ["310000", "320000", "330000", "340000"],
            },
        )
        guangzhou = service.save_warehouse(
            merchant.id,
            {
                "name": "广州仓",
                "priority": 0,
                "province": "广东省",
                "city": "广州市",
                "regions": [],
            },
        )
        product = (
            Product.select().where(Product.merchant == merchant.id).order_by(Product.id).first()
        )
        if product is not None:
            for sku in Sku.select().where(Sku.product == product.id).order_by(Sku.id):
                near = sku.stock // 2
                service.set_stock(merchant.id, shanghai.id, sku.id, near)
                service.set_stock(merchant.id, guangzhou.id, sku.id, sku.stock - near)
    return [
        f"warehouses      {base_url}/api/v1/merchants/{merchant.id}/warehouses (上海仓, 广州仓)"
    ]
