"""``mallkit demo`` gives the storefront something to try: a running group buy, a bargain and
coupons to claim — once, however often the demo starts."""

from __future__ import annotations

from mallkit.core.cli import demo_store as demo


def test_the_demo_store_runs_a_group_buy_a_bargain_and_offers_coupons(app, client):
    for _ in range(2):  # a second start adds nothing
        banner = demo.attach_services(app, "http://127.0.0.1:8000", demo.seed(app))
    for plugin in ("groupbuy", "bargain", "coupons"):
        assert any(line.startswith(plugin) for line in banner), banner
    mid = client.get("/api/v1/products").json[0]["merchant_id"]
    groups = client.get(f"/api/v1/merchants/{mid}/groupbuy/activities").json
    assert [a["title"] for a in groups] == ["两人拼团 · 限时特惠"] and groups[0]["group_size"] == 2
    product = client.get(f"/api/v1/products/{groups[0]['product_id']}").json
    for sku in product["skus"]:
        assert 0 < groups[0]["prices"][str(sku["id"])] < sku["price"]
    bargains = client.get(f"/api/v1/merchants/{mid}/bargain/activities").json
    assert [(a["floor_price"], a["helpers_needed"]) for a in bargains] == [(990, 3)]
    centre = client.get(f"/api/v1/merchants/{mid}/coupon-centre").json
    assert sorted(t["name"] for t in centre) == ["无门槛 5 元券", "满 150 减 20"]
