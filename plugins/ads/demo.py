"""Demo data: a home banner and a search-top ad for the demo store, and a week of their
impressions and clicks sent through the analytics plugin's event collector (when it is on),
as a storefront would. Only ``mallkit demo`` calls it; running it again adds nothing."""

from __future__ import annotations

import datetime as dt
import random

from mallkit.core.plugin_api import Product, merchant_plugins, utcnow
from mallkit.plugins.ads import service
from mallkit.plugins.ads.models import Creative

CREATIVES = [
    ("home_banner", "双11 爆款直降", 10),
    ("search_top", "搜索推荐：热卖好物", 0),
]


def attach(app, merchant, base_url) -> list[str]:
    if not merchant_plugins(merchant.id).is_enabled(service.PLUGIN):
        return []
    line = f"ads             {base_url}/api/v1/merchants/{merchant.id}/ads/home_banner"
    if Creative.select().where(Creative.merchant_id == merchant.id).exists():
        return [line]
    product = Product.select().where(Product.merchant == merchant.id).order_by(Product.id).first()
    if product is None:
        return []
    start = utcnow() - dt.timedelta(days=8)
    made = [
        service.create(
            merchant.id,
            {
                "placement": placement,
                "title": title,
                "image_url": f"https://picsum.photos/seed/mallkit-{placement}/750/300",
                "link_type": "product",
                "link_target": str(product.id),
                "starts_at": start,
                "priority": priority,
            },
        )
        for placement, title, priority in CREATIVES
    ]
    if merchant_plugins(merchant.id).is_enabled("analytics"):
        _traffic(app, merchant.id, made)
    return [line]


def _traffic(app, merchant_id: int, creatives: list[Creative]) -> None:
    """A week of impressions (and some clicks) through the public collector route."""
    rng = random.Random(16)
    client = app.test_client()
    now = utcnow()
    for back in range(6, -1, -1):  # the last seven days, today's included: the collector
        # takes events up to 7 days old, and 7 days plus some minutes back it refused them
        for device in range(rng.randint(8, 15)):
            at = (now - dt.timedelta(days=back, minutes=rng.randint(0, 600))).isoformat() + "Z"
            events = []
            for c in creatives:
                events.append(
                    {"kind": "ad_impression", "ad_id": c.id, "placement": c.placement, "at": at}
                )
                if rng.random() < 0.12:
                    events.append(
                        {"kind": "ad_click", "ad_id": c.id, "placement": c.placement, "at": at}
                    )
            answer = client.post(
                f"/api/v1/merchants/{merchant_id}/analytics/events",
                json={"device_id": f"demo-ads-{back}-{device:03d}", "events": events},
            )
            if answer.status_code >= 300:  # the demo's data must be whole, not half refused
                raise RuntimeError(f"the demo's ad events were refused: {answer.get_json()}")
