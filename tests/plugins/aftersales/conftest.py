"""After-sale fixtures: a store with aftersales and the manual channel on, a product, and
orders paid, shipped or completed through the core's services."""

from __future__ import annotations

import types

import pytest

from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.plugins import PluginMeta
from mallkit.core.testing import make_product, pay_order, place_order, skus_of
from mallkit.hookspecs import hookimpl

RETURN_ADDRESS = {
    "recipient": "售后部",
    "phone": "021-00000000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "张江路 1 号",
}
CONFIG = {"return_address": RETURN_ADDRESS}

# A plugin reacting to refunds and to the aftersales plugin's own hooks, as points,
# commission or a CRM would, without aftersales knowing it.
listener = types.ModuleType("aftersales_listener")
listener.meta = PluginMeta(name="aftersales_listener", version="1.0.0", title="Listener")
listener.EVENTS = []


@hookimpl
def on_order_refunded(order, refund, lines, full):
    listener.EVENTS.append(
        (
            "refunded",
            order.id,
            [(x["order_line_id"], x["quantity"], x["amount"]) for x in lines],
            full,
        )
    )


@hookimpl(optionalhook=True)
def on_aftersale_approved(case, order):
    listener.EVENTS.append(("approved", case.id, case.decided_by))


@hookimpl(optionalhook=True)
def on_aftersale_completed(case, order, refund):
    listener.EVENTS.append(("completed", case.id, refund.id if refund else None))


@hookimpl(optionalhook=True)
def on_aftersale_closed(case, order):
    listener.EVENTS.append(("closed", case.id, case.status))


listener.on_order_refunded = on_order_refunded
listener.on_aftersale_approved = on_aftersale_approved
listener.on_aftersale_completed = on_aftersale_completed
listener.on_aftersale_closed = on_aftersale_closed


@pytest.fixture
def store(app, merchant, enable_plugin):
    """The merchant with payment_manual and aftersales (with a return address) on."""
    with enable_plugin("payment_manual", merchant, {"bank_account": "TEST 0000"}):
        with enable_plugin("aftersales", merchant, CONFIG):
            yield merchant


@pytest.fixture
def events(app, store, enable_plugin):
    listener.EVENTS.clear()
    with enable_plugin(listener, store):
        yield listener.EVENTS


@pytest.fixture
def sku(merchant):
    return skus_of(make_product(merchant, prices=(1000, 2500), stocks=(50, 50)))[0]


def paid(buyer, items) -> Order:
    return pay_order(place_order(buyer, items))


def shipped(order: Order) -> Order:
    orders.ship(Order.get_by_id(order.id), Actor("staff"), carrier="SF", tracking_number="SF1")
    return Order.get_by_id(order.id)


def completed(order: Order) -> Order:
    order = shipped(order)
    return orders.confirm_receipt(order, Actor("buyer", order.buyer_id))


def lines_of(order: Order) -> list[OrderLine]:
    return list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))


def application(line, kind="refund", quantity=1, **extra):
    return {
        "order_line_id": line.id,
        "type": kind,
        "quantity": quantity,
        "reason": "商品质量问题",
        "description": "broken",
        **extra,
    }
