"""Demo data: the demo store's completed order gets a review (with a reply), so the product
page shows a rating summary. Only ``mallkit demo`` calls it; running it again adds nothing."""

from __future__ import annotations

from mallkit.core.plugin_api import Order, OrderLine, configure_plugin, merchant_plugins
from mallkit.plugins.reviews import service
from mallkit.plugins.reviews.models import Review

TAGS = ["质量好", "物流快", "性价比高"]


def attach(app, merchant, base_url) -> list[str]:
    if not merchant_plugins(merchant.id).is_enabled(service.PLUGIN):
        return []
    configure_plugin(merchant, service.PLUGIN, {"tags": TAGS, "sensitive_words": ["假货"]})
    line = (
        OrderLine.select(OrderLine, Order)
        .join(Order)
        .where((Order.merchant == merchant.id) & (Order.status == "completed"))
        .order_by(OrderLine.id)
        .first()
    )
    if line is None:
        return ["reviews         no completed order in the demo store to review"]
    review = Review.get_or_none(Review.order_line_id == line.id)
    if review is None:
        review = service.create(
            merchant.id,
            line.order.buyer_id,
            {
                "order_line_id": line.id,
                "rating": 5,
                "service_rating": 5,
                "logistics_rating": 4 if line.order.shipping_status != "none" else None,
                "text": "面料舒服，尺码标准，会回购。",
                "tags": TAGS[:2],
                "anonymous": False,
            },
        )
        service.reply(merchant.id, review.id, "感谢支持，欢迎再次光临！", None)
    return [
        f"reviews         {base_url}/api/v1/merchants/{merchant.id}/reviews/products/"
        f"{line.product_id} (a review with a reply)"
    ]
