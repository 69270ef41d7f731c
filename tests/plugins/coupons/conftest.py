"""Fixtures for the coupon tests: a product in two categories, an address, coupons enabled."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.accounts.service import save_address
from mallkit.core.catalog.models import Category, Product
from mallkit.core.checkout import service as checkout
from mallkit.core.db import utcnow
from mallkit.plugins.coupons import service
from tests.core.orders.conftest import ADDRESS, make_product, skus_of

DAY = dt.timedelta(days=1)


def template(merchant, **fields):
    """A coupon template: 满 100 减 20, valid for a week, 100 of them, one per user."""
    data = {
        "name": "满100减20",
        "type": "full_reduction",
        "threshold": 10000,
        "amount": 2000,
        "total": 100,
        "starts_at": utcnow() - DAY,
        "ends_at": utcnow() + 7 * DAY,
        **fields,
    }
    return service.create_template(merchant.id, data)


def place(buyer, address, items, merchant=None, coupon_ids=None):
    data = {
        "items": [{"sku_id": s.id, "quantity": q} for s, q in items],
        "address_id": address.id,
    }
    if coupon_ids is not None:
        data["merchants"] = [{"merchant_id": merchant.id, "coupon_ids": coupon_ids}]
    return checkout.place(buyer.user, data)[0]


def preview(buyer, items, merchant=None, coupon_ids=None):
    data = {"items": [{"sku_id": s.id, "quantity": q} for s, q in items]}
    if coupon_ids is not None:
        data["merchants"] = [{"merchant_id": merchant.id, "coupon_ids": coupon_ids}]
    return checkout.preview(buyer.user, data)["merchants"][0]


@pytest.fixture
def address(buyer):
    return save_address(buyer.user, ADDRESS)


@pytest.fixture
def categories(merchant):
    return [
        Category.create(merchant=merchant.id, name="衣服", path="/"),
        Category.create(merchant=merchant.id, name="杯子", path="/"),
    ]


@pytest.fixture
def shirt(merchant, categories):
    """T恤 in category 0: SKUs at ¥60.00 and ¥45.00, 50 each."""
    product = make_product(merchant, "T恤", prices=(6000, 4500), stocks=(50, 50))
    Product.update(category=categories[0].id).where(Product.id == product.id).execute()
    return skus_of(product)


@pytest.fixture
def mug(merchant, categories):
    """杯子 in category 1: one SKU at ¥33.33, 50 in stock."""
    product = make_product(merchant, "杯子", prices=(3333,), stocks=(50,))
    Product.update(category=categories[1].id).where(Product.id == product.id).execute()
    return skus_of(product)


@pytest.fixture
def coupons_on(app, merchant, enable_plugin):
    with enable_plugin("coupons", merchant, {}):
        yield
