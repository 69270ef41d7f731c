"""Buyer browsing: visibility, search (Chinese included), filters, sorting, pagination,
suggestions, detail, related products and ``extend_product``."""

import datetime as dt

import pytest

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.catalog import service, stock
from mallkit.core.catalog.errors import ProductUnavailable, SkuNotFound
from mallkit.core.catalog.models import Brand, Product, Sku
from mallkit.core.catalog.visibility import is_on_shelf, on_shelf_expression, settle
from mallkit.core.db import utcnow
from tests.core.catalog.helpers import create_product
from tests.core.catalog.plugins import also_viewed, groupbuy_badge

HOUR = dt.timedelta(hours=1)


def names(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.json
    return [p["name"] for p in r.json]


@pytest.fixture
def shop(app, merchant, other_merchant):
    """A small catalog across two stores."""
    nike = service.save_named(
        Brand, "brand", merchant.id, {"name": "耐克 Nike", "story": "始于1964年"}
    )
    one = lambda m, name, price, **kw: create_product(  # noqa: E731
        m,
        name,
        specs=[],
        sku_defaults=None,
        skus=[{"price": price, "stock": kw.pop("stock", 5)}],
        **{"subtitle": "", **kw},
    )
    products = {
        "跑鞋": one(
            merchant,
            "男子运动鞋 Air Zoom",
            59900,
            brand_id=nike.id,
            tags=["热门"],
            subtitle="轻量缓震跑步鞋",
        ),
        "袜子": one(merchant, "运动袜 三双装", 3900, brand_id=nike.id, tags=["新品"]),
        "手机": one(merchant, "iPhone 15 Pro 手机", 799900, tags=["推荐"], stock=0),
        "茶": one(other_merchant, "西湖龙井 绿茶", 12800, tags=["热门"]),
        "沙发": one(other_merchant, "布艺沙发", 299900),
    }
    Product.update(sales_count=100).where(Product.id == products["袜子"].id).execute()
    return products


def test_search_finds_chinese_and_latin_words(client, shop):
    assert names(client, "/api/v1/products?q=运动鞋") == ["男子运动鞋 Air Zoom"]
    assert sorted(names(client, "/api/v1/products?q=运动")) == [
        "男子运动鞋 Air Zoom",
        "运动袜 三双装",
    ]
    assert names(client, "/api/v1/products?q=鞋") == ["男子运动鞋 Air Zoom"]
    assert names(client, "/api/v1/products?q=iphone") == ["iPhone 15 Pro 手机"]
    assert names(client, "/api/v1/products?q=IPH") == ["iPhone 15 Pro 手机"]  # prefix, any case
    assert names(client, "/api/v1/products?q=龙井绿茶") == ["西湖龙井 绿茶"]
    assert names(client, "/api/v1/products?q=耐克") != []  # brand name is searched
    assert names(client, "/api/v1/products?q=缓震") == ["男子运动鞋 Air Zoom"]  # subtitle
    assert names(client, "/api/v1/products?q=新品") == ["运动袜 三双装"]  # tag
    assert names(client, "/api/v1/products?q=冰箱") == []
    assert names(client, "/api/v1/products?q=%22%27%20OR%201") == []  # quotes are harmless


def test_relevance_ranks_name_matches_first(client, shop):
    # "运动" is in both names; the sales count would put the socks first, relevance too;
    # "跑步" is only in the shoe's subtitle.
    assert names(client, "/api/v1/products?q=跑步") == ["男子运动鞋 Air Zoom"]
    found = names(client, "/api/v1/products?q=Nike")
    assert set(found) == {"运动袜 三双装", "男子运动鞋 Air Zoom"}


def test_filters(client, shop, merchant, other_merchant):
    nike = shop["跑鞋"].brand_id
    assert sorted(names(client, f"/api/v1/products?brand_id={nike}")) == [
        "男子运动鞋 Air Zoom",
        "运动袜 三双装",
    ]
    assert sorted(names(client, "/api/v1/products?tag=热门")) == [
        "男子运动鞋 Air Zoom",
        "西湖龙井 绿茶",
    ]
    assert names(client, "/api/v1/products?price_min=10000&price_max=100000&sort=price_asc") == [
        "西湖龙井 绿茶",
        "男子运动鞋 Air Zoom",
    ]
    assert "iPhone 15 Pro 手机" not in names(client, "/api/v1/products?in_stock=true")
    assert sorted(names(client, f"/api/v1/stores/{other_merchant.id}/products")) == [
        "布艺沙发",
        "西湖龙井 绿茶",
    ]
    assert names(client, f"/api/v1/stores/{other_merchant.id}/products?q=运动") == []
    assert names(client, f"/api/v1/products?merchant_id={merchant.id}&tag=热门") == [
        "男子运动鞋 Air Zoom"
    ]


def test_a_search_filters_and_sorts_its_matches_as_the_list_does(client, shop, merchant):
    # On PostgreSQL the search's candidates carry the columns filtered and sorted on; the
    # answer must be the list's, restricted to the matches (an off-shelf match included).
    Product.update(shelf_off_at=utcnow() - HOUR).where(Product.id == shop["茶"].id).execute()
    nike = shop["跑鞋"].brand_id
    filters = [
        "",
        f"brand_id={nike}",
        "tag=热门",
        "price_min=10000&price_max=100000",
        "in_stock=true",
        f"merchant_id={merchant.id}",
    ]
    for q in ("运动", "Nike", "热门", "手机"):
        found = set(names(client, f"/api/v1/products?q={q}"))
        assert found and "西湖龙井 绿茶" not in found
        for f in filters:
            for sort in ("newest", "price_asc", "price_desc", "sales"):
                listed = names(client, f"/api/v1/products?{f}&sort={sort}")
                expected = [n for n in listed if n in found]
                r = client.get(f"/api/v1/products?q={q}&{f}&sort={sort}")
                assert [p["name"] for p in r.json] == expected, (q, f, sort)
                assert f'"total": {len(expected)}' in r.headers["X-Pagination"]


def test_sorting_and_pagination(client, shop):
    assert names(client, "/api/v1/products?sort=price_desc")[0] == "iPhone 15 Pro 手机"
    assert names(client, "/api/v1/products?sort=sales")[0] == "运动袜 三双装"
    assert names(client, "/api/v1/products")[0] == "布艺沙发"  # newest first
    r = client.get("/api/v1/products?page=2&page_size=2&sort=price_asc")
    assert [p["name"] for p in r.json] == ["男子运动鞋 Air Zoom", "布艺沙发"]
    assert '"total": 5' in r.headers["X-Pagination"]
    assert len(r.json) == 2
    r = client.get("/api/v1/products?sort=cheapest")
    assert r.status_code == 422 and r.json["code"] == "validation_error"


def test_a_big_list_counts_up_to_the_cap_and_says_so(client, shop, monkeypatch):
    import json

    from mallkit.core import api

    monkeypatch.setattr(api, "COUNT_CAP", 3)
    r = client.get("/api/v1/products?page_size=2")
    meta = json.loads(r.headers["X-Pagination"])
    assert meta == {
        "total": 3,
        "total_pages": 2,
        "first_page": 1,
        "last_page": 2,
        "page": 1,
        "next_page": 2,
        "capped": True,
    }
    # A page past the count is still served.
    r = client.get("/api/v1/products?page=3&page_size=2&sort=price_asc")
    assert [p["name"] for p in r.json] == ["iPhone 15 Pro 手机"]  # the 5th cheapest
    assert json.loads(r.headers["X-Pagination"])["capped"] is True
    monkeypatch.setattr(api, "COUNT_CAP", 5)  # exactly at the cap: exact, not capped
    meta = json.loads(client.get("/api/v1/products").headers["X-Pagination"])
    assert meta["total"] == 5 and "capped" not in meta


def test_a_search_ranks_its_first_matches_only(client, shop, monkeypatch):
    import json

    from mallkit.core.catalog import search

    assert len(names(client, "/api/v1/products?q=运动")) == 2
    monkeypatch.setattr(search, "RANK_CAP", 1)
    r = client.get("/api/v1/products?q=运动")
    assert len(r.json) == 1 and r.json[0]["name"] in ("男子运动鞋 Air Zoom", "运动袜 三双装")
    assert json.loads(r.headers["X-Pagination"])["total"] == 1


def test_suggestions(client, shop):
    r = client.get("/api/v1/products/suggest?q=运")
    assert r.status_code == 200
    assert r.json["suggestions"] == ["运动袜 三双装", "男子运动鞋 Air Zoom"]  # best seller first
    assert client.get("/api/v1/products/suggest?q=iph").json["suggestions"] == [
        "iPhone 15 Pro 手机"
    ]
    assert client.get("/api/v1/products/suggest").status_code == 422


def test_detail_embeds_skus_brand_supplier_and_hides_costs(client, shop, merchant):
    product = shop["跑鞋"]
    r = client.get(f"/api/v1/products/{product.id}")
    assert r.status_code == 200
    body = r.json
    assert body["brand"]["story"] == "始于1964年"
    assert body["skus"][0]["price"] == 59900 and "cost" not in body["skus"][0]
    assert body["tags"] == [{"id": body["tags"][0]["id"], "name": "热门"}]
    assert [p["name"] for p in body["related"]] == ["运动袜 三双装"]  # same brand


def test_related_prefers_proposed_products_then_same_category_and_brand(
    app, client, shop, merchant, enable_plugin
):
    shoe, tea = shop["跑鞋"], shop["茶"]
    also_viewed.PROPOSALS[shoe.id] = [tea.id, shoe.id]  # the product itself is never related
    try:
        with enable_plugin(also_viewed, merchant):
            related = [p["name"] for p in client.get(f"/api/v1/products/{shoe.id}/related").json]
    finally:
        also_viewed.PROPOSALS.clear()
    assert related == ["西湖龙井 绿茶", "运动袜 三双装"]


def test_extend_product_through_a_plugin(app, client, shop, merchant, enable_plugin):
    shoe = shop["跑鞋"]
    with enable_plugin(groupbuy_badge, merchant):
        detail = client.get(f"/api/v1/products/{shoe.id}").json
        cards = {p["name"]: p for p in client.get("/api/v1/products").json}
    assert detail["extensions"] == {"groupbuy": {"badge": "2人团", "price": 58900}}
    assert cards["男子运动鞋 Air Zoom"]["extensions"]["groupbuy"]["badge"] == "2人团"
    assert cards["西湖龙井 绿茶"]["extensions"] == {}  # the other store did not enable it
    assert client.get(f"/api/v1/products/{shoe.id}").json["extensions"] == {}


# -- shelf visibility ------------------------------------------------------------------------


CASES = [
    # is_on_shelf, shelf_on_at, shelf_off_at (hours from now), expected visibility
    (True, None, None, True),
    (False, None, None, False),
    (False, -1, None, True),  # scheduled on, passed
    (True, None, -1, False),  # scheduled off, passed
    (False, 1, None, False),  # scheduled on, not yet
    (True, None, 1, True),  # scheduled off, not yet
    (False, -48, -24, False),  # on then off: off is the latest passed event
    (False, -24, -48, True),  # off then on again
    (True, 24, 48, True),  # both in the future: the manual state
]


@pytest.mark.parametrize("manual, on_h, off_h, expected", CASES)
def test_shelf_rule_sql_and_python_agree(app, merchant, manual, on_h, off_h, expected):
    now = utcnow()
    at = lambda h: None if h is None else now + h * HOUR  # noqa: E731
    product = create_product(merchant)
    Product.update(is_on_shelf=manual, shelf_on_at=at(on_h), shelf_off_at=at(off_h)).where(
        Product.id == product.id
    ).execute()
    product = Product.get_by_id(product.id)
    in_sql = Product.select().where((Product.id == product.id) & on_shelf_expression(now)).exists()
    assert in_sql is expected
    assert is_on_shelf(product, now) is expected
    # Settling passed schedule times into the flag never changes what buyers see.
    settle(now)
    assert is_on_shelf(Product.get_by_id(product.id), now) is expected


def test_off_shelf_scheduled_and_deleted_products_are_invisible_and_unsellable(
    app, client, merchant, staff
):
    live = create_product(merchant, "在售")
    later = create_product(merchant, "预售", shelf_on_at=(utcnow() + HOUR).isoformat() + "Z")
    gone = create_product(merchant, "下架")
    deleted = create_product(merchant, "删除")
    client.post(
        f"/api/v1/merchants/{merchant.id}/products/shelf",
        json={"product_ids": [gone.id], "on_shelf": False},
        headers=staff,
    )
    client.delete(f"/api/v1/merchants/{merchant.id}/products/{deleted.id}", headers=staff)
    assert names(client, "/api/v1/products") == ["在售"]
    for p in (later, gone, deleted):
        assert client.get(f"/api/v1/products/{p.id}").status_code == 404
        sku = Sku.get(Sku.product == p.id)
        with pytest.raises(
            ProductUnavailable if p is not deleted else (ProductUnavailable, SkuNotFound)
        ):
            service.sellable_sku(sku.id)
    sku = service.sellable_sku(Sku.get(Sku.product == live.id).id)
    assert sku.product.name == "在售"
    # Staff still see everything of their own, with its state.
    rows = client.get(
        f"/api/v1/merchants/{merchant.id}/products?status=off_shelf", headers=staff
    ).json
    assert sorted(r["name"] for r in rows) == ["下架", "预售"]
    assert (
        client.get(
            f"/api/v1/merchants/{merchant.id}/products/{deleted.id}", headers=staff
        ).status_code
        == 404
    )


def test_scheduled_on_shelf_becomes_visible_when_the_time_passes(app, client, merchant):
    product = create_product(merchant, "季节款", is_on_shelf=False)
    Product.update(shelf_on_at=utcnow() - dt.timedelta(seconds=1)).where(
        Product.id == product.id
    ).execute()
    assert names(client, "/api/v1/products") == ["季节款"]
    service.sellable_sku(Sku.get(Sku.product == product.id).id)


def test_closed_store_hides_its_products(app, client, merchant):
    product = create_product(merchant)
    Merchant.update(is_active=False).where(Merchant.id == merchant.id).execute()
    assert names(client, "/api/v1/products") == []
    assert client.get(f"/api/v1/stores/{merchant.id}/products").status_code == 404
    with pytest.raises(ProductUnavailable):
        service.sellable_sku(Sku.get(Sku.product == product.id).id)


def test_sold_out_product_is_visible_but_not_in_stock(app, client, merchant):
    product = create_product(merchant, specs=[], sku_defaults={"price": 100, "stock": 1})
    stock.decrement(Sku.get(Sku.product == product.id).id, 1)
    card = client.get("/api/v1/products").json[0]
    assert card["in_stock"] is False and card["sales_count"] == 1
