"""``mallkit demo``'s wiring: both simulators mounted under the demo server, the demo store's
WeChat Pay and Alipay configured against them, and a demo order paid end to end over real
HTTP (cashier page → signed notification → paid)."""

from __future__ import annotations

import time
import urllib.request

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import Address, User
from mallkit.core.catalog.models import Sku
from mallkit.core.checkout import service as checkout
from mallkit.core.cli import demo_store as demo
from mallkit.core.orders.models import Order
from mallkit.core.simkit import LoopbackServer


def login(client, email, password):
    r = client.post("/api/v1/auth/login", json={"login": email, "password": password})
    return {"Authorization": f"Bearer {r.json['token']}"}


def wait_for(predicate, seconds=20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_demo_pays_with_wechat_and_alipay_against_the_simulators(app, client):
    demo.seed(app)
    server = LoopbackServer(app)
    try:
        banner = ["buyer ...", "plugin payment_wechat left off: invalid configuration"]
        lines = demo.attach_services(app, server.url, banner)
        # the "left off" note is replaced by what each payment plugin says (other plugins
        # add their own lines)
        assert lines[0] == "buyer ..." and not any("left off" in line for line in lines), lines
        for plugin in ("payment_wechat", "payment_alipay"):
            assert any(line.startswith(plugin) and "simulator" in line for line in lines), lines
        merchant = Merchant.get(Merchant.name == demo.STORE)
        buyer = User.get(User.email == demo.BUYER[0])
        headers = login(client, *demo.BUYER)
        sku = Sku.select().order_by(Sku.id).first()
        address = Address.get(Address.user == buyer.id)
        for channel, method, link in (
            ("wechat", "native", "code_url"),
            ("alipay", "precreate", "qr_code"),
        ):
            (order,) = checkout.place(
                buyer, {"items": [{"sku_id": sku.id, "quantity": 1}], "address_id": address.id}
            )
            assert order.merchant_id == merchant.id
            r = client.post(
                f"/api/v1/orders/{order.id}/payments",
                json={"channel": channel, "method": method},
                headers=headers,
            )
            assert r.status_code == 201, r.json
            cashier = r.json["channel_data"][link]
            assert cashier.startswith(server.url + "/_sim/")
            page = urllib.request.urlopen(cashier, timeout=5).read().decode()
            assert "Pay" in page
            urllib.request.urlopen(
                urllib.request.Request(cashier, data=b"", method="POST"), timeout=5
            ).read()
            assert wait_for(lambda o=order: Order.get_by_id(o.id).status == "paid"), channel
    finally:
        server.stop()
