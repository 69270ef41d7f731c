"""``mallkit demo``: coupons to claim in the demo store's coupon centre (created once; later
runs find them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mallkit.core.plugin_api import utcnow
from mallkit.plugins.coupons import service
from mallkit.plugins.coupons.models import CouponTemplate
from mallkit.plugins.coupons.schemas import TemplateIn

TEMPLATES = (
    {"name": "无门槛 5 元券", "type": "no_threshold", "amount": 500},
    {"name": "满 150 减 20", "type": "full_reduction", "threshold": 15000, "amount": 2000},
)


def attach(app: Any, merchant: Any) -> list[str]:
    made = []
    with app.app_context():
        now = utcnow()
        for template in TEMPLATES:
            found = CouponTemplate.get_or_none(
                (CouponTemplate.merchant_id == merchant.id)
                & (CouponTemplate.name == template["name"])
            )
            if found is None:
                data = TemplateIn().load(
                    {
                        **template,
                        "total": 10000,
                        "validity": "fixed",
                        "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
                        "ends_at": (now + dt.timedelta(days=90)).isoformat(),
                    }
                )
                found = service.create_template(merchant.id, data)
            made.append(found.name)
    return [f"coupons         in the coupon centre: {', '.join(made)}"]
