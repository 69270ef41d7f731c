"""Group-buy fixtures: a product, an activity, buyers, and helpers to buy and pay."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from mallkit.core.checkout import service as checkout
from mallkit.core.db import utcnow
from mallkit.core.payments import service as payments
from mallkit.core.payments.channel import ChannelPayment
from mallkit.core.plugins import PluginMeta
from mallkit.core.testing import make_account
from mallkit.hookspecs import hookimpl
from mallkit.plugins.groupbuy import service
from tests.core.orders.conftest import ADDRESS, make_product, skus_of

GROUP_PRICE = 990


# A plugin building on groupbuy's own hooks (declared through register_hookspecs).
listener = types.ModuleType("groupbuy_listener")
listener.meta = PluginMeta(name="groupbuy_listener", version="1.0.0", title="Listener")
listener.EVENTS = []


@hookimpl
def on_group_succeeded(group, members):
    listener.EVENTS.append(("succeeded", group.id, sorted(m.order_id for m in members)))


@hookimpl
def on_group_failed(group, members):
    listener.EVENTS.append(("failed", group.id, sorted(m.order_id for m in members)))


listener.on_group_succeeded = on_group_succeeded
listener.on_group_failed = on_group_failed


@pytest.fixture
def gb(app, merchant, enable_plugin):
    listener.EVENTS.clear()
    with enable_plugin("payment_manual", merchant):
        with enable_plugin("groupbuy", merchant):
            with enable_plugin(listener, merchant):
                yield listener


@pytest.fixture
def sku(merchant):
    return skus_of(make_product(merchant, prices=(1990, 2990), stocks=(500, 500)))[0]


def make_activity(merchant, sku, **overrides):
    now = utcnow()
    data = {
        "title": "三人团",
        "product_id": sku.product_id,
        "prices": {str(sku.id): GROUP_PRICE},
        "group_size": 3,
        "time_limit_minutes": 60,
        "starts_at": now - dt.timedelta(hours=1),
        "ends_at": now + dt.timedelta(days=7),
        "per_user_limit": 0,
        "per_order_limit": 1,
        "simulate_success": False,
        "success_threshold": 0,
        "stock": None,
        "allow_discounts": False,
        **overrides,
    }
    return service.create_activity(merchant.id, data)


@pytest.fixture
def activity(gb, merchant, sku):
    return make_activity(merchant, sku)


@pytest.fixture
def people(app):
    """``people(n)``: n fresh buyers."""
    counter = iter(range(10_000))

    def make(n):
        return [make_account(email=f"p{next(counter)}@gb.test").user for _ in range(n)]

    return make


def item(sku, activity, quantity=1, **params):
    return {
        "sku_id": sku.id,
        "quantity": quantity,
        "activity": {"type": "groupbuy", "id": activity.id, "params": params},
    }


def buy(user, sku, activity, quantity=1, **params):
    (order,) = checkout.place(
        user, {"items": [item(sku, activity, quantity, **params)], "address": ADDRESS}
    )
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
