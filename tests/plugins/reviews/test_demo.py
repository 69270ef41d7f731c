"""The demo store's received order carries a review with the store's reply."""

from __future__ import annotations

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.cli import demo_store as demo
from mallkit.plugins.reviews.models import ProductRating, Review


def test_the_demo_has_a_completed_order_with_a_review(app, client):
    demo.seed(app)
    lines = demo.attach_services(app, "http://127.0.0.1:5000", [])
    merchant = Merchant.get(Merchant.name == demo.STORE)
    (review,) = Review.select()
    assert review.merchant_id == merchant.id and review.reply and not review.auto
    assert any(line.startswith("reviews") for line in lines), lines
    r = client.get(f"/api/v1/merchants/{merchant.id}/reviews/products/{review.product_id}")
    assert [x["reply"] for x in r.json] == ["感谢支持，欢迎再次光临！"]

    demo.seed(app)
    demo.attach_services(app, "http://127.0.0.1:5000", [])
    assert Review.select().count() == 1 and ProductRating.get().count == 1
