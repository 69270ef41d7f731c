"""Catalog fixtures for the order tests: a product with two SKUs per merchant."""

from __future__ import annotations

import pytest

from mallkit.core.accounts.service import save_address
from mallkit.core.catalog.service import create_product
from mallkit.core.testing import TEST_ADDRESS as ADDRESS
from mallkit.core.testing import skus_of


def make_product(merchant, name="T恤", prices=(1990, 2990), stocks=(10, 5)):
    base = ["红", "蓝", "绿", "黑", "白"]
    colours = (
        base[: len(prices)] if len(prices) <= len(base) else [f"色{n}" for n in range(len(prices))]
    )
    return create_product(
        merchant.id,
        {
            "name": name,
            "specs": [{"name": "颜色", "values": colours}],
            "skus": [
                {"specs": {"颜色": c}, "price": p, "stock": s}
                for c, p, s in zip(colours, prices, stocks, strict=True)
            ],
        },
    )


@pytest.fixture
def product(merchant):
    return make_product(merchant)


@pytest.fixture
def skus(product):
    return skus_of(product)


@pytest.fixture
def address(buyer):
    return save_address(buyer.user, ADDRESS)


@pytest.fixture
def manual(app, merchant, enable_plugin):
    with enable_plugin("payment_manual", merchant, {"bank_account": "6222 0000 0000"}):
        yield


def pay_manually(merchant, order, ref="m"):
    """Pay an order through the built-in manual channel (enable ``payment_manual`` first)."""
    from mallkit.core.orders.models import Order
    from mallkit.core.payments import service as payments
    from mallkit.core.payments.channel import ChannelPayment

    attempt = payments.start(order, "manual", method="transfer")
    payments.record_payment(
        merchant.id,
        "manual",
        ChannelPayment(attempt.number, "paid", f"{ref}-{order.id}", order.total, "CNY"),
        "staff",
    )
    return Order.get_by_id(order.id)
