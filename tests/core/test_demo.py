"""The demo data carries a buyer from cart to completed order through the API, as the README
walks through it."""

from __future__ import annotations

from mallkit.core.cli import demo_store as demo
from mallkit.core.simkit import LoopbackServer


def login(client, email, password):
    r = client.post("/api/v1/auth/login", json={"login": email, "password": password})
    assert r.status_code == 200, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def test_demo_walkthrough(app, client):
    lines = demo.seed(app)
    assert demo.seed(app)[:3] == lines[:3]  # running it again changes nothing
    buyer = login(client, *demo.BUYER)
    owner = login(client, *demo.OWNER)
    products = client.get("/api/v1/products").json
    assert len(products) == 3
    detail = client.get(f"/api/v1/products/{products[0]['id']}").json
    sku_id = detail["skus"][0]["id"]
    assert (
        client.post(
            "/api/v1/cart/lines", json={"sku_id": sku_id, "quantity": 2}, headers=buyer
        ).status_code
        == 200
    )
    address_id = client.get("/api/v1/me/addresses", headers=buyer).json[0]["id"]
    preview = client.post(
        "/api/v1/checkout/preview", json={"address_id": address_id}, headers=buyer
    ).json
    assert "manual" in [c["code"] for c in preview["merchants"][0]["payment_channels"]]
    (order,) = client.post(
        "/api/v1/checkout/place",
        json={"address_id": address_id},
        headers={**buyer, "Idempotency-Key": "demo-1"},
    ).json
    r = client.post(
        f"/api/v1/orders/{order['id']}/payments",
        json={"channel": "manual", "method": "transfer"},
        headers=buyer,
    )
    assert r.status_code == 201
    assert "6214 8300" in str(r.json), r.json  # the transfer instructions name an account
    mid = order["merchant_id"]
    r = client.post(
        f"/api/v1/merchants/{mid}/orders/{order['id']}/manual-payment",
        json={"reference": "BANK-20261122", "amount": order["total"]},
        headers=owner,
    )
    assert r.json["status"] == "paid"
    r = client.post(
        f"/api/v1/merchants/{mid}/orders/{order['id']}/ship",
        json={"carrier": "SF", "tracking_number": "SF1000000001"},
        headers=owner,
    )
    assert r.json["status"] == "shipped"
    r = client.post(f"/api/v1/orders/{order['id']}/confirm", headers=buyer)
    assert r.json["status"] == "completed"


def test_demo_has_a_completed_order_with_an_open_after_sale_case(app, client):
    demo.seed(app)
    server = LoopbackServer(app)
    try:
        lines = demo.attach_services(app, server.url, [])
        assert demo.attach_services(app, server.url, []) == lines  # again: nothing new
    finally:
        server.stop()
    buyer = login(client, *demo.BUYER)
    orders = client.get("/api/v1/orders", headers=buyer).json
    assert [o["status"] for o in orders] == ["completed"]
    mid = orders[0]["merchant_id"]
    cases = client.get(f"/api/v1/merchants/{mid}/aftersales/cases", headers=buyer).json
    assert [(c["order_id"], c["type"], c["status"]) for c in cases] == [
        (orders[0]["id"], "return_refund", "applied")
    ]
    assert any(line.startswith("aftersales") and cases[0]["number"] in line for line in lines)


def test_the_demo_leaves_example_plugins_off(app):
    from mallkit.core.accounts.merchants.models import Merchant

    lines = demo.seed(app)
    host = app.extensions["mallkit"].plugins
    assert host.plugins["hello"].meta.category == "example"  # installed by the test command
    merchant = Merchant.get(Merchant.name == demo.STORE)
    enabled = host.for_merchant(merchant.id).enabled
    assert "hello" not in enabled and "payment_manual" in enabled
    assert any(line.startswith("plugin hello (example) left off") for line in lines)
