"""Freight templates: the fee table (piece and weight, first and extra units), region rows,
free-shipping thresholds, undeliverable regions, several templates in one order, delivery
estimates in the preview, and addresses checked against the region data."""

from __future__ import annotations

import pytest

from mallkit.core.catalog.models import Sku
from mallkit.core.orders.models import Order
from mallkit.core.testing import TEST_ADDRESS, make_product, place_order, skus_of
from mallkit.plugins.freight.service import fee

SHENZHEN = {**TEST_ADDRESS, "province": "广东省", "city": "深圳市", "district": "南山区"}
GUANGZHOU = {**TEST_ADDRESS, "province": "广东", "city": "广州", "district": "天河区"}
CHENGDU = {**TEST_ADDRESS, "province": "四川省", "city": "成都市", "district": "武侯区"}
LHASA = {**TEST_ADDRESS, "province": "西藏自治区", "city": "拉萨市", "district": "城关区"}


@pytest.fixture
def freight(app, merchant, enable_plugin):
    with enable_plugin("freight", merchant) as plugin:
        yield plugin


def base(merchant, tail=""):
    return f"/api/v1/merchants/{merchant.id}/freight{tail}"


def row(first_unit, first_price, extra_unit, extra_price, regions=None, days=None):
    out = {
        "first_unit": first_unit,
        "first_price": first_price,
        "extra_unit": extra_unit,
        "extra_price": extra_price,
        "delivery_days": days,
    }
    if regions is not None:
        out["regions"] = regions
    return out


def add_template(client, merchant, owner, **data):
    body = {"name": "T", "default_row": row(1, 1000, 1, 500), **data}
    r = client.post(base(merchant, "/templates"), json=body, headers=owner.headers)
    assert r.status_code == 201, r.json
    return r.json


def preview(client, buyer, items, address):
    r = client.post(
        "/api/v1/checkout/preview",
        json={"items": [{"sku_id": s.id, "quantity": q} for s, q in items], "address": address},
        headers=buyer.headers,
    )
    assert r.status_code == 200, r.json
    (store,) = r.json["merchants"]
    return store


@pytest.mark.parametrize(
    ("units", "first_unit", "first_price", "extra_unit", "extra_price", "expected"),
    [
        (1, 1, 1000, 1, 500, 1000),  # only the first unit
        (0, 1, 1000, 1, 500, 1000),  # never below the first price
        (3, 1, 1000, 1, 500, 2000),  # 1000 + 2 × 500
        (3, 2, 1000, 2, 500, 1500),  # ⌈1/2⌉ = 1 extra step
        (5, 2, 1000, 2, 500, 2000),  # ⌈3/2⌉ = 2
        (1000, 1000, 800, 500, 200, 800),  # weight: exactly the first kilo
        (1001, 1000, 800, 500, 200, 1000),  # one gram over: a whole extra step
        (2600, 1000, 800, 500, 200, 1600),  # ⌈1600/500⌉ = 4
        (7, 1, 0, 3, 100, 200),  # a free first unit, ⌈6/3⌉ = 2
    ],
)
def test_the_fee_is_first_plus_whole_extra_steps(
    units, first_unit, first_price, extra_unit, extra_price, expected
):
    assert fee(row(first_unit, first_price, extra_unit, extra_price), units) == expected


def test_a_piece_template_prices_by_region_city_before_province_before_default(
    client, merchant, owner, buyer, freight
):
    add_template(
        client,
        merchant,
        owner,
        is_default=True,
        rows=[
            row(1, 600, 1, 100, ["440000"], [2, 3]),  # 广东
            row(2, 300, 2, 200, ["440300"], [1, 1]),  # 深圳: first two pieces
        ],
        default_row=row(1, 1000, 1, 500, days=[3, 6]),
    )
    sku = skus_of(make_product(merchant, prices=(1000,)))[0]
    sz = preview(client, buyer, [(sku, 3)], SHENZHEN)
    assert sz["shipping"]["amount"] == 300 + 200  # 3 pieces: first 2, one step of 2
    assert sz["shipping"]["delivery_days"] == [1, 1]
    assert sz["freight"] == 500 and sz["total"] == 3000 + 500
    gz = preview(client, buyer, [(sku, 3)], GUANGZHOU)  # short names work too
    assert gz["shipping"]["amount"] == 600 + 2 * 100
    assert gz["shipping"]["delivery_days"] == [2, 3]
    cd = preview(client, buyer, [(sku, 3)], CHENGDU)
    assert cd["shipping"]["amount"] == 1000 + 2 * 500
    assert cd["shipping"]["delivery_days"] == [3, 6]
    assert [o["source"] for o in cd["shipping_options"]] == ["freight"]  # no free "standard"
    order = place_order(buyer, [(sku, 3)], address=CHENGDU)
    assert (order.freight, order.total) == (2000, 5000)


def test_a_weight_template_counts_grams_of_the_skus(client, merchant, owner, buyer, freight):
    add_template(
        client,
        merchant,
        owner,
        method="weight",
        is_default=True,
        default_row=row(1000, 800, 500, 200),
    )
    light, heavy = skus_of(make_product(merchant, prices=(1000, 2000), stocks=(100, 100)))
    Sku.update(weight=300).where(Sku.id == light.id).execute()
    Sku.update(weight=1200).where(Sku.id == heavy.id).execute()
    assert preview(client, buyer, [(light, 3)], CHENGDU)["shipping"]["amount"] == 800  # 900 g
    # 2 × 300 + 2 × 1200 = 3000 g: 1000 g first, ⌈2000/500⌉ = 4 steps
    assert preview(client, buyer, [(light, 2), (heavy, 2)], CHENGDU)["shipping"]["amount"] == (
        800 + 4 * 200
    )


def test_free_shipping_by_amount_and_or_pieces_per_region(client, merchant, owner, buyer, freight):
    add_template(
        client,
        merchant,
        owner,
        is_default=True,
        default_row=row(1, 1000, 1, 0),
        free=[
            {"regions": ["440000"], "min_amount": 5000},  # 广东 from ¥50
            {"regions": ["510100"], "min_amount": 3000, "min_quantity": 3},  # 成都: both
        ],
    )
    sku = skus_of(make_product(merchant, prices=(1000,)))[0]
    assert preview(client, buyer, [(sku, 4)], SHENZHEN)["freight"] == 1000  # ¥40 < ¥50
    assert preview(client, buyer, [(sku, 5)], SHENZHEN)["freight"] == 0  # ¥50
    assert preview(client, buyer, [(sku, 2)], CHENGDU)["freight"] == 1000  # amount short
    assert preview(client, buyer, [(sku, 3)], CHENGDU)["freight"] == 0  # ¥30 and 3 pieces
    assert preview(client, buyer, [(sku, 9)], TEST_ADDRESS)["freight"] == 1000  # not Shanghai


def test_undeliverable_regions_refuse_the_checkout_naming_the_region(
    client, merchant, owner, buyer, freight
):
    add_template(client, merchant, owner, is_default=True, undeliverable=["540000", "440300"])
    sku = skus_of(make_product(merchant, prices=(1000,), stocks=(5,)))[0]
    store = preview(client, buyer, [(sku, 1)], LHASA)
    assert store["shipping"] is None
    assert store["shipping_options"][0]["deliverable"] is False
    assert "西藏自治区" in store["shipping_options"][0]["reason"]
    r = client.post(
        "/api/v1/checkout/place",
        json={"items": [{"sku_id": sku.id, "quantity": 1}], "address": SHENZHEN},
        headers=buyer.headers,
    )
    assert r.status_code == 409, r.json
    assert r.json["code"] == "undeliverable"
    assert "广东省深圳市" in r.json["message"]
    assert r.json["errors"][str(merchant.id)] == ["does not deliver to 广东省深圳市"]
    assert not Order.select().exists()
    assert Sku.get_by_id(sku.id).stock == 5
    assert preview(client, buyer, [(sku, 1)], GUANGZHOU)["shipping"]["amount"] == 1000


def test_several_templates_are_priced_apart_and_summed(client, merchant, owner, buyer, freight):
    standard = add_template(
        client,
        merchant,
        owner,
        name="standard",
        is_default=True,
        default_row=row(1, 1000, 1, 500, days=[2, 3]),
    )
    bulky = add_template(
        client,
        merchant,
        owner,
        name="bulky",
        method="weight",
        default_row=row(1000, 2000, 1000, 1000, days=[4, 7]),
        free=[{"min_quantity": 10}],
    )
    small = skus_of(make_product(merchant, name="small", prices=(1000,)))[0]
    big_product = make_product(merchant, name="sofa", prices=(50000,))
    big = skus_of(big_product)[0]
    Sku.update(weight=2500).where(Sku.id == big.id).execute()
    r = client.put(
        base(merchant, f"/products/{big_product.id}"),
        json={"template_id": bulky["id"]},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["template_name"] == "bulky"
    store = preview(client, buyer, [(small, 2), (big, 1)], CHENGDU)
    # standard: 1000 + 500 for two pieces; bulky: 2500 g → 2000 + 2 × 1000
    assert store["shipping"]["amount"] == 1500 + 4000
    assert store["shipping"]["delivery_days"] == [4, 7]  # the slowest template
    assert sum(line["freight_share"] for line in store["lines"]) == 5500
    r = client.delete(base(merchant, f"/templates/{bulky['id']}"), headers=owner.headers)
    assert r.status_code == 409 and r.json["code"] == "freight_template_in_use"
    client.delete(base(merchant, f"/products/{big_product.id}"), headers=owner.headers)
    assert preview(client, buyer, [(small, 2), (big, 1)], CHENGDU)["shipping"]["amount"] == 2000
    assert (
        client.delete(
            base(merchant, f"/templates/{bulky['id']}"), headers=owner.headers
        ).status_code
        == 204
    )
    assert standard["is_default"] is True


def test_without_templates_or_the_plugin_delivery_stays_free(client, merchant, owner, buyer, app):
    sku = skus_of(make_product(merchant, prices=(1000,)))[0]
    store = preview(client, buyer, [(sku, 1)], CHENGDU)
    assert store["shipping"]["source"] == "core" and store["freight"] == 0


def test_templates_are_checked_and_kept_to_their_store(
    client, merchant, other_merchant, owner, buyer, freight
):
    r = client.post(
        base(merchant, "/templates"),
        json={
            "name": "bad",
            "default_row": row(1, 100, 0, 100),
            "rows": [row(1, 1, 1, 1, ["440000"]), row(1, 1, 1, 1, ["440000", "999999"])],
            "undeliverable": ["123456"],
        },
        headers=owner.headers,
    )
    assert r.status_code == 422
    r = client.post(
        base(merchant, "/templates"),
        json={
            "name": "bad",
            "default_row": row(1, 100, 1, 100),
            "rows": [row(1, 1, 1, 1, ["440000"]), row(1, 1, 1, 1, ["440000", "999999"])],
        },
        headers=owner.headers,
    )
    assert r.status_code == 422 and r.json["code"] == "bad_regions"
    assert "already in row 0" in r.json["errors"]["rows"]["1"][0]
    assert "999999" in r.json["errors"]["rows"]["1"][1]
    r = client.post(
        base(merchant, "/templates"),
        json={"name": "x", "default_row": row(1, 1, 1, 1), "free": [{"regions": []}]},
        headers=owner.headers,
    )
    assert r.status_code == 422
    tpl = add_template(client, merchant, owner)
    assert client.get(base(merchant, "/templates"), headers=buyer.headers).status_code == 404
    stranger = other_merchant.owner_account.headers
    assert (
        client.get(base(merchant, f"/templates/{tpl['id']}"), headers=stranger).status_code == 404
    )
    theirs = make_product(other_merchant)
    r = client.put(
        base(merchant, f"/products/{theirs.id}"),
        json={"template_id": tpl["id"]},
        headers=owner.headers,
    )
    assert r.status_code == 404
    regions = client.get("/api/v1/freight/regions").json
    assert len(regions) == 31
    guangdong = next(p for p in regions if p["code"] == "440000")
    assert {"code": "440300", "name": "深圳市"} in guangdong["cities"]


def test_addresses_are_checked_against_the_region_data(client, buyer, merchant, app):
    good = {k: v for k, v in SHENZHEN.items()}
    r = client.post("/api/v1/me/addresses", json=good, headers=buyer.headers)
    assert r.status_code == 201, r.json
    r = client.post("/api/v1/me/addresses", json={**good, "city": "杭州市"}, headers=buyer.headers)
    assert r.status_code == 422 and r.json["errors"] == {"city": ["Not a city of 广东省."]}
    r = client.post(
        "/api/v1/me/addresses", json={**good, "province": "火星"}, headers=buyer.headers
    )
    assert r.status_code == 422 and "province" in r.json["errors"]
    address_id = client.get("/api/v1/me/addresses", headers=buyer.headers).json[0]["id"]
    r = client.patch(
        f"/api/v1/me/addresses/{address_id}", json={"province": "浙江省"}, headers=buyer.headers
    )
    assert r.status_code == 422  # 深圳 is not in 浙江
    r = client.patch(
        f"/api/v1/me/addresses/{address_id}",
        json={"province": "浙江省", "city": "杭州"},
        headers=buyer.headers,
    )
    assert r.status_code == 200
    # Municipalities take any district as the city; other countries are not checked.
    r = client.post(
        "/api/v1/me/addresses",
        json={**good, "province": "上海", "city": "浦东新区"},
        headers=buyer.headers,
    )
    assert r.status_code == 201
    r = client.post(
        "/api/v1/me/addresses",
        json={**good, "country": "US", "province": "CA", "city": "San Francisco"},
        headers=buyer.headers,
    )
    assert r.status_code == 201
    sku = skus_of(make_product(merchant))[0]
    r = client.post(
        "/api/v1/checkout/preview",
        json={"items": [{"sku_id": sku.id, "quantity": 1}], "address": {**good, "city": "X"}},
        headers=buyer.headers,
    )
    assert r.status_code == 422 and r.json["code"] == "unknown_region"


def test_locate_address_gives_codes_and_coordinates(app):
    from mallkit.core.plugin_api import locate_address

    with app.app_context():
        place = locate_address(SHENZHEN)
        assert place["province_code"] == "440000" and place["city_code"] == "440300"
        assert 113 < place["lng"] < 115 and 22 < place["lat"] < 23
        assert locate_address({**SHENZHEN, "country": "US"}) is None


def test_a_buyer_with_the_free_shipping_perk_pays_no_freight(
    client, merchant, owner, buyer, other_buyer, freight, enable_plugin
):
    """``propose_shipping_quotes`` receives the buyer; a perk plugin answering
    ``free_shipping`` for one buyer makes that buyer's freight 0."""
    import types

    from mallkit.core.plugin_api import PluginMeta
    from mallkit.hookspecs import hookimpl

    perks = types.ModuleType("vip_perks")
    perks.meta = PluginMeta(name="vip_perks", version="1.0.0", title="VIP perks", level="merchant")

    @hookimpl
    def buyer_perks(merchant, buyer):
        return {"free_shipping": buyer.email == "buyer@test.mallkit.dev"}

    perks.buyer_perks = buyer_perks
    add_template(client, merchant, owner, is_default=True)
    sku = skus_of(make_product(merchant, prices=(1000,)))[0]
    with enable_plugin(perks, merchant):
        vip = preview(client, buyer, [(sku, 2)], CHENGDU)
        assert vip["freight"] == 0 and "member free shipping" in vip["shipping"]["label"]
        assert preview(client, other_buyer, [(sku, 2)], CHENGDU)["freight"] == 1500


def test_the_console_page_lists_the_templates(client, merchant, owner, freight):
    tpl = add_template(client, merchant, owner)
    pages = client.get(f"/api/v1/merchants/{merchant.id}/console", headers=owner.headers).json
    page = {p["id"]: p for p in pages["pages"]}["freight/templates"]
    assert page["create"]["schema"]["properties"]["method"]["enum"] == ["piece", "weight"]
    listed = client.get(
        "/api/v1" + page["path"].replace("{merchant_id}", str(merchant.id)), headers=owner.headers
    ).json
    assert [t["id"] for t in listed] == [tpl["id"]]
