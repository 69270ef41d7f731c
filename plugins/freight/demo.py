"""Demo data: the demo store's freight — a default template by piece (cheaper near Shanghai,
dearer to the far west, free from ¥99 except there, no delivery to 西藏) and a template by
weight that its last product uses. Only ``mallkit demo`` calls it; running it again adds
nothing."""

from __future__ import annotations

from mallkit.core.plugin_api import Product, merchant_plugins
from mallkit.plugins.freight import service
from mallkit.plugins.freight.models import FreightTemplate

NEAR = ["310000", "320000", "330000"]  # 上海, 江苏, 浙江
FAR = ["650000", "630000", "150000"]  # 新疆, 青海, 内蒙古
STANDARD = {
    "name": "标准快递",
    "method": "piece",
    "is_default": True,
    "rows": [
        {
            "regions": NEAR,
            "first_unit": 1,
            "first_price": 600,
            "extra_unit": 1,
            "extra_price": 100,
            "delivery_days": [1, 2],
        },
        {
            "regions": FAR,
            "first_unit": 1,
            "first_price": 2000,
            "extra_unit": 1,
            "extra_price": 1000,
            "delivery_days": [5, 9],
        },
    ],
    "default_row": {
        "first_unit": 1,
        "first_price": 800,
        "extra_unit": 1,
        "extra_price": 200,
        "delivery_days": [2, 4],
    },
    "free": [{"regions": NEAR + ["110000", "440000"], "min_amount": 9900, "min_quantity": None}],
    "undeliverable": ["540000"],  # 西藏
}
HEAVY = {
    "name": "大件按重量",
    "method": "weight",
    "is_default": False,
    "rows": [
        {
            "regions": NEAR,
            "first_unit": 1000,
            "first_price": 800,
            "extra_unit": 500,
            "extra_price": 200,
            "delivery_days": [1, 3],
        },
    ],
    "default_row": {
        "first_unit": 1000,
        "first_price": 1200,
        "extra_unit": 500,
        "extra_price": 400,
        "delivery_days": [3, 5],
    },
    "free": [],
    "undeliverable": ["540000", "650000"],
}


def attach(app, merchant, base_url) -> list[str]:
    if not merchant_plugins(merchant.id).is_enabled("freight"):
        return []
    if not FreightTemplate.select().where(FreightTemplate.merchant_id == merchant.id).exists():
        service.save_template(merchant.id, STANDARD)
        heavy = service.save_template(merchant.id, HEAVY)
        last = (
            Product.select().where(Product.merchant == merchant.id).order_by(Product.id.desc())
        ).first()
        if last is not None:
            service.pick_template(merchant.id, last.id, heavy.id)
    return [
        f"freight         {base_url}/api/v1/merchants/{merchant.id}/freight/templates "
        "(标准快递: ¥8 + ¥2/piece, free from ¥99 near Shanghai, not to 西藏)"
    ]
