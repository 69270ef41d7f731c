"""Bargain fixtures: a SKU, an activity, buyers, and helpers to buy and pay."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.checkout import service as checkout
from mallkit.core.db import utcnow
from mallkit.core.payments import service as payments
from mallkit.core.payments.channel import ChannelPayment
from mallkit.core.testing import make_account
from mallkit.plugins.bargain import service
from tests.core.orders.conftest import ADDRESS, make_product, skus_of


@pytest.fixture
def bg(app, merchant, enable_plugin):
    with enable_plugin("payment_manual", merchant):
        with enable_plugin("bargain", merchant):
            yield


@pytest.fixture
def sku(merchant):
    return skus_of(make_product(merchant, prices=(10000, 2990), stocks=(100, 100)))[0]


def make_activity(merchant, sku, **overrides):
    now = utcnow()
    data = {
        "title": "砍到 1 元",
        "sku_id": sku.id,
        "start_price": 10000,
        "floor_price": 100,
        "helpers_needed": 5,
        "helps_per_user": 1,
        "helps_per_day": 0,
        "bargains_per_user": 1,
        "validity_minutes": 60,
        "initiator_may_cut": False,
        "floor_only": True,
        "allow_discounts": False,
        "starts_at": now - dt.timedelta(hours=1),
        "ends_at": now + dt.timedelta(days=7),
        **overrides,
    }
    return service.create_activity(merchant.id, data)


@pytest.fixture
def activity(bg, merchant, sku):
    return make_activity(merchant, sku)


@pytest.fixture
def people(app):
    counter = iter(range(10_000))

    def make(n):
        return [make_account(email=f"b{next(counter)}@bargain.test").user for _ in range(n)]

    return make


def buy(user, sku, bargain, quantity=1):
    item = {
        "sku_id": sku.id,
        "quantity": quantity,
        "activity": {
            "type": "bargain",
            "id": bargain.activity_id,
            "params": {"bargain_id": bargain.id},
        },
    }
    (order,) = checkout.place(user, {"items": [item], "address": ADDRESS})
    return order


def pay(order):
    attempt = payments.start(order, "manual", method="transfer")
    return payments.record_payment(
        order.merchant_id,
        "manual",
        ChannelPayment(
            attempt.number, "paid", f"bank-{attempt.number}", attempt.amount, order.currency
        ),
        "staff",
    )
