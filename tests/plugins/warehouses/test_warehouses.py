"""Warehouses: allocation to the serving warehouses by priority and distance, split when
needed, never negative under concurrency; release to the warehouse the stock came from;
transfer documents with their ledger rows."""

from __future__ import annotations

import pytest

from mallkit.core.catalog.models import Sku, StockMovement
from mallkit.core.orders.models import OrderLine
from mallkit.core.plugin_api import Conflict, OutOfStock
from mallkit.core.testing import (
    TEST_ADDRESS,
    cancel_order,
    concurrently,
    make_product,
    pay_order,
    place_order,
    refund_order,
    skus_of,
)
from mallkit.plugins.warehouses import service
from mallkit.plugins.warehouses.models import (
    WarehouseAllocation,
    WarehouseMovement,
    WarehouseStock,
)

CHENGDU = {**TEST_ADDRESS, "province": "四川省", "city": "成都市"}
SHENZHEN = {**TEST_ADDRESS, "province": "广东省", "city": "深圳市"}


@pytest.fixture
def warehouses(app, merchant, enable_plugin):
    with enable_plugin("warehouses", merchant) as plugin:
        yield plugin


def base(merchant, tail=""):
    return f"/api/v1/merchants/{merchant.id}/warehouses{tail}"


def add(client, merchant, owner, **data):
    r = client.post(base(merchant), json=data, headers=owner.headers)
    assert r.status_code == 201, r.json
    return r.json


def count(client, merchant, owner, warehouse, sku, quantity):
    r = client.put(
        base(merchant, f"/{warehouse['id']}/stock/{sku.id}"),
        json={"quantity": quantity},
        headers=owner.headers,
    )
    assert r.status_code == 200, r.json


def levels(sku):
    rows = WarehouseStock.select().where(WarehouseStock.sku_id == sku.id)
    return {r.warehouse_id: r.quantity for r in rows}


def assert_whole(sku):
    """Sellable stock is the warehouses' sum; each ledger's last balance is the level."""
    by_wh = levels(sku)
    assert Sku.get_by_id(sku.id).stock == sum(by_wh.values())
    for wid, quantity in by_wh.items():
        moves = list(
            WarehouseMovement.select().where(
                (WarehouseMovement.warehouse_id == wid) & (WarehouseMovement.sku_id == sku.id)
            )
        )
        assert sum(m.quantity for m in moves) == quantity >= 0
        if moves:
            assert max(moves, key=lambda m: m.id).balance_after == quantity


@pytest.fixture
def two(client, merchant, owner, warehouses):
    """上海仓 (priority 10, serves 上海/江苏) holds 3; 广州仓 (everywhere) holds 5."""
    shanghai = add(
        client,
        merchant,
        owner,
        name="上海仓",
        priority=10,
        province="上海市",
        city="上海市",
        regions=["310000", "320000"],
    )
    guangzhou = add(
        client, merchant, owner, name="广州仓", priority=0, province="广东省", city="广州市"
    )
    sku = skus_of(make_product(merchant, prices=(1000,), stocks=(99,)))[0]
    count(client, merchant, owner, shanghai, sku, 3)
    count(client, merchant, owner, guangzhou, sku, 5)
    return shanghai["id"], guangzhou["id"], sku


def test_the_sellable_stock_is_the_sum_of_the_warehouses(client, merchant, owner, two):
    sh, gz, sku = two
    assert Sku.get_by_id(sku.id).stock == 8  # was 99 before it was warehoused
    assert_whole(sku)
    assert {m.reason for m in StockMovement.select().where(StockMovement.sku == sku.id)} >= {
        "stocktake"
    }


def test_orders_take_the_serving_warehouse_by_priority_and_split(
    client, merchant, owner, buyer, two
):
    sh, gz, sku = two
    a = place_order(buyer, [(sku, 2)])  # Shanghai: 上海仓 first
    assert levels(sku) == {sh: 1, gz: 5}
    b = place_order(buyer, [(sku, 3)])  # 1 from 上海仓, 2 from 广州仓
    assert levels(sku) == {sh: 0, gz: 3}
    split = {
        x.warehouse_id: x.quantity
        for x in WarehouseAllocation.select().where(WarehouseAllocation.reference_id == b.number)
    }
    assert split == {sh: 1, gz: 2}
    r = client.get(base(merchant, f"/allocations?order_id={a.id}"), headers=owner.headers)
    assert r.json == [{"sku_id": sku.id, "warehouse_id": sh, "quantity": 2, "released": 0}]
    assert_whole(sku)


def test_a_warehouse_not_serving_the_region_is_not_used(client, merchant, owner, buyer, two):
    sh, gz, sku = two
    place_order(buyer, [(sku, 4)], address=CHENGDU)  # only 广州仓 serves 四川
    assert levels(sku) == {sh: 3, gz: 1}
    with pytest.raises(OutOfStock):
        place_order(buyer, [(sku, 2)], address=CHENGDU)  # 上海仓's 3 are not for 四川
    assert levels(sku) == {sh: 3, gz: 1}
    assert_whole(sku)


def test_the_nearest_of_equal_priority_goes_first(client, merchant, owner, buyer, warehouses):
    beijing = add(client, merchant, owner, name="北京仓", province="北京市", city="北京市")
    guangzhou = add(client, merchant, owner, name="广州仓", province="广东", city="广州")
    sku = skus_of(make_product(merchant, prices=(1000,)))[0]
    count(client, merchant, owner, beijing, sku, 5)
    count(client, merchant, owner, guangzhou, sku, 5)
    place_order(buyer, [(sku, 1)], address=SHENZHEN)
    assert levels(sku) == {beijing["id"]: 5, guangzhou["id"]: 4}
    place_order(buyer, [(sku, 1)], address={**TEST_ADDRESS, "province": "河北", "city": "保定"})
    assert levels(sku) == {beijing["id"]: 4, guangzhou["id"]: 4}


def test_cancel_and_refund_put_stock_back_where_it_came_from(client, merchant, owner, buyer, two):
    sh, gz, sku = two
    order = place_order(buyer, [(sku, 5)])  # 3 from 上海仓, 2 from 广州仓
    assert levels(sku) == {sh: 0, gz: 3}
    cancel_order(order)
    assert levels(sku) == {sh: 3, gz: 5}
    assert_whole(sku)
    paid = pay_order(place_order(buyer, [(sku, 4)]))  # 3 + 1
    assert levels(sku) == {sh: 0, gz: 4}
    line = OrderLine.get(OrderLine.order == paid.id)
    refund_order(paid, {line: 1})  # the latest taken goes back first: 广州仓
    assert levels(sku) == {sh: 0, gz: 5}
    refund_order(paid)
    assert levels(sku) == {sh: 3, gz: 5}
    assert_whole(sku)
    released = WarehouseAllocation.select().where(WarehouseAllocation.reference_id == paid.number)
    assert all(x.released == x.quantity for x in released)


def test_a_sku_without_warehouse_stock_uses_its_own(client, merchant, owner, buyer, two):
    plain = skus_of(make_product(merchant, name="plain", prices=(500,), stocks=(4,)))[0]
    order = place_order(buyer, [(plain, 3)])
    assert Sku.get_by_id(plain.id).stock == 1
    cancel_order(order)
    assert Sku.get_by_id(plain.id).stock == 4


def test_concurrent_orders_never_take_a_warehouse_below_zero(app, merchant, buyer, two):
    sh, gz, sku = two

    def buy(i):
        return place_order(buyer, [(sku, 1)], address=TEST_ADDRESS)

    results = concurrently(app, buy, 12)
    sold = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(sold) == 8
    # Refused at the allocation (OutOfStock) or, once the stock read 0, at the checkout's
    # availability check (a Conflict): the buyer gets the same 409 out_of_stock either way.
    assert all(getattr(e, "code", None) == "out_of_stock" for e in refused), refused
    assert levels(sku) == {sh: 0, gz: 0}
    assert_whole(sku)
    allocated = WarehouseAllocation.select().where(WarehouseAllocation.sku_id == sku.id)
    assert sum(x.quantity for x in allocated) == 8


def test_a_transfer_moves_stock_through_its_states(client, merchant, owner, two):
    sh, gz, sku = two
    r = client.post(
        base(merchant, "/transfers"),
        json={"source_id": gz, "target_id": sh, "lines": [{"sku_id": sku.id, "quantity": 4}]},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.json
    t = r.json
    assert t["status"] == "draft" and t["number"].startswith("TR")
    step = lambda name: client.post(  # noqa: E731
        base(merchant, f"/transfers/{t['id']}/{name}"), headers=owner.headers
    )
    assert step("ship").status_code == 409  # not approved yet
    assert step("approve").json["status"] == "approved"
    assert levels(sku) == {sh: 3, gz: 5}  # approval moves nothing
    assert step("ship").json["status"] == "shipped"
    assert levels(sku) == {sh: 3, gz: 1}
    assert Sku.get_by_id(sku.id).stock == 4  # on the road: not sellable
    assert step("ship").status_code == 409  # exactly once
    done = step("receive").json
    assert done["status"] == "received"
    assert [h["status"] for h in done["history"]] == ["draft", "approved", "shipped", "received"]
    assert levels(sku) == {sh: 7, gz: 1}
    assert_whole(sku)
    rows = list(WarehouseMovement.select().where(WarehouseMovement.reference_id == t["number"]))
    assert sorted((m.warehouse_id, m.quantity, m.reason) for m in rows) == sorted(
        [(gz, -4, "transfer_out"), (sh, 4, "transfer_in")]
    )
    assert step("cancel").status_code == 409  # received is final


def test_cancelling_a_shipped_transfer_puts_the_stock_back(client, merchant, owner, two):
    sh, gz, sku = two
    t = client.post(
        base(merchant, "/transfers"),
        json={"source_id": sh, "target_id": gz, "lines": [{"sku_id": sku.id, "quantity": 2}]},
        headers=owner.headers,
    ).json
    for name in ("approve", "ship"):
        client.post(base(merchant, f"/transfers/{t['id']}/{name}"), headers=owner.headers)
    assert levels(sku) == {sh: 1, gz: 5}
    r = client.post(base(merchant, f"/transfers/{t['id']}/cancel"), headers=owner.headers)
    assert r.json["status"] == "cancelled"
    assert levels(sku) == {sh: 3, gz: 5}
    assert_whole(sku)
    # A transfer of more than the source holds is refused at shipping, nothing moved.
    big = client.post(
        base(merchant, "/transfers"),
        json={"source_id": sh, "target_id": gz, "lines": [{"sku_id": sku.id, "quantity": 9}]},
        headers=owner.headers,
    ).json
    client.post(base(merchant, f"/transfers/{big['id']}/approve"), headers=owner.headers)
    r = client.post(base(merchant, f"/transfers/{big['id']}/ship"), headers=owner.headers)
    assert r.status_code == 409 and r.json["code"] == "out_of_stock"
    assert (
        client.get(base(merchant, f"/transfers/{big['id']}"), headers=owner.headers).json["status"]
        == "approved"
    )
    assert levels(sku) == {sh: 3, gz: 5}


def test_two_ships_of_one_transfer_at_once_move_stock_once(app, merchant, owner, two):
    sh, gz, sku = two
    t = service.create_transfer(
        merchant.id,
        {"source_id": gz, "target_id": sh, "lines": [{"sku_id": sku.id, "quantity": 2}]},
    )
    service.step_transfer(merchant.id, t.id, "approve")
    results = concurrently(app, lambda i: service.step_transfer(merchant.id, t.id, "ship"), 4)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    assert levels(sku) == {sh: 3, gz: 3}
    assert_whole(sku)


def test_only_the_store_staff_see_its_warehouses(
    client, merchant, other_merchant, owner, buyer, two
):
    sh, gz, sku = two
    assert client.get(base(merchant), headers=buyer.headers).status_code == 404
    stranger = other_merchant.owner_account.headers
    assert client.get(base(merchant, f"/{sh}/stock"), headers=stranger).status_code == 404
    theirs = skus_of(make_product(other_merchant))[0]
    r = client.put(
        base(merchant, f"/{sh}/stock/{theirs.id}"), json={"quantity": 1}, headers=owner.headers
    )
    assert r.status_code == 404
    r = client.post(
        base(merchant, "/transfers"),
        json={"source_id": sh, "target_id": sh, "lines": [{"sku_id": sku.id, "quantity": 1}]},
        headers=owner.headers,
    )
    assert r.status_code == 422
    moves = client.get(base(merchant, f"/{sh}/movements"), headers=owner.headers).json
    assert moves[0]["reason"] == "stocktake" and moves[0]["balance_after"] == 3


def test_the_console_lists_warehouses_and_transfers_with_their_steps(client, merchant, owner, two):
    sh, gz, sku = two
    pages = client.get(f"/api/v1/merchants/{merchant.id}/console", headers=owner.headers).json
    by_id = {p["id"]: p for p in pages["pages"]}
    transfers = by_id["warehouses/transfers"]
    assert {a["key"]: a["when"] for a in transfers["actions"]}["ship"] == {"status": ["approved"]}
    # The list path and an action path answer as the console calls them.
    path = transfers["path"].replace("{merchant_id}", str(merchant.id))
    created = client.post(
        f"/api/v1{path}",
        json={"source_id": sh, "target_id": gz, "lines": [{"sku_id": sku.id, "quantity": 1}]},
        headers=owner.headers,
    ).json
    approve = next(a for a in transfers["actions"] if a["key"] == "approve")["path"]
    url = approve.replace("{merchant_id}", str(merchant.id)).replace("{id}", str(created["id"]))
    assert client.post(f"/api/v1{url}", headers=owner.headers).json["status"] == "approved"
    assert "warehouses/warehouses" in by_id


def test_an_exchange_takes_the_return_back_where_it_came_from_and_the_replacement_out(
    client, merchant, owner, buyer, two, enable_plugin
):
    from mallkit.core.orders import service as orders
    from mallkit.core.orders.machine import Actor
    from mallkit.core.orders.models import Order
    from mallkit.plugins.aftersales import service as aftersales

    sh, gz, sku = two
    address = {**TEST_ADDRESS, "phone": "021-00000000", "recipient": "售后部"}
    with (
        enable_plugin("payment_manual", merchant, {"bank_account": "TEST 0000"}),
        enable_plugin("aftersales", merchant, {"return_address": address}),
    ):
        order = pay_order(place_order(buyer, [(sku, 2)]))  # both from 上海仓
        orders.ship(order, Actor("staff"), carrier="SF", tracking_number="SF1")
        order = orders.confirm_receipt(Order.get_by_id(order.id), Actor("buyer", buyer.user.id))
        assert levels(sku) == {sh: 1, gz: 5}
        line = OrderLine.get(OrderLine.order == order.id)
        staff, customer = Actor("staff", owner.user.id), Actor("buyer", buyer.user.id)
        case = aftersales.apply(
            order,
            {"order_line_id": line.id, "type": "exchange", "quantity": 1, "reason": "商品质量问题"},
            customer,
        )
        case = aftersales.ship_back(aftersales.approve(case, staff), customer, "SF", "SF2")
        case = aftersales.receive(case, staff)  # the returned unit: back into 上海仓
        assert levels(sku) == {sh: 2, gz: 5}
        assert_whole(sku)
        aftersales.reship(case, staff, "SF", "SF3")  # the replacement: from 上海仓 again
        assert levels(sku) == {sh: 1, gz: 5}
        assert_whole(sku)


def test_stock_given_back_for_an_order_placed_before_the_sku_was_warehoused_lands_in_one(
    client, merchant, owner, buyer, warehouses
):
    sku = skus_of(make_product(merchant, prices=(1000,), stocks=(10,)))[0]
    order = place_order(buyer, [(sku, 4)])  # the SKU's own stock: 6 left
    first = add(client, merchant, owner, name="主仓", priority=5)
    second = add(client, merchant, owner, name="备仓", priority=1)
    count(client, merchant, owner, second, sku, 2)
    count(client, merchant, owner, first, sku, 6)
    assert Sku.get_by_id(sku.id).stock == 8
    cancel_order(order)  # taken from no warehouse: back into the highest-priority one
    assert levels(sku) == {first["id"]: 10, second["id"]: 2}
    assert_whole(sku)


def test_the_catalog_stocktake_and_adjustments_refuse_a_warehoused_sku(
    client, merchant, owner, two
):
    sh, gz, sku = two
    plain = skus_of(make_product(merchant, name="plain", prices=(500,), stocks=(4,)))[0]
    stock_url = f"/api/v1/merchants/{merchant.id}/stock"
    before = StockMovement.select().count()
    for tail, body in (
        (
            "/stocktake",
            {"lines": [{"sku_id": plain.id, "counted": 9}, {"sku_id": sku.id, "counted": 20}]},
        ),
        ("/adjust", {"lines": [{"sku_id": plain.id, "delta": 1}, {"sku_id": sku.id, "delta": -2}]}),
    ):
        r = client.post(stock_url + tail, json=body, headers=owner.headers)
        assert r.status_code == 409 and r.json["code"] == "warehoused_sku", r.json
        assert r.json["errors"] == {str(sku.id): ["Counted per warehouse."]}
    assert StockMovement.select().count() == before and Sku.get_by_id(plain.id).stock == 4
    assert levels(sku) == {sh: 3, gz: 5}
    assert_whole(sku)
    r = client.post(
        stock_url + "/adjust",
        json={"lines": [{"sku_id": plain.id, "delta": 1}]},
        headers=owner.headers,
    )
    assert r.status_code == 200 and Sku.get_by_id(plain.id).stock == 5


def test_a_first_stock_take_racing_sales_keeps_the_sum(
    app, client, merchant, owner, buyer, warehouses
):
    first = add(client, merchant, owner, name="主仓", priority=5)
    for _ in range(4):
        sku = skus_of(make_product(merchant, prices=(1000,), stocks=(50,)))[0]

        def work(i, sku=sku):
            if i == 0:
                return service.set_stock(merchant.id, first["id"], sku.id, 20)
            return place_order(buyer, [(sku, 1)])

        results = concurrently(app, work, 6)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert_whole(sku)
