"""Category trees: any depth, move, reorder, delete only when empty, descendants listed."""

import pytest

from mallkit.core.catalog import categories
from mallkit.core.catalog.models import Category
from mallkit.core.errors import Conflict, ValidationError
from tests.core.catalog.helpers import create_product


def make_tree(merchant_id):
    c = categories.create_category
    clothes = c(merchant_id, {"name": "服装"})
    men = c(merchant_id, {"name": "男装", "parent_id": clothes.id})
    tees = c(merchant_id, {"name": "T恤", "parent_id": men.id})
    digital = c(merchant_id, {"name": "数码"})
    return clothes, men, tees, digital


def test_tree_of_any_depth_with_paths(app, merchant, client):
    clothes, men, tees, digital = make_tree(merchant.id)
    assert tees.path == f"/{clothes.id}/{men.id}/{tees.id}/" and tees.depth == 2
    r = client.get(f"/api/v1/stores/{merchant.id}/categories")
    assert [n["name"] for n in r.json] == ["服装", "数码"]
    assert r.json[0]["children"][0]["children"][0]["name"] == "T恤"


def test_products_of_a_category_include_its_descendants(app, merchant, client):
    clothes, men, tees, digital = make_tree(merchant.id)
    create_product(merchant, "圆领T恤", category_id=tees.id)
    create_product(merchant, "男士衬衫", category_id=men.id)
    create_product(merchant, "耳机", category_id=digital.id)

    def names(cid):
        return sorted(
            p["name"]
            for p in client.get(  # noqa: E731
                f"/api/v1/products?category_id={cid}"
            ).json
        )

    assert names(clothes.id) == ["圆领T恤", "男士衬衫"]
    assert names(tees.id) == ["圆领T恤"]
    assert names(digital.id) == ["耳机"]


def test_move_rewrites_the_subtree(app, merchant, client):
    clothes, men, tees, digital = make_tree(merchant.id)
    create_product(merchant, "圆领T恤", category_id=tees.id)
    categories.update_category(merchant.id, men.id, {"parent_id": digital.id})
    tees = Category.get_by_id(tees.id)
    assert tees.path == f"/{digital.id}/{men.id}/{tees.id}/" and tees.depth == 2
    assert [p["name"] for p in client.get(f"/api/v1/products?category_id={digital.id}").json] == [
        "圆领T恤"
    ]
    assert client.get(f"/api/v1/products?category_id={clothes.id}").json == []


def test_lineage_is_root_to_self_and_follows_a_move(app, merchant):
    clothes, men, tees, digital = make_tree(merchant.id)
    assert categories.lineage([tees.id, digital.id, None, 999999]) == {
        tees.id: (clothes.id, men.id, tees.id),
        digital.id: (digital.id,),
    }
    assert categories.lineage([]) == {}
    categories.update_category(merchant.id, men.id, {"parent_id": digital.id})
    assert categories.lineage([tees.id]) == {tees.id: (digital.id, men.id, tees.id)}


def test_a_category_cannot_move_under_itself_or_a_descendant(app, merchant):
    clothes, men, tees, _ = make_tree(merchant.id)
    for target in (clothes.id, tees.id):
        with pytest.raises(ValidationError) as info:
            categories.update_category(merchant.id, clothes.id, {"parent_id": target})
        assert info.value.code == "category_cycle"


def test_reorder_siblings(app, merchant, client, staff):
    clothes, _, _, digital = make_tree(merchant.id)
    books = categories.create_category(merchant.id, {"name": "图书"})
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/categories/reorder",
        json={"parent_id": None, "ids": [books.id, digital.id, clothes.id]},
        headers=staff,
    )
    assert r.status_code == 200, r.json
    tree = client.get(f"/api/v1/stores/{merchant.id}/categories").json
    assert [n["name"] for n in tree] == ["图书", "数码", "服装"]
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/categories/reorder",
        json={"parent_id": None, "ids": [books.id]},
        headers=staff,
    )
    assert r.status_code == 422


def test_delete_only_when_empty(app, merchant, client, staff):
    clothes, men, tees, _ = make_tree(merchant.id)
    product = create_product(merchant, category_id=tees.id)
    with pytest.raises(Conflict):
        categories.delete_category(merchant.id, men.id)  # has a child
    r = client.delete(f"/api/v1/merchants/{merchant.id}/categories/{tees.id}", headers=staff)
    assert r.status_code == 409 and r.json["code"] == "category_not_empty"
    client.delete(f"/api/v1/merchants/{merchant.id}/products/{product.id}", headers=staff)
    r = client.delete(f"/api/v1/merchants/{merchant.id}/categories/{tees.id}", headers=staff)
    assert r.status_code == 204
    assert not Category.select().where(Category.id == tees.id).exists()


def test_platform_categories_are_admin_managed_and_browse_across_merchants(
    app, client, admin, merchant, other_merchant, staff
):
    r = client.post("/api/v1/admin/categories", json={"name": "家电"}, headers=staff)
    assert r.status_code == 403
    r = client.post("/api/v1/admin/categories", json={"name": "家电"}, headers=admin.headers)
    assert r.status_code == 201
    appliances = r.json["id"]
    create_product(merchant, "电视", platform_category_id=appliances)
    create_product(other_merchant, "冰箱", platform_category_id=appliances)
    create_product(other_merchant, "沙发")
    assert [c["name"] for c in client.get("/api/v1/categories").json] == ["家电"]
    names = sorted(p["name"] for p in client.get(f"/api/v1/products?category_id={appliances}").json)
    assert names == ["冰箱", "电视"]


def test_another_merchants_category_is_not_found(app, client, merchant, other_merchant, staff):
    theirs = categories.create_category(other_merchant.id, {"name": "别人的"})
    r = client.patch(
        f"/api/v1/merchants/{merchant.id}/categories/{theirs.id}", json={"name": "x"}, headers=staff
    )
    assert r.status_code == 404
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/categories",
        json={"name": "子", "parent_id": theirs.id},
        headers=staff,
    )
    assert r.status_code == 404
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/products",
        json={"name": "x", "category_id": theirs.id, "skus": [{"price": 1}]},
        headers=staff,
    )
    assert r.status_code == 404
