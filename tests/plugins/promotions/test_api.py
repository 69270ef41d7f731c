"""Promotion endpoints: the storefront listing, the staff desk, permissions, bad input."""

from __future__ import annotations

import pytest

from mallkit.plugins.promotions.models import Promotion, PromotionUsage
from tests.core.orders.conftest import make_product, skus_of


@pytest.fixture
def both_on(app, merchant, other_merchant, enable_plugin):
    with enable_plugin("promotions", merchant, {}), enable_plugin("promotions", other_merchant, {}):
        yield


WINDOW = {"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"}


def body(type, rules, **extra):
    return {"name": type, "type": type, "rules": rules, **WINDOW, **extra}


def test_staff_create_each_type_and_the_product_page_lists_them(
    client, merchant, owner, shirt, mug, both_on
):
    base = f"/api/v1/merchants/{merchant.id}/promotions"
    created = []
    for b in (
        body(
            "discount",
            {"rate": 85},
            scope="products",
            scope_ids=[shirt[0].product_id],
            stock=100,
            per_user=2,
        ),
        body(
            "full_reduction",
            {
                "tiers": [
                    {"threshold": 30000, "amount": 5000},
                    {"threshold": 50000, "amount": 10000},
                ]
            },
        ),
        body("full_discount", {"tiers": [{"threshold": 20000, "rate": 90}]}),
        body("buy_n_get_m", {"buy": 2, "free": 1}, scope="skus", scope_ids=[mug[0].id]),
        body("bundle", {"sku_ids": [shirt[0].id, mug[0].id], "price": 8000}),
        body("gift", {"threshold": 10000, "sku_id": mug[0].id, "quantity": 1}),
    ):
        r = client.post(base, json=b, headers=owner.headers)
        assert r.status_code == 201, (b, r.json)
        created.append(r.json)
    assert [c["summary"] for c in created] == [
        "8.5折",
        "满¥300.00减¥50.00, 满¥500.00减¥100.00",
        "满¥200.00打9折",
        "买2送1",
        "套装价¥80.00",
        "满¥100.00赠1件",
    ]
    page = client.get(f"/api/v1/merchants/{merchant.id}/products/{shirt[0].product_id}/promotions")
    assert [p["type"] for p in page.json] == [
        "discount",
        "full_reduction",
        "full_discount",
        "bundle",
        "gift",
    ]
    r = client.patch(
        f"{base}/{created[0]['id']}", json={"rules": {"price": 4999}}, headers=owner.headers
    )
    assert r.status_code == 200 and r.json["summary"] == "特价¥49.99"
    assert client.delete(f"{base}/{created[1]['id']}", headers=owner.headers).status_code == 204
    assert Promotion.get_by_id(created[1]["id"]).status == "stopped"
    listed = client.get(f"{base}?status=active", headers=owner.headers).json
    assert len(listed) == 5


def test_who_may_and_bad_input_writes_nothing(
    client, merchant, other_merchant, owner, buyer, shirt, both_on
):
    base = f"/api/v1/merchants/{merchant.id}/promotions"
    good = body("full_reduction", {"tiers": [{"threshold": 30000, "amount": 5000}]})
    mine = client.post(base, json=good, headers=owner.headers).json
    theirs_sku = skus_of(make_product(other_merchant, "杯子", prices=(500,), stocks=(3,)))[0]
    other_base = f"/api/v1/merchants/{other_merchant.id}/promotions"
    assert client.post(base, json=good, headers=buyer.headers).status_code == 403
    assert client.get(base, headers=buyer.headers).status_code == 403
    assert client.post(base, json=good).status_code == 401
    assert client.get(other_base, headers=owner.headers).status_code == 403
    other_owner = other_merchant.owner_account
    r = client.get(f"{other_base}/{mine['id']}", headers=other_owner.headers)
    assert r.status_code == 404
    r = client.patch(f"{other_base}/{mine['id']}", json={"name": "x"}, headers=other_owner.headers)
    assert r.status_code == 404
    before = (Promotion.select().count(), PromotionUsage.select().count())
    bad = [
        body("nope", {}),
        body("discount", {"rate": 100}),
        body("discount", {"rate": 80, "price": 100}),
        body("discount", {}),
        body("full_reduction", {"tiers": []}),
        body("full_reduction", {"tiers": [{"threshold": 100, "amount": 100}]}),
        body(
            "full_reduction",
            {"tiers": [{"threshold": 500, "amount": 10}, {"threshold": 400, "amount": 20}]},
        ),
        body("full_discount", {"tiers": [{"threshold": 500, "rate": 0}]}),
        body("buy_n_get_m", {"buy": 0, "free": 1}),
        body("buy_n_get_m", {"buy": 2, "free": 1}, stock=5),
        body("bundle", {"sku_ids": [shirt[0].id], "price": 100}),
        body("bundle", {"sku_ids": [shirt[0].id, theirs_sku.id], "price": 100}),
        body("gift", {"threshold": 100, "sku_id": theirs_sku.id, "quantity": 1}),
        body("gift", {"threshold": 100, "sku_id": shirt[0].id, "quantity": 0}),
        body("discount", {"rate": 80}, scope="products"),
        {**body("discount", {"rate": 80}), "ends_at": "2019-01-01T00:00:00Z"},
        {**body("discount", {"rate": 80}), "rules": "x"},
        {**body("discount", {"rate": 80}), "sold": 5},
    ]
    for b in bad:
        r = client.post(base, json=b, headers=owner.headers)
        assert r.status_code == 422, b
        assert set(r.json) == {"code", "status", "message", "errors"}
    r = client.patch(f"{base}/{mine['id']}", json={"rules": {"tiers": "x"}}, headers=owner.headers)
    assert r.status_code == 422
    r = client.patch(
        f"{base}/{mine['id']}", json={"ends_at": "2000-01-01T00:00:00Z"}, headers=owner.headers
    )
    assert r.status_code == 422
    assert (Promotion.select().count(), PromotionUsage.select().count()) == before
    assert Promotion.get_by_id(mine["id"]).rules == good["rules"]
    r = client.get(f"/api/v1/merchants/{merchant.id}/products/999999/promotions")
    assert r.status_code == 404


def test_a_scope_naming_another_stores_products_is_refused(
    client, merchant, other_merchant, owner, shirt, both_on
):
    from mallkit.core.testing import make_product, skus_of

    theirs = make_product(other_merchant, "别家商品")
    base = f"/api/v1/merchants/{merchant.id}/promotions"
    for scope, ids in (("products", [theirs.id]), ("skus", [skus_of(theirs)[0].id])):
        r = client.post(
            base,
            json=body("discount", {"rate": 85}, scope=scope, scope_ids=ids),
            headers=owner.headers,
        )
        assert r.status_code == 422 and "scope_ids" in r.json["errors"], r.json
    ok = body("discount", {"rate": 85}, scope="products", scope_ids=[shirt[0].product_id])
    assert client.post(base, json=ok, headers=owner.headers).status_code == 201
