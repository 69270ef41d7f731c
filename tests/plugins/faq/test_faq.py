"""FAQ: a store's and the platform's entries with categories, order and search, and the
warranty shown on the product detail."""

from __future__ import annotations

import pytest

from mallkit.core.testing import make_product
from mallkit.plugins.faq.models import FaqEntry, ProductCare


@pytest.fixture
def faq(app, merchant, enable_plugin):
    with enable_plugin("faq", merchant) as plugin:
        yield plugin


def store(merchant, tail=""):
    return f"/api/v1/merchants/{merchant.id}/faq{tail}"


def add(client, base, headers, question, answer, **extra):
    r = client.post(
        f"{base}/entries", json={"question": question, "answer": answer, **extra}, headers=headers
    )
    assert r.status_code == 201, r.json
    return r.json


def test_a_store_writes_its_faq_in_categories_and_order(client, merchant, owner, buyer, faq):
    r = client.post(
        store(merchant, "/categories"), json={"name": "售后", "position": 2}, headers=owner.headers
    )
    after_sales = r.json["id"]
    shipping = client.post(
        store(merchant, "/categories"), json={"name": "配送", "position": 1}, headers=owner.headers
    ).json["id"]
    assert [c["name"] for c in client.get(store(merchant, "/categories")).json] == ["配送", "售后"]
    add(
        client,
        store(merchant),
        owner.headers,
        "多久发货？",
        "付款后 48 小时内发货。",
        category_id=shipping,
        position=1,
    )
    add(
        client,
        store(merchant),
        owner.headers,
        "支持七天无理由退货吗？",
        "支持，商品完好即可。",
        category_id=after_sales,
    )
    add(client, store(merchant), owner.headers, "草稿", "未发布", published=False)
    public = client.get(store(merchant, "/entries")).json
    assert [e["question"] for e in public] == ["多久发货？", "支持七天无理由退货吗？"]
    staff_view = client.get(store(merchant, "/entries"), headers=owner.headers).json
    assert len(staff_view) == 3
    by_category = client.get(store(merchant, f"/entries?category_id={shipping}")).json
    assert [e["question"] for e in by_category] == ["多久发货？"]
    r = client.post(
        store(merchant, "/entries"), json={"question": "x", "answer": "y"}, headers=buyer.headers
    )
    assert r.status_code == 404


def test_search_matches_every_word_like_product_search(client, merchant, owner, faq):
    add(
        client,
        store(merchant),
        owner.headers,
        "保温杯可以装热水吗？",
        "316 不锈钢内胆，可以装开水。",
    )
    add(client, store(merchant), owner.headers, "发票怎么开？", "下单时选择电子发票 (E-invoice)。")
    assert [e["question"] for e in client.get(store(merchant, "/entries?q=保温")).json] == [
        "保温杯可以装热水吗？"
    ]
    assert len(client.get(store(merchant, "/entries?q=热水 不锈钢")).json) == 1
    assert client.get(store(merchant, "/entries?q=热水 发票")).json == []
    assert len(client.get(store(merchant, "/entries?q=invo")).json) == 1  # a prefix
    assert client.get(store(merchant, "/entries?q=%25")).json == []
    entry = FaqEntry.get(FaqEntry.question == "发票怎么开？")
    r = client.patch(
        store(merchant, f"/entries/{entry.id}"),
        json={"answer": "联系客服开纸质发票"},
        headers=owner.headers,
    )
    assert r.status_code == 200
    assert client.get(store(merchant, "/entries?q=invo")).json == []
    assert len(client.get(store(merchant, "/entries?q=纸质")).json) == 1


def test_the_platform_faq_is_written_by_admins_and_shown_with_the_stores(
    client, merchant, owner, admin, faq
):
    r = client.post(
        "/api/v1/faq/entries",
        json={"question": "平台规则", "answer": "见公告"},
        headers=owner.headers,
    )
    assert r.status_code == 403
    add(client, "/api/v1/faq", admin.headers, "平台规则", "见公告")
    add(client, store(merchant), owner.headers, "店铺规则", "见店铺公告")
    assert [e["question"] for e in client.get("/api/v1/faq/entries").json] == ["平台规则"]
    assert [e["question"] for e in client.get(store(merchant, "/entries")).json] == ["店铺规则"]
    both = client.get(store(merchant, "/entries?include_platform=true&q=规则")).json
    assert [e["question"] for e in both] == ["店铺规则", "平台规则"]


def test_staff_of_another_store_cannot_touch_this_faq(client, merchant, other_merchant, owner, faq):
    entry = add(client, store(merchant), owner.headers, "Q", "A")
    stranger = other_merchant.owner_account.headers
    assert (
        client.delete(store(merchant, f"/entries/{entry['id']}"), headers=stranger).status_code
        == 404
    )
    r = client.post(store(merchant, "/categories"), json={"name": "x"}, headers=stranger)
    assert r.status_code == 404
    assert FaqEntry.select().count() == 1


def test_bad_input_gives_field_errors(client, merchant, other_merchant, owner, admin, faq):
    r = client.post(
        store(merchant, "/entries"), json={"question": "", "answer": "a"}, headers=owner.headers
    )
    assert r.status_code == 422 and "question" in r.json["errors"]
    platform_category = client.post(
        "/api/v1/faq/categories", json={"name": "平台"}, headers=admin.headers
    ).json
    r = client.post(
        store(merchant, "/entries"),
        json={"question": "q", "answer": "a", "category_id": platform_category["id"]},
        headers=owner.headers,
    )
    assert r.status_code == 422 and r.json["errors"] == {
        "category_id": ["Not a category of this FAQ."]
    }
    assert not FaqEntry.select().exists()


def test_warranty_is_shown_on_the_product_detail(client, merchant, other_merchant, owner, faq):
    product = make_product(merchant, name="电热水壶")
    theirs = make_product(other_merchant, name="别家的")
    care = {"warranty_months": 12, "warranty": "一年质保", "repair": "寄回维修，往返包邮"}
    r = client.put(
        store(merchant, f"/products/{product.id}/care"), json=care, headers=owner.headers
    )
    assert r.status_code == 200 and r.json["warranty_months"] == 12
    r = client.put(
        store(merchant, f"/products/{product.id}/care"),
        json={**care, "warranty_months": 24},
        headers=owner.headers,
    )
    assert ProductCare.select().count() == 1 and ProductCare.get().warranty_months == 24
    detail = client.get(f"/api/v1/products/{product.id}").json
    assert detail["extensions"]["faq"]["care"]["repair"] == "寄回维修，往返包邮"
    r = client.put(store(merchant, f"/products/{theirs.id}/care"), json=care, headers=owner.headers)
    assert r.status_code == 404
    r = client.put(
        store(merchant, f"/products/{product.id}/care"),
        json={"warranty_months": -1},
        headers=owner.headers,
    )
    assert r.status_code == 422
