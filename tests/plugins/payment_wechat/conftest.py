"""WeChat Pay against its simulator: the simulator is served on loopback (the plugin reaches
it over real HTTP) and delivers its notifications into the app through the test client."""

from __future__ import annotations

import functools
import secrets
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mallkit.core.checkout import service as checkout
from mallkit.core.simkit import LoopbackServer, allow_gateway
from mallkit.plugins.payment_wechat.service import CHANNEL
from mallkit.plugins.payment_wechat.simulator import WeChatPaySimulator
from tests.core.orders.conftest import ADDRESS, make_product, skus_of  # noqa: F401

MCHID = "1900007291"
APPID = "wxd678efh567hg6787"
SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
APIV3_KEY = "0123456789abcdef0123456789ABCDEF"


@functools.cache
def merchant_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@functools.cache  # parsing an RSA key takes tens of milliseconds; the sim fixtures ask per test
def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def client_sender(app):
    """Deliver the simulator's notifications through the Flask test client."""

    def send(url, headers, body):
        with app.test_client() as c:
            r = c.post(urlsplit(url).path, data=body, headers=headers)
            return r.status_code, r.get_data()

    return send


@pytest.fixture(scope="module")
def simulator_server():
    sim = WeChatPaySimulator()
    server = LoopbackServer(sim)
    sim.public_url = server.url
    yield sim, server
    server.stop()


@pytest.fixture
def sim(app, simulator_server):
    sim, server = simulator_server
    # A slow reply of the previous test may still be served: let it land before the reset.
    assert server.wait_idle(), "the simulator is still serving a request"
    allow_gateway(app, sim.public_url)  # the platform allows its simulator
    sim.transactions.clear()
    sim.refunds.clear()
    sim.api_faults.clear()
    sim.outbox.queue.clear()
    sim.outbox.sender = client_sender(app)
    sim.add_merchant(MCHID, APPID, public_pem(merchant_key_pem()), SERIAL, APIV3_KEY)
    return sim


def wechat_config(sim, **over):
    return {
        "mchid": MCHID,
        "appid": APPID,
        "merchant_serial": SERIAL,
        "private_key": merchant_key_pem(),
        "apiv3_key": APIV3_KEY,
        "wechatpay_public_key_id": sim.public_key_id,
        "wechatpay_public_key": sim.public_key_pem,
        "gateway_url": simulator_url(sim),
        "timeout": 2.0,
        "retries": 2,
        **over,
    }


def simulator_url(sim):
    return sim.public_url


@pytest.fixture
def wechat(app, merchant, enable_plugin, sim):
    CHANNEL.clock = __import__("time").time
    with enable_plugin("payment_wechat", merchant, wechat_config(sim)):
        yield sim


@pytest.fixture
def shop(merchant, buyer):
    from mallkit.core.accounts.service import save_address

    skus = skus_of(make_product(merchant))
    address = save_address(buyer.user, ADDRESS)
    return SimpleNamespace(skus=skus, address=address)


def place(buyer, shop, quantities=(2, 1)):
    items = [{"sku_id": s.id, "quantity": q} for s, q in zip(shop.skus, quantities, strict=False)]
    (order,) = checkout.place(buyer.user, {"items": items, "address_id": shop.address.id})
    return order


def pay(client, buyer, order, method="native", **params):
    return client.post(
        f"/api/v1/orders/{order.id}/payments",
        json={"channel": "wechat", "method": method, "params": params},
        headers={**buyer.headers, "Idempotency-Key": secrets.token_hex(8)},
    )
