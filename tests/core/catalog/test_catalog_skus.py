"""Specifications → SKUs: generation, validation, and editing the SKU set."""

import pytest

from mallkit.core.catalog import skus
from mallkit.core.catalog.models import Sku, StockMovement
from mallkit.core.errors import ValidationError
from tests.core.catalog.helpers import create_product, product_payload, row_counts

SPECS = [{"name": "颜色", "values": ["红", "蓝", "黑"]}, {"name": "尺码", "values": ["M", "L"]}]


def test_combinations_are_the_cartesian_product_in_declaration_order():
    combos = skus.combinations(SPECS)
    assert len(combos) == 6
    assert combos[0] == {"颜色": "红", "尺码": "M"}
    assert combos[-1] == {"颜色": "黑", "尺码": "L"}
    assert skus.combinations([]) == [{}]


def test_generate_skus_gives_positions_and_keys():
    rows = skus.generate_skus(SPECS, {"price": 100})
    assert [r["position"] for r in rows] == list(range(6))
    assert rows[3]["spec_key"] == "颜色:蓝;尺码:L"
    assert all(r["price"] == 100 for r in rows)


@pytest.mark.parametrize(
    "given, message",
    [
        ([{"specs": {"颜色": "红"}}], "exactly one value"),
        ([{"specs": {"颜色": "绿", "尺码": "M"}}], "Not a declared value"),
        ([{"specs": {"颜色": "红", "尺码": "M"}}, {"specs": {"尺码": "M", "颜色": "红"}}], "Same"),
    ],
)
def test_bad_sku_combinations_are_refused(given, message):
    with pytest.raises(ValidationError) as info:
        skus.match_skus(SPECS, [{"price": 1, **g} for g in given])
    assert message in str(info.value.errors)


def test_every_declared_value_must_be_used():
    with pytest.raises(ValidationError) as info:
        skus.match_skus(SPECS[:1], [{"specs": {"颜色": "红"}, "price": 1}])
    assert "蓝" in str(info.value.errors["specs"])


def test_combination_explosion_is_refused():
    specs = [{"name": f"d{i}", "values": [str(v) for v in range(10)]} for i in range(4)]
    with pytest.raises(ValidationError):
        skus.generate_skus(specs, {"price": 1})


def test_create_product_generates_one_sku_per_combination_with_ledger(client, merchant, staff):
    payload = product_payload(specs=SPECS)
    r = client.post(f"/api/v1/merchants/{merchant.id}/products", json=payload, headers=staff)
    assert r.status_code == 201, r.json
    body = r.json
    assert len(body["skus"]) == 6
    assert {tuple(sorted(s["specs"].items())) for s in body["skus"]} == {
        tuple(sorted(c.items())) for c in skus.combinations(SPECS)
    }
    assert len({s["code"] for s in body["skus"]}) == 6
    assert body["price_min"] == body["price_max"] == 9900
    # Initial stock went through the stock service: one ledger row per SKU.
    assert StockMovement.select().count() == 6
    assert all(s["stock"] == 20 and s["cost"] == 4000 for s in body["skus"])


def test_explicit_skus_with_own_prices_and_codes(client, merchant, staff):
    payload = product_payload(
        specs=[{"name": "容量", "values": ["128G", "256G"]}],
        sku_defaults=None,
        skus=[
            {"specs": {"容量": "256G"}, "price": 699900, "code": "PH-256", "stock": 3},
            {"specs": {"容量": "128G"}, "price": 599900, "code": "PH-128", "stock": 5},
        ],
    )
    r = client.post(f"/api/v1/merchants/{merchant.id}/products", json=payload, headers=staff)
    assert r.status_code == 201, r.json
    assert [s["code"] for s in r.json["skus"]] == ["PH-128", "PH-256"]  # combination order
    assert (r.json["price_min"], r.json["price_max"]) == (599900, 699900)


def test_duplicate_sku_code_across_products_is_a_conflict(client, merchant, staff):
    one = product_payload(sku_defaults=None, specs=[], skus=[{"price": 1, "code": "X1"}])
    assert (
        client.post(
            f"/api/v1/merchants/{merchant.id}/products", json=one, headers=staff
        ).status_code
        == 201
    )
    before = row_counts()
    r = client.post(f"/api/v1/merchants/{merchant.id}/products", json=one, headers=staff)
    assert r.status_code == 409 and r.json["code"] == "duplicate_sku_code"
    assert row_counts() == before


def test_invalid_specs_answer_422_and_write_nothing(client, merchant, staff):
    before = row_counts()
    payload = product_payload(
        sku_defaults=None, skus=[{"specs": {"颜色": "绿", "尺码": "M"}, "price": 1}]
    )
    r = client.post(f"/api/v1/merchants/{merchant.id}/products", json=payload, headers=staff)
    assert r.status_code == 422
    assert r.json["code"] == "invalid_skus" and "skus.0.specs" in r.json["errors"]
    assert row_counts() == before


def test_editing_the_sku_set_keeps_matching_skus_and_soft_deletes_the_rest(
    app, merchant, client, staff
):
    product = create_product(merchant)
    old = {s.spec_key: s.id for s in Sku.select().where(Sku.product == product.id)}
    specs = [{"name": "颜色", "values": ["红", "绿"]}, {"name": "尺码", "values": ["M", "L"]}]
    r = client.patch(
        f"/api/v1/merchants/{merchant.id}/products/{product.id}",
        json={"specs": specs, "sku_defaults": {"price": 8800, "stock": 20}},
        headers=staff,
    )
    assert r.status_code == 200, r.json
    live = {s["specs"]["颜色"] + s["specs"]["尺码"]: s["id"] for s in r.json["skus"]}
    assert live["红M"] == old["颜色:红;尺码:M"]  # kept its id
    assert "蓝M" not in live
    gone = Sku.get_by_id(old["颜色:蓝;尺码:M"])
    assert gone.deleted_at is not None  # soft: old orders keep pointing at it
    assert r.json["price_min"] == 8800


def test_stock_changed_in_a_product_edit_is_a_stocktake(app, merchant, client, staff):
    product = create_product(merchant, specs=[], sku_defaults={"price": 100, "stock": 5})
    r = client.patch(
        f"/api/v1/merchants/{merchant.id}/products/{product.id}",
        json={"skus": [{"price": 120, "stock": 9}]},
        headers=staff,
    )
    assert r.status_code == 200, r.json
    sku = Sku.get(Sku.product == product.id)
    assert (sku.stock, sku.price) == (9, 120)
    last = (
        StockMovement.select()
        .where(StockMovement.sku == sku.id)
        .order_by(StockMovement.id.desc())
        .first()
    )
    assert (last.reason, last.quantity, last.balance_after) == ("stocktake", 4, 9)
