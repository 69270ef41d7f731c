"""The back-office API: permissions, cross-merchant isolation, input validation, media."""

import io

import pytest

from mallkit.core.catalog.models import Brand, Product, Sku
from tests.core.catalog.helpers import create_product, product_payload, row_counts


def test_cross_merchant_access_answers_404_and_changes_nothing(
    app, client, merchant, other_merchant, staff
):
    theirs = create_product(other_merchant, "别家商品")
    sku = Sku.get(Sku.product == theirs.id)
    mine = f"/api/v1/merchants/{merchant.id}"
    before = row_counts()
    assert client.get(f"{mine}/products/{theirs.id}", headers=staff).status_code == 404
    assert (
        client.patch(f"{mine}/products/{theirs.id}", json={"name": "改"}, headers=staff).status_code
        == 404
    )
    assert client.delete(f"{mine}/products/{theirs.id}", headers=staff).status_code == 404
    r = client.post(
        f"{mine}/products/shelf",
        json={"product_ids": [theirs.id], "on_shelf": False},
        headers=staff,
    )
    assert r.status_code == 404
    r = client.post(
        f"{mine}/stock/adjust", json={"lines": [{"sku_id": sku.id, "delta": -1}]}, headers=staff
    )
    assert r.status_code == 404 and r.json["code"] == "sku_not_found"
    r = client.post(
        f"{mine}/stock/stocktake", json={"lines": [{"sku_id": sku.id, "counted": 0}]}, headers=staff
    )
    assert r.status_code == 404
    assert client.get(f"{mine}/products", headers=staff).json == []
    assert row_counts() == before
    # And through the other merchant's URL: not staff there at all.
    theirs_url = f"/api/v1/merchants/{other_merchant.id}/products/{theirs.id}"
    assert client.get(theirs_url, headers=staff).status_code == 403
    assert client.patch(theirs_url, json={"name": "改"}, headers=staff).status_code == 403
    assert Product.get_by_id(theirs.id).name == "别家商品"


def test_brand_and_supplier_of_another_merchant_cannot_be_linked(
    app, client, merchant, other_merchant, staff
):
    brand = Brand.create(merchant=other_merchant.id, name="别家品牌")
    before = row_counts()
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/products",
        json=product_payload(brand_id=brand.id),
        headers=staff,
    )
    assert r.status_code == 404 and r.json["code"] == "brand_not_found"
    assert row_counts() == before


def test_buyers_cannot_use_the_back_office(app, client, merchant, buyer):
    assert (
        client.get(f"/api/v1/merchants/{merchant.id}/products", headers=buyer.headers).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/merchants/{merchant.id}/products", json=product_payload()).status_code
        == 401
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"sku_defaults": {"price": 19.9}}, "sku_defaults"),  # no floats for money
        ({"sku_defaults": {"price": "1990"}}, "sku_defaults"),
        ({"sku_defaults": {"price": -1}}, "sku_defaults"),
        ({"name": ""}, "name"),
        ({"images": ["javascript:alert(1)"]}, "images"),
        ({"unknown": 1}, "unknown"),
        ({"skus": [{"price": 1}]}, "sku_defaults"),  # both given
        ({"shelf_on_at": "tomorrow"}, "shelf_on_at"),
    ],
)
def test_bad_input_is_a_422_with_nothing_written(app, client, merchant, staff, change, field):
    before = row_counts()
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/products", json=product_payload(**change), headers=staff
    )
    assert r.status_code == 422, r.json
    assert r.json["code"] in ("validation_error", "invalid_skus")
    assert field in r.json["errors"]
    assert row_counts() == before


def test_bad_query_arguments_are_422_not_500(client, app):
    for url in (
        "/api/v1/products?price_min=abc",
        "/api/v1/products?category_id=x",
        "/api/v1/products?page_size=100000",
        "/api/v1/products/suggest?q=",
    ):
        r = client.get(url)
        assert r.status_code == 422, (url, r.json)
        assert r.json["code"] == "validation_error"


def test_description_is_sanitised(app, client, merchant, staff):
    html = '<p onclick="steal()">好<script>alert(1)</script><img src="https://x/a.png"></p>'
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/products",
        json=product_payload(description=html),
        headers=staff,
    )
    assert r.status_code == 201
    assert r.json["description"] == '<p>好<img src="https://x/a.png"></p>'


def test_update_audits_price_changes(app, client, merchant, staff):
    from mallkit.core.audit import AuditLog

    product = create_product(merchant, specs=[], sku_defaults={"price": 100, "stock": 1})
    r = client.patch(
        f"/api/v1/merchants/{merchant.id}/products/{product.id}",
        json={"skus": [{"price": 150}]},
        headers=staff,
    )
    assert r.status_code == 200
    row = AuditLog.select().where(AuditLog.action == "product.update").get()
    assert row.before[""]["price"] == 100 and row.after["skus"][""]["price"] == 150
    assert row.actor_id is not None


def test_brands_suppliers_tags_crud_and_embedding(app, client, merchant, staff):
    url = f"/api/v1/merchants/{merchant.id}"
    brand = client.post(
        f"{url}/brands", json={"name": "李宁", "philosophy": "一切皆有可能"}, headers=staff
    ).json
    supplier = client.post(
        f"{url}/suppliers", json={"name": "广州工厂", "contact_phone": "020-1"}, headers=staff
    ).json
    assert client.post(f"{url}/brands", json={"name": "李宁"}, headers=staff).status_code == 409
    r = client.post(
        f"{url}/products",
        json=product_payload(
            brand_id=brand["id"], supplier_id=supplier["id"], tags=["热门", "新品"]
        ),
        headers=staff,
    )
    assert r.status_code == 201
    pid = r.json["id"]
    detail = client.get(f"/api/v1/products/{pid}").json
    assert detail["brand"]["philosophy"] == "一切皆有可能"
    assert detail["supplier"]["name"] == "广州工厂"
    assert [t["name"] for t in detail["tags"]] == ["热门", "新品"]
    # Renaming the brand keeps search current.
    client.patch(f"{url}/brands/{brand['id']}", json={"name": "安踏"}, headers=staff)
    assert [p["id"] for p in client.get("/api/v1/products?q=安踏").json] == [pid]
    assert client.get("/api/v1/products?q=李宁").json == []
    tags = client.get(f"/api/v1/stores/{merchant.id}/tags").json
    assert [t["name"] for t in tags] == ["热门", "新品"]
    hot = tags[0]["id"]
    assert client.delete(f"{url}/tags/{hot}", headers=staff).status_code == 204
    assert [t["name"] for t in client.get(f"/api/v1/products/{pid}").json["tags"]] == ["新品"]
    assert client.delete(f"{url}/brands/{brand['id']}", headers=staff).status_code == 204
    assert client.get(f"/api/v1/products/{pid}").json["brand"] is None


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_media_upload_is_stored_under_media_root_and_served(app, client, merchant, staff, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path)
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/media",
        data={"file": (io.BytesIO(PNG), "photo.png")},
        headers=staff,
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.json
    url = r.json["url"]
    assert url.startswith(f"/api/v1/media/catalog/{merchant.id}/") and url.endswith(".png")
    assert list((tmp_path / "catalog" / str(merchant.id)).iterdir())
    served = client.get(url)
    assert served.status_code == 200 and served.data == PNG
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/products",
        json=product_payload(images=[url]),
        headers=staff,
    )
    assert r.status_code == 201


def test_media_upload_refuses_other_files(app, client, merchant, staff, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path)
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/media",
        data={"file": (io.BytesIO(b"<html>not an image"), "x.png")},
        headers=staff,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and r.json["code"] == "unsupported_media"
    assert not (tmp_path / "catalog").exists()
    assert client.get("/api/v1/media/../../etc/passwd").status_code == 404
