"""Ads tables: the store's creatives, each shown in one placement.

A creative is served while it is enabled and inside its schedule; targeting (buyer segments,
member levels, regions) narrows who sees it — an empty list means everyone. Impressions and
clicks are not counted here: the storefront sends them to the analytics plugin's event
collector (``ad_impression`` / ``ad_click`` with the creative's id), whose reports show CTR.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

PLACEMENTS = {
    "home_banner": "首页轮播",
    "list_slot": "列表页广告位",
    "product_detail": "商品详情页广告位",
    "search_top": "搜索结果顶部",
}
PLACEMENTS_EN = {
    "home_banner": "Home banner",
    "list_slot": "List slot",
    "product_detail": "Product page",
    "search_top": "Top of search results",
}
LINK_TYPES = ("product", "category", "url")
# where a tap leads, named in both languages (the console's selects and cells)
LINK_TYPES_ZH = {"product": "商品", "category": "分类", "url": "网页链接"}
LINK_TYPES_EN = {"product": "Product", "category": "Category", "url": "Web page"}


class Creative(BaseModel):
    """One ad: an image and a link (a product, a category or a URL) in one placement."""

    merchant_id = pw.IntegerField()
    placement = pw.CharField(max_length=32)
    title = pw.CharField(max_length=100)
    image_url = pw.CharField(max_length=500)
    link_type = pw.CharField(max_length=16)
    link_target = pw.CharField(max_length=500)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField(null=True)
    priority = pw.IntegerField(default=0)
    enabled = pw.BooleanField(default=True)
    segments = JSONField(default=list)
    levels = JSONField(default=list)
    regions = JSONField(default=list)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "ads_creative"
        indexes = ((("merchant_id", "placement", "enabled"), False),)


MODELS = [Creative]
