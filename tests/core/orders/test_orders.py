"""Orders: who sees what, the state machine with plugin states and guards, staff actions,
statistics."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.catalog.models import Sku
from mallkit.core.checkout import service as checkout
from mallkit.core.errors import Conflict
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import SYSTEM, Actor, transition
from mallkit.core.orders.models import Order, OrderEvent, OrderLine
from mallkit.core.testing import make_account
from tests.core.orders.conftest import ADDRESS, pay_manually
from tests.sample_plugins import order_flow


def place(buyer, address, skus, quantities=(2, 1)):
    items = [{"sku_id": s.id, "quantity": q} for s, q in zip(skus, quantities, strict=False)]
    (order,) = checkout.place(buyer.user, {"items": items, "address_id": address.id})
    return order


pay = pay_manually


def test_a_buyer_never_reaches_another_buyers_order(
    client, buyer, other_buyer, merchant, other_merchant, skus, address, manual
):
    order = place(buyer, address, skus)
    assert client.get(f"/api/v1/orders/{order.id}", headers=buyer.headers).status_code == 200
    for method, path in (
        ("get", ""),
        ("post", "/cancel"),
        ("post", "/confirm"),
        ("get", "/payments"),
    ):
        r = getattr(client, method)(f"/api/v1/orders/{order.id}{path}", headers=other_buyer.headers)
        assert r.status_code == 404, path
    r = client.post(
        f"/api/v1/orders/{order.id}/payments",
        json={"channel": "manual", "method": "transfer"},
        headers=other_buyer.headers,
    )
    assert r.status_code == 404
    assert client.get("/api/v1/orders", headers=other_buyer.headers).json == []
    # Staff of another merchant, and buyers, are kept out of the merchant's desk.
    other_owner = other_merchant.owner_account
    for who in (other_owner, buyer):
        r = client.get(f"/api/v1/merchants/{merchant.id}/orders/{order.id}", headers=who.headers)
        assert r.status_code == 403
    r = client.get(
        f"/api/v1/merchants/{other_merchant.id}/orders/{order.id}", headers=other_owner.headers
    )
    assert r.status_code == 404
    assert Order.get_by_id(order.id).status == "pending_payment"


def test_cancel_restores_stock_once_and_only_before_payment(
    client, buyer, merchant, skus, address, manual
):
    before = [Sku.get_by_id(s.id).stock for s in skus]
    order = place(buyer, address, skus)
    r = client.post(f"/api/v1/orders/{order.id}/cancel", json={}, headers=buyer.headers)
    assert r.status_code == 200 and r.json["status"] == "cancelled"
    r = client.post(f"/api/v1/orders/{order.id}/cancel", json={}, headers=buyer.headers)
    assert r.status_code == 409 and r.json["code"] == "invalid_transition"
    assert [Sku.get_by_id(s.id).stock for s in skus] == before
    paid = pay(merchant, place(buyer, address, skus))
    r = client.post(f"/api/v1/orders/{paid.id}/cancel", json={}, headers=buyer.headers)
    assert r.status_code == 409
    r = client.post(f"/api/v1/orders/{paid.id}/confirm", headers=buyer.headers)
    assert r.status_code == 409  # not shipped yet


def test_staff_change_the_price_once_before_payment(
    client, owner, buyer, merchant, skus, address, manual
):
    order = place(buyer, address, skus)  # 2 × 1990 + 2990 = 6970
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}"
    for total in (0, -5):
        assert (
            client.post(f"{base}/price", json={"total": total}, headers=owner.headers).status_code
            == 422
        )
    r = client.post(
        f"{base}/price", json={"total": 6000, "reason": "老客户"}, headers=owner.headers
    )
    assert r.status_code == 200 and r.json["total"] == 6000 and r.json["price_changed"]
    lines = OrderLine.select().where(OrderLine.order == order.id)
    assert sum(ln.pay_amount for ln in lines) == 6000
    assert sorted(ln.other_discount for ln in lines) == [416, 554]
    r = client.post(f"{base}/price", json={"total": 5000}, headers=owner.headers)
    assert r.status_code == 409 and r.json["code"] == "price_already_changed"
    assert pay(merchant, Order.get_by_id(order.id)).paid_amount == 6000
    agent = make_account(email="agent@x.io")
    from mallkit.core.accounts.merchants.service import add_staff

    add_staff(merchant, agent.user.email, "agent")
    r = client.post(f"{base}/notes", json={"note": "客户要求周末送货"}, headers=agent.headers)
    assert r.status_code == 200 and "周末送货" in r.json["staff_note"]
    r = client.post(f"{base}/address", json={"address": ADDRESS}, headers=agent.headers)
    assert r.status_code == 403


def test_address_changes_only_before_shipping(
    client, owner, buyer, merchant, skus, address, manual
):
    order = pay(merchant, place(buyer, address, skus))
    base = f"/api/v1/merchants/{merchant.id}/orders/{order.id}"
    new = {**ADDRESS, "detail": "南京路 1 号"}
    r = client.post(f"{base}/address", json={"address": new}, headers=owner.headers)
    assert r.status_code == 200 and r.json["address"]["detail"] == "南京路 1 号"
    client.post(
        f"{base}/ship", json={"carrier": "SF", "tracking_number": "SF-77"}, headers=owner.headers
    )
    r = client.post(f"{base}/address", json={"address": ADDRESS}, headers=owner.headers)
    assert r.status_code == 409 and r.json["code"] == "already_shipped"
    r = client.post(
        f"{base}/ship", json={"carrier": "", "tracking_number": "x"}, headers=owner.headers
    )
    assert r.status_code == 422


def test_plugins_add_states_guard_transitions_and_react_in_the_transaction(
    app, owner, buyer, merchant, skus, address, manual, enable_plugin
):
    order_flow.reset()
    with enable_plugin(order_flow, merchant):
        order = pay(merchant, place(buyer, address, skus))
        transition(order, "held_for_review", SYSTEM, reason="review")
        with pytest.raises(Conflict):  # a held order cannot ship
            orders.ship(
                Order.get_by_id(order.id),
                Actor("staff", owner.user.id),
                carrier="SF",
                tracking_number="SF-1",
            )
        with pytest.raises(Conflict) as exc:  # only the system moves it on
            transition(Order.get_by_id(order.id), "paid", Actor("staff", owner.user.id))
        assert exc.value.code == "invalid_transition"
        transition(Order.get_by_id(order.id), "paid", SYSTEM, reason="review passed")
        order_flow.HOLD_SHIPPING.add(order.id)
        with pytest.raises(Conflict) as exc:
            orders.ship(
                Order.get_by_id(order.id),
                Actor("staff", owner.user.id),
                carrier="SF",
                tracking_number="SF-2",
            )
        assert exc.value.code == "shipping_held"
        assert OrderLine.get(OrderLine.order == order.id).shipped_quantity == 0  # rolled back
        order_flow.HOLD_SHIPPING.clear()
        order_flow.FAIL_ON.add("shipped")
        with pytest.raises(RuntimeError):
            orders.ship(
                Order.get_by_id(order.id),
                Actor("staff", owner.user.id),
                carrier="SF",
                tracking_number="SF-3",
            )
        assert Order.get_by_id(order.id).status == "paid"
        order_flow.FAIL_ON.clear()
        orders.ship(
            Order.get_by_id(order.id),
            Actor("staff", owner.user.id),
            carrier="SF",
            tracking_number="SF-4",
        )
        # The hook saw the refused shipping too (then raised, and it was rolled back).
        assert [c[1:3] for c in order_flow.CHANGES if c[0] == order.id] == [
            ("pending_payment", "paid"),
            ("paid", "held_for_review"),
            ("held_for_review", "paid"),
            ("paid", "shipped"),
            ("paid", "shipped"),
        ]
    # Without the plugin its state is unknown to the machine.
    other = pay(merchant, place(buyer, address, skus, (1,)), ref="n")
    with pytest.raises(Conflict):
        transition(other, "held_for_review", SYSTEM)
    events = [
        e.action
        for e in OrderEvent.select().where(OrderEvent.order == order.id).order_by(OrderEvent.id)
    ]
    assert events == ["placed", "pay", "hold_for_review", "review_passed", "shipment", "ship"]


def test_staff_search_and_statistics(
    client, owner, buyer, other_buyer, merchant, skus, address, manual
):
    from mallkit.core.accounts.service import save_address

    first = pay(merchant, place(buyer, address, skus, (1,)))  # 1990
    other_address = save_address(other_buyer.user, ADDRESS)
    second = pay(merchant, place(other_buyer, other_address, skus, (2,)), ref="o")  # 3980
    place(buyer, address, skus, (1,))  # unpaid: not in the statistics
    base = f"/api/v1/merchants/{merchant.id}"
    r = client.get(f"{base}/orders?status=paid", headers=owner.headers)
    assert sorted(o["id"] for o in r.json) == sorted([first.id, second.id])
    r = client.get(f"{base}/orders?buyer={other_buyer.user.email}", headers=owner.headers)
    assert [o["id"] for o in r.json] == [second.id]
    r = client.get(f"{base}/orders?number={first.number}", headers=owner.headers)
    assert [o["id"] for o in r.json] == [first.id]
    r = client.get(f"{base}/orders?page_size=1", headers=owner.headers)
    assert len(r.json) == 1 and '"total": 3' in r.headers["X-Pagination"]
    today = dt.datetime.now(dt.UTC).date()
    r = client.get(
        f"{base}/order-stats?period=month&start={today - dt.timedelta(days=40)}"
        f"&end={today + dt.timedelta(days=1)}",
        headers=owner.headers,
    )
    assert r.status_code == 200
    assert (r.json["count"], r.json["sales"], r.json["average_order_value"]) == (2, 5970, 2985)
    assert sum(b["count"] for b in r.json["buckets"]) == 2
    r = client.get(
        f"{base}/order-stats?period=day&start={today}&end={today}", headers=owner.headers
    )
    assert r.json["timezone"] == "Asia/Shanghai"
    r = client.get(
        f"{base}/order-stats?period=decade&start={today}&end={today}", headers=owner.headers
    )
    assert r.status_code == 422
    r = client.get(
        f"{base}/order-stats?period=day&start={today}&end={today - dt.timedelta(days=1)}",
        headers=owner.headers,
    )
    assert r.status_code == 422


def test_related_products_put_what_was_bought_together_first(
    client, buyer, merchant, address, manual
):
    from tests.core.orders.conftest import make_product, skus_of

    tea, cup, pot, mug = (skus_of(make_product(merchant, n))[0] for n in ("茶", "杯", "壶", "碗"))
    for pair in ((tea, cup), (tea, cup), (tea, pot)):
        pay(merchant, place(buyer, address, pair, (1, 1)))
    place(buyer, address, (tea, mug), (1, 1))  # unpaid: does not count
    r = client.get(f"/api/v1/products/{tea.product_id}/related")
    ids = [p["id"] for p in r.json]
    assert ids[:2] == [cup.product_id, pot.product_id]


def test_staff_search_reads_times_with_an_offset_as_what_they_say(
    client, owner, buyer, merchant, skus, address
):
    order = place(buyer, address, skus, (1,))
    shanghai = dt.timezone(dt.timedelta(hours=8))
    just_before = (order.placed_at - dt.timedelta(minutes=1)).replace(tzinfo=dt.UTC)
    base = f"/api/v1/merchants/{merchant.id}/orders"
    for stamp in (just_before, just_before.astimezone(shanghai)):
        r = client.get(base, query_string={"placed_from": stamp.isoformat()}, headers=owner.headers)
        assert [o["id"] for o in r.json] == [order.id], stamp.isoformat()
    r = client.get(
        base,
        query_string={"placed_to": just_before.astimezone(shanghai).isoformat()},
        headers=owner.headers,
    )
    assert r.json == []
