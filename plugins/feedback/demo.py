"""Demo data: the buyer of the demo store's received order sent the store a suggestion, and
the store answered it. Only ``mallkit demo`` calls it; running it again adds nothing."""

from __future__ import annotations

from mallkit.core.plugin_api import Order, merchant_plugins
from mallkit.plugins.feedback import service
from mallkit.plugins.feedback.models import Feedback


def attach(app, merchant, base_url) -> list[str]:
    if not merchant_plugins(merchant.id).is_enabled("feedback"):
        return []
    order = Order.select().where(Order.merchant == merchant.id).order_by(Order.id).first()
    if order is None:
        return []
    if not Feedback.select().where(Feedback.merchant_id == merchant.id).exists():
        sent = service.send(
            merchant.id,
            order.buyer_id,
            {"category": "logistics", "text": "希望支持晚上配送。", "photos": [], "contact": ""},
        )
        service.tag(merchant.id, sent.id, ["配送"])
        service.answer(merchant.id, sent.id, "收到，我们正在和快递公司商量晚间时段。", None)
    return [
        f"feedback        staff see it at {base_url}/api/v1/merchants/{merchant.id}/feedback/manage"
    ]
