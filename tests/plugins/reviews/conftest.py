"""Reviews fixtures: the plugin on for the store, and orders taken to receipt."""

from __future__ import annotations

import types

import pytest

from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.plugins import PluginMeta
from mallkit.core.testing import make_product, pay_order, place_order, skus_of
from mallkit.hookspecs import hookimpl

# A points plugin building on the reviews plugin's own hook (declared through
# register_hookspecs): it gives 10 points per published review, 20 with photos.
points = types.ModuleType("review_points")
points.meta = PluginMeta(name="review_points", version="1.0.0", title="Review points")
points.LEDGER = []


@hookimpl
def on_review_published(review):
    points.LEDGER.append((review.buyer_id, review.id, 20 if review.has_photos else 10))


points.on_review_published = on_review_published

CONFIG = {"tags": ["质量好", "物流快"], "sensitive_words": ["假货"], "auto_positive_days": 15}


@pytest.fixture
def reviews(app, merchant, enable_plugin):
    with enable_plugin("reviews", merchant, CONFIG) as plugin:
        yield plugin


@pytest.fixture
def product(merchant):
    return make_product(merchant, name="保温杯", prices=(12900, 13900), stocks=(100, 100))


def received(buyer, skus):
    """Place, pay, ship and confirm an order of one of each SKU; returns the order."""
    order = pay_order(place_order(buyer, [(sku, 1) for sku in skus]))
    orders.ship(order, Actor("staff"), carrier="SF", tracking_number="SF1")
    order = orders.confirm_receipt(Order.get_by_id(order.id), Actor("buyer", order.buyer_id))
    return Order.get_by_id(order.id)


def lines_of(order):
    return list(order.lines.order_by(OrderLine.id))


@pytest.fixture
def order(reviews, buyer, product):
    return received(buyer, skus_of(product))


def body(line, **overrides):
    return {
        "order_line_id": line.id,
        "rating": 5,
        "service_rating": 4,
        "logistics_rating": 5,
        "text": "很好用",
        **overrides,
    }
