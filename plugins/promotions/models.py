"""Promotion tables: the merchant's promotions and who bought how much under a limited one."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

# 限时折扣, 满减, 满折, 买N送M, 套装, 满赠
TYPES = ("discount", "full_reduction", "full_discount", "buy_n_get_m", "bundle", "gift")
SCOPES = ("all", "products", "skus", "categories", "except")
# the types and scopes named in both languages (the console's selects and cells); a
# promotion's discount is a time-limited price, not the shared 折扣 of a coupon
TYPES_ZH = {
    "discount": "限时折扣",
    "full_reduction": "满减",
    "full_discount": "满折",
    "buy_n_get_m": "买N送M",
    "bundle": "套餐",
    "gift": "满赠",
}
TYPES_EN = {
    "discount": "Time-limited price",
    "full_reduction": "Amount off per tier",
    "full_discount": "Percent off per tier",
    "buy_n_get_m": "Buy N get M",
    "bundle": "Bundle",
    "gift": "Gift with purchase",
}
SCOPES_ZH = {
    "all": "全部商品",
    "products": "指定商品",
    "skus": "指定规格",
    "categories": "指定分类",
    "except": "指定商品不参与",
}
SCOPES_EN = {
    "all": "All products",
    "products": "Selected products",
    "skus": "Selected SKUs",
    "categories": "Selected categories",
    "except": "All but selected products",
}


class Promotion(BaseModel):
    """One promotion with its time window, scope and ``rules`` (shape per ``type``):

    - ``discount``: ``{"rate": 80}`` (pay 80 %) or ``{"price": 990}`` (a special unit price);
      proposed as a ``discount`` price candidate. ``stock`` caps the units sold at that price
      (0: no cap; ``sold`` counts them), ``per_user`` the units one buyer may have (0: none).
    - ``full_reduction``: ``{"tiers": [{"threshold": 30000, "amount": 5000}, ...]}`` (满减).
    - ``full_discount``: ``{"tiers": [{"threshold": 30000, "rate": 90}, ...]}`` (满折).
    - ``buy_n_get_m``: ``{"buy": 2, "free": 1}`` — the cheapest units of each set are free.
    - ``bundle``: ``{"sku_ids": [...], "price": 9900}`` — each complete set at the price.
    - ``gift``: ``{"threshold": 20000, "sku_id": 7, "quantity": 1}`` (满赠) — a gift line at
      zero price once the covered lines reach the threshold, while the SKU has the stock.
    """

    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    type = pw.CharField(max_length=16)
    status = pw.CharField(max_length=16, default="active")  # active | stopped
    priority = pw.IntegerField(default=0)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField()
    scope = pw.CharField(max_length=16, default="all")
    scope_ids = JSONField(default=list)
    rules = JSONField(default=dict)
    stock = pw.IntegerField(default=0)
    sold = pw.IntegerField(default=0)
    per_user = pw.IntegerField(default=0)
    # Only buyers in this segment (``buyer_in_segment``: the membership plugin) get it.
    segment_id = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "promotion"
        indexes = ((("merchant_id", "status", "ends_at"), False),)


class PromotionUsage(BaseModel):
    """Units one order bought under a limited promotion (removed when the order is cancelled)."""

    promotion = pw.ForeignKeyField(Promotion, backref="usages", on_delete="CASCADE")
    user_id = pw.IntegerField()
    order_id = pw.IntegerField(index=True)
    quantity = pw.IntegerField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "promotion_usage"
        indexes = ((("promotion", "user_id"), False),)
