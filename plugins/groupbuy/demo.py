"""``mallkit demo``: a running two-person group on the demo store's first product, so the
storefront's 拼团 entry has something to open (created once; later runs find it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mallkit.core.plugin_api import Product, Sku, utcnow
from mallkit.plugins.groupbuy import service
from mallkit.plugins.groupbuy.models import GroupActivity
from mallkit.plugins.groupbuy.schemas import GroupActivityIn

TITLE = "两人拼团 · 限时特惠"


def attach(app: Any, merchant: Any) -> list[str]:
    with app.app_context():
        activity = GroupActivity.get_or_none(
            (GroupActivity.merchant_id == merchant.id) & (GroupActivity.title == TITLE)
        )
        if activity is None:
            product = (
                Product.select().where(Product.merchant == merchant.id).order_by(Product.id).first()
            )
            if product is None:
                return []
            skus = list(Sku.select().where(Sku.product == product.id).order_by(Sku.id))
            now = utcnow()
            data = GroupActivityIn().load(
                {
                    "title": TITLE,
                    "product_id": product.id,
                    # three quarters of each SKU's price, in whole yuan
                    "prices": {str(s.id): max(100, s.price * 3 // 4 // 100 * 100) for s in skus},
                    "group_size": 2,
                    "time_limit_minutes": 24 * 60,
                    "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
                    "ends_at": (now + dt.timedelta(days=90)).isoformat(),
                }
            )
            activity = service.create_activity(merchant.id, data)
    return [f"groupbuy        {TITLE}: activity {activity.id} (product {activity.product_id})"]
