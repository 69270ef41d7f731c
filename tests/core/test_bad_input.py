"""Bad input is a 4xx with the standard error body, never a server error: integers beyond
the database's columns in paths, queries and bodies, fractions where whole numbers belong,
deeply nested JSON, empty PATCHes."""

from __future__ import annotations

import pytest

from mallkit.core.orders.models import Order
from mallkit.core.testing import make_product, skus_of

HUGE = 2**63


def assert_error(r, *statuses):
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:300])
    assert {"code", "status", "message", "errors"} <= set(r.json)


def test_huge_ids_in_paths_are_404(client, merchant, owner):
    for path in (
        f"/api/v1/merchants/{HUGE}/products",
        f"/api/v1/merchants/{merchant.id}/products/{HUGE}",
        f"/api/v1/orders/{10**30}",
        f"/api/v1/stores/{2**31}",
    ):
        assert_error(client.get(path, headers=owner.headers), 404)


def test_huge_integers_in_queries_and_bodies_are_field_errors(client, merchant, owner, buyer):
    sku = skus_of(make_product(merchant))[0]
    r = client.get(f"/api/v1/products?page={HUGE}")
    assert_error(r, 400, 422)
    r = client.get("/api/v1/products?page=99999999&page_size=100")
    assert_error(r, 422)
    r = client.post(
        "/api/v1/cart/lines", json={"sku_id": HUGE, "quantity": 1}, headers=buyer.headers
    )
    assert_error(r, 422)
    r = client.post(
        "/api/v1/cart/lines", json={"sku_id": sku.id, "quantity": HUGE}, headers=buyer.headers
    )
    assert_error(r, 422)
    assert "quantity" in r.json["errors"]


@pytest.mark.parametrize("quantity", [1.5, "1.5", True, "1e3"])
def test_a_fraction_is_not_cut_to_a_whole_number(client, merchant, buyer, quantity):
    sku = skus_of(make_product(merchant))[0]
    r = client.post(
        "/api/v1/cart/lines", json={"sku_id": sku.id, "quantity": quantity}, headers=buyer.headers
    )
    assert_error(r, 422)
    assert "quantity" in r.json["errors"]


def test_json_nested_a_thousand_deep_is_400(client, buyer):
    body = "[" * 1000 + "]" * 1000
    r = client.post(
        "/api/v1/cart/lines", data=body, content_type="application/json", headers=buyer.headers
    )
    assert_error(r, 400)
    strings = '{"note": "' + "[" * 1000 + '"}'  # brackets inside a string are not nesting
    r = client.post(
        "/api/v1/cart/lines", data=strings, content_type="application/json", headers=buyer.headers
    )
    assert r.status_code == 422  # an unknown field, not a nesting error
    assert Order.select().count() == 0


@pytest.mark.parametrize("kind", ["brands", "suppliers", "tags"])
def test_an_empty_patch_changes_nothing_and_is_not_an_error(client, merchant, owner, kind):
    base = f"/api/v1/merchants/{merchant.id}/{kind}"
    body = {"name": "甲"}
    r = client.post(base, json=body, headers=owner.headers)
    assert r.status_code == 201, r.json
    item = r.json
    r = client.patch(f"{base}/{item['id']}", json={}, headers=owner.headers)
    assert r.status_code in (200, 422), r.get_data(as_text=True)[:300]
    assert client.get(base, headers=owner.headers).json[0]["name"] == "甲"


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "好\x00货"),
        ("name", "bell\x07"),
        ("video_url", "https://cdn.example.com/a]b.mp4"),
        ("video_url", "https://cdn.example.com/a\x01.mp4"),
        ("video_url", 'https://cdn.example.com/a".mp4'),
    ],
)
def test_control_characters_and_brackets_are_refused(client, merchant, owner, field, value):
    from tests.core.catalog.helpers import product_payload

    r = client.post(
        f"/api/v1/merchants/{merchant.id}/products",
        json=product_payload(**{field: value}),
        headers=owner.headers,
    )
    assert_error(r, 422)
    assert field in r.json["errors"]


def test_coupon_and_promotion_scopes_cannot_name_another_stores_products(
    client, app, merchant, other_merchant, owner, enable_plugin
):
    theirs = make_product(other_merchant, "别家商品")
    mine = make_product(merchant, "自家商品")
    with enable_plugin("coupons", merchant), enable_plugin("promotions", merchant):
        base = f"/api/v1/merchants/{merchant.id}"
        coupon = {
            "name": "满100减10",
            "type": "full_reduction",
            "threshold": 10000,
            "amount": 1000,
            "total": 10,
            "scope": "products",
            "scope_ids": [mine.id, theirs.id],
            "validity": "relative",
            "valid_days": 7,
        }
        r = client.post(f"{base}/coupon-templates", json=coupon, headers=owner.headers)
        assert_error(r, 422)
        assert str(theirs.id) in str(r.json["errors"]["scope_ids"])
        coupon["scope_ids"] = [mine.id]
        assert (
            client.post(f"{base}/coupon-templates", json=coupon, headers=owner.headers).status_code
            == 201
        )


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:00:00-05:00"])
def test_a_date_time_whose_utc_falls_outside_the_calendar_is_a_field_error(
    client, merchant, owner, when
):
    product = make_product(merchant)
    r = client.patch(
        f"/api/v1/merchants/{merchant.id}/products/{product.id}",
        json={"shelf_on_at": when},
        headers=owner.headers,
    )
    assert_error(r, 422)
    assert "shelf_on_at" in r.json["errors"], r.json
