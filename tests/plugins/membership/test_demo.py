"""The demo store's gold member pays an order with balance, as the README walks through."""

from __future__ import annotations

from mallkit.core.cli import demo_store as demo


def login(client, email, password):
    r = client.post("/api/v1/auth/login", json={"login": email, "password": password})
    assert r.status_code == 200, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def test_the_demo_buyer_is_a_gold_member_and_pays_with_balance(app, client):
    banner = demo.attach_services(app, "http://127.0.0.1:8000", demo.seed(app))
    assert any(line.startswith("membership") for line in banner)
    demo.attach_services(app, "http://127.0.0.1:8000", banner)  # a second run adds nothing
    buyer = login(client, *demo.BUYER)
    mid = client.get("/api/v1/products").json[0]["merchant_id"]
    me = client.get(f"/api/v1/merchants/{mid}/membership/me", headers=buyer).json
    assert (me["level"]["name"], me["balance"]) == ("金卡会员", 50000)
    # 2000 demo points, plus what the demo orders of other plugins (reviews) earned
    assert me["points"] >= 2000
    ledger = client.get(f"/api/v1/merchants/{mid}/membership/me/points", headers=buyer).json
    assert [e["delta"] for e in ledger if e["kind"] == "adjust"] == [2000]
    packages = client.get(f"/api/v1/merchants/{mid}/membership/recharge-packages").json
    assert [(p["amount"], p["bonus"]) for p in packages] == [(10000, 2000)]

    product = client.get("/api/v1/products").json[0]
    sku = client.get(f"/api/v1/products/{product['id']}").json["skus"][0]
    sku_id = sku["id"]
    client.post("/api/v1/cart/lines", json={"sku_id": sku_id, "quantity": 1}, headers=buyer)
    address_id = client.get("/api/v1/me/addresses", headers=buyer).json[0]["id"]
    (order,) = client.post(
        "/api/v1/checkout/place",
        json={"address_id": address_id},
        headers={**buyer, "Idempotency-Key": "balance-order"},
    ).json
    assert order["total"] == (sku["price"] * 95 + 50) // 100  # 金卡: 5 % off, free delivery
    r = client.post(
        f"/api/v1/orders/{order['id']}/payments", json={"channel": "balance"}, headers=buyer
    )
    assert r.status_code == 201, r.json
    assert client.get(f"/api/v1/orders/{order['id']}", headers=buyer).json["status"] == "paid"
    me = client.get(f"/api/v1/merchants/{mid}/membership/me", headers=buyer).json
    assert me["balance"] == 50000 - order["total"]
    history = client.get(f"/api/v1/merchants/{mid}/membership/me/balance", headers=buyer).json
    assert [e["kind"] for e in history][:2] == ["pay", "adjust"]
