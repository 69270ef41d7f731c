"""Stored value: recharges are virtual orders paid through any channel; the ``balance``
channel pays orders, refunds go back to the balance; refunding a recharge removes its bonus
and is refused when the balance no longer covers it."""

from __future__ import annotations

from mallkit.core.orders.models import Order
from mallkit.core.payments.models import PaymentAttempt
from mallkit.core.testing import pay_order, place_order, refund_order, run_tasks
from mallkit.plugins.membership import wallet
from mallkit.plugins.membership.models import BalanceEntry, Member, Recharge, RechargePackage


def member(merchant, buyer):
    return Member.get(Member.merchant_id == merchant.id, Member.user_id == buyer.user.id)


def ledger_sum(merchant, buyer):
    rows = BalanceEntry.select().where(
        (BalanceEntry.merchant_id == merchant.id) & (BalanceEntry.user_id == buyer.user.id)
    )
    return sum(r.delta for r in rows), sum(r.frozen_delta for r in rows)


def package(merchant, amount=10000, bonus=2000):
    return RechargePackage.create(
        merchant_id=merchant.id,
        title=f"充{amount // 100}送{bonus // 100}",
        amount=amount,
        bonus=bonus,
    )


def recharge(client, merchant, buyer, pkg):
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/membership/recharges",
        json={"package_id": pkg.id},
        headers=buyer.headers,
    )
    assert r.status_code == 201, r.json
    return r.json


def pay_with_balance(client, buyer, order):
    return client.post(
        f"/api/v1/orders/{order.id}/payments",
        json={"channel": "balance", "method": ""},
        headers=buyer.headers,
    )


def test_a_paid_recharge_credits_amount_and_bonus_once_and_completes(
    client, membership, merchant, buyer
):
    pkg = package(merchant)
    started = recharge(client, merchant, buyer, pkg)
    order = Order.get_by_id(started["order_id"])
    assert (order.total, order.shipping_method, order.status) == (
        10000,
        "virtual",
        "pending_payment",
    )
    pay_order(order)  # any channel: here the manual one
    assert Order.get_by_id(order.id).status == "completed"
    assert Recharge.get_by_id(started["id"]).status == "credited"
    assert (member(merchant, buyer).balance, member(merchant, buyer).total_spent) == (12000, 0)
    assert ledger_sum(merchant, buyer) == (12000, 0)
    me = client.get(f"/api/v1/merchants/{merchant.id}/membership/me", headers=buyer.headers).json
    assert me["balance"] == 12000 and me["points"] == 0  # a recharge earns no points


def test_a_recharge_cannot_be_paid_with_balance(client, membership, merchant, buyer):
    wallet.move(merchant.id, buyer.user.id, 50000, "adjust", key="seed")
    started = recharge(client, merchant, buyer, package(merchant))
    r = pay_with_balance(client, buyer, Order.get_by_id(started["order_id"]))
    assert r.status_code == 422 and r.json["code"] == "balance_not_for_recharge"
    assert member(merchant, buyer).balance == 50000


def test_an_order_paid_with_balance_and_refunded_goes_back_to_the_balance(
    client, membership, merchant, buyer, sku
):
    wallet.move(merchant.id, buyer.user.id, 15000, "adjust", key="seed")
    order = place_order(buyer, [(sku, 1)])
    r = pay_with_balance(client, buyer, order)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "paid"
    assert Order.get_by_id(order.id).status == "paid"
    assert member(merchant, buyer).balance == 5000
    assert member(merchant, buyer).points == 100  # balance payments earn like any other
    refund = refund_order(Order.get_by_id(order.id))
    assert refund.status == "succeeded"
    assert member(merchant, buyer).balance == 15000
    assert ledger_sum(merchant, buyer) == (15000, 0)


def test_paying_with_too_little_balance_is_refused_and_takes_nothing(
    client, membership, merchant, buyer, sku
):
    wallet.move(merchant.id, buyer.user.id, 9999, "adjust", key="seed")
    order = place_order(buyer, [(sku, 1)])
    r = pay_with_balance(client, buyer, order)
    assert r.status_code == 409 and r.json["code"] == "balance_insufficient"
    assert Order.get_by_id(order.id).status == "pending_payment"
    assert member(merchant, buyer).balance == 9999
    assert PaymentAttempt.get(PaymentAttempt.order == order.id).status == "failed"


def test_refunding_a_recharge_removes_its_bonus(client, membership, merchant, buyer, owner):
    started = recharge(client, merchant, buyer, package(merchant))
    pay_order(Order.get_by_id(started["order_id"]))
    wallet.move(merchant.id, buyer.user.id, 500, "adjust", key="other money")
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/membership/recharges/{started['id']}/refund",
        headers=owner.headers,
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "refunding"
    m = member(merchant, buyer)
    assert (m.balance, m.frozen) == (500, 12000)
    run_tasks()  # the refund goes to the channel
    m = member(merchant, buyer)
    assert (m.balance, m.frozen) == (500, 0)
    assert Recharge.get_by_id(started["id"]).status == "refunded"
    assert Order.get_by_id(started["order_id"]).status == "closed"
    assert ledger_sum(merchant, buyer) == (500, 0)


def test_refunding_a_spent_recharge_is_refused_and_writes_nothing(
    client, membership, merchant, buyer, owner, sku
):
    started = recharge(client, merchant, buyer, package(merchant))
    pay_order(Order.get_by_id(started["order_id"]))
    assert pay_with_balance(client, buyer, place_order(buyer, [(sku, 1)])).status_code == 201
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/membership/recharges/{started['id']}/refund",
        headers=owner.headers,
    )
    assert r.status_code == 409 and r.json["code"] == "balance_insufficient"
    assert Recharge.get_by_id(started["id"]).status == "credited"
    assert (member(merchant, buyer).balance, member(merchant, buyer).frozen) == (2000, 0)
    assert Order.get_by_id(started["order_id"]).refunded_amount == 0


def test_buyers_refund_nothing_and_see_only_their_recharges(
    client, membership, merchant, buyer, other_buyer
):
    started = recharge(client, merchant, buyer, package(merchant))
    url = f"/api/v1/merchants/{merchant.id}/membership/recharges"
    assert [r["id"] for r in client.get(url, headers=buyer.headers).json] == [started["id"]]
    assert client.get(url, headers=other_buyer.headers).json == []
    r = client.post(f"{url}/{started['id']}/refund", headers=buyer.headers)
    assert r.status_code == 403


def test_a_recharge_refunded_through_the_core_takes_back_what_the_balance_still_has(
    client, membership, merchant, buyer, owner, sku
):
    started = recharge(client, merchant, buyer, package(merchant))
    pay_order(Order.get_by_id(started["order_id"]))
    assert pay_with_balance(client, buyer, place_order(buyer, [(sku, 1)])).status_code == 201
    assert member(merchant, buyer).balance == 2000
    refund_order(Order.get_by_id(started["order_id"]))  # staff, the core's own refund route
    m = member(merchant, buyer)
    assert (m.balance, m.frozen) == (0, 0)  # 12000 wanted, 2000 left: never below zero
    assert Recharge.get_by_id(started["id"]).status == "refunded"
    assert ledger_sum(merchant, buyer) == (0, 0)
