"""Alipay against its simulator, served on loopback; notifications come in through the test
client."""

from __future__ import annotations

import secrets

import pytest

from mallkit.core.simkit import LoopbackServer, allow_gateway
from mallkit.plugins.payment_alipay.simulator import AlipaySimulator
from tests.plugins.payment_wechat.conftest import (  # noqa: F401
    client_sender,
    merchant_key_pem,
    place,
    public_pem,
    shop,
)

APP_ID = "2021000117600000"
SELLER_ID = "2088102177296610"


@pytest.fixture(scope="module")
def alipay_server():
    sim = AlipaySimulator()
    server = LoopbackServer(sim)
    sim.public_url = server.url
    yield sim, server
    server.stop()


@pytest.fixture
def sim(app, alipay_server):
    sim, server = alipay_server
    # A slow reply of the previous test may still be served: let it land before the reset.
    assert server.wait_idle(), "the simulator is still serving a request"
    allow_gateway(app, sim.public_url)  # the platform allows its simulator
    sim.trades.clear()
    sim.refunds.clear()
    sim.api_faults.clear()
    sim.requests.clear()
    sim.outbox.queue.clear()
    sim.outbox.sender = client_sender(app)
    sim.add_app(APP_ID, public_pem(merchant_key_pem()), SELLER_ID)
    return sim


def alipay_config(sim, **over):
    return {
        "app_id": APP_ID,
        "app_private_key": merchant_key_pem(),
        "alipay_public_key": sim.public_key_pem,
        "seller_id": SELLER_ID,
        "gateway_url": sim.public_url + "/gateway.do",
        "return_url": "https://shop.example.com/paid",
        "timeout": 2.0,
        "retries": 2,
        **over,
    }


@pytest.fixture
def alipay(app, merchant, enable_plugin, sim):
    with enable_plugin("payment_alipay", merchant, alipay_config(sim)):
        yield sim


def pay(client, buyer, order, method="precreate", **params):
    return client.post(
        f"/api/v1/orders/{order.id}/payments",
        json={"channel": "alipay", "method": method, "params": params},
        headers={**buyer.headers, "Idempotency-Key": secrets.token_hex(8)},
    )
