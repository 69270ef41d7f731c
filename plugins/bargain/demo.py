"""``mallkit demo``: a running bargain on a SKU of the demo store's second product, down to
¥9.90 with three helpers, so the storefront's 砍价 entry has something to start (created
once; later runs find it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mallkit.core.plugin_api import Product, Sku, utcnow
from mallkit.plugins.bargain import service
from mallkit.plugins.bargain.models import BargainActivity
from mallkit.plugins.bargain.schemas import BargainActivityIn

TITLE = "好友帮砍 · 9.9 元带回家"


def attach(app: Any, merchant: Any) -> list[str]:
    with app.app_context():
        activity = BargainActivity.get_or_none(
            (BargainActivity.merchant_id == merchant.id) & (BargainActivity.title == TITLE)
        )
        if activity is None:
            products = list(
                Product.select()
                .where(Product.merchant == merchant.id)
                .order_by(Product.id)
                .limit(2)
            )
            if not products:
                return []
            sku = Sku.select().where(Sku.product == products[-1].id).order_by(Sku.id).first()
            if sku is None or sku.price <= 990 + 3:
                return []
            now = utcnow()
            data = BargainActivityIn().load(
                {
                    "title": TITLE,
                    "sku_id": sku.id,
                    "start_price": sku.price,
                    "floor_price": 990,
                    "helpers_needed": 3,
                    "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
                    "ends_at": (now + dt.timedelta(days=90)).isoformat(),
                }
            )
            activity = service.create_activity(merchant.id, data)
    return [f"bargain         {TITLE}: activity {activity.id} (SKU {activity.sku_id})"]
