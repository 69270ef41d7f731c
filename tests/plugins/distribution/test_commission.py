"""Commission: who earns, how much, when it settles, and how refunds take it back."""

from __future__ import annotations

import pytest

from mallkit.core.orders.models import OrderLine
from mallkit.core.testing import make_product, pay_order, place_order, refund_order, skus_of
from mallkit.plugins.distribution import commission, promoters, wallet
from mallkit.plugins.distribution.models import Commission, ProductRule, PromoterGroup
from tests.plugins.distribution.conftest import (
    buy,
    chain,
    complete,
    ledger_sum,
    listener,
    promote,
    reload,
    settle_all,
)


def order_commission(order):
    return sum(c.amount for c in Commission.select().where(Commission.order_id == order.id))


def records(order):
    return {
        (c.level, c.promoter_id): c
        for c in Commission.select().where(Commission.order_id == order.id)
    }


def test_a_three_deep_chain_pays_only_two_levels(dist, merchant, people, sku):
    a, b, c, d = people(4)
    pa, pb, pc = chain(merchant, [a, b, c])
    promoters.bind(merchant.id, d.user.id, pc, "code")
    order = buy(d, sku)  # pays 10000
    got = records(order)
    assert set(got) == {(1, pc.id), (2, pb.id)}  # a, three levels up, earns nothing
    assert got[(1, pc.id)].amount == 1000 and got[(2, pb.id)].amount == 500
    assert all(r.status == "frozen" for r in got.values())


def test_frozen_until_settle_days_after_completion_then_withdrawable_exactly_once(
    dist, merchant, people, sku
):
    top, buyer = people(2)
    p = promote(merchant, top)
    promoters.bind(merchant.id, buyer.user.id, p, "code")
    order = complete(buy(buyer, sku))
    settle_all(days=6)  # not due yet
    assert reload(p).balance == 0 and records(order)[(1, p.id)].status == "frozen"
    settle_all(days=8)
    settle_all(days=9)  # nothing left to do
    assert commission.settle(order) == 0  # a second worker finds nothing frozen
    assert reload(p).balance == 1000 == ledger_sum(p.id)
    (record,) = records(order).values()
    assert record.status == "settled" and record.settled == 1000
    assert ("settled", record.id, 1000) in listener.EVENTS


def test_a_frozen_promoter_earns_nothing_new_but_the_other_level_does(dist, merchant, people, sku):
    a, b, buyer = people(3)
    pa, pb = chain(merchant, [a, b])
    promoters.bind(merchant.id, buyer.user.id, pb, "code")
    order = buy(buyer, sku)
    promoters.update_promoter(merchant.id, pb.id, {"status": "frozen"}, actor_id=None)
    second = buy(buyer, sku)
    assert set(records(order)) == {(1, pb.id), (2, pa.id)}
    assert set(records(second)) == {(2, pa.id)}
    # what pb earned before being frozen still settles
    complete(order)
    settle_all()
    assert reload(pb).balance == 1000


def test_group_rates_product_rules_and_rounding_down_per_line(dist, merchant, people, sku):
    top, buyer = people(2)
    group = PromoterGroup.create(merchant_id=merchant.id, name="高级", level1_bp=333, level2_bp=0)
    p = promote(merchant, top, group_id=group.id)
    promoters.bind(merchant.id, buyer.user.id, p, "code")
    cheap = skus_of(make_product(merchant, "cheap", prices=(999,)))[0]
    fixed = skus_of(make_product(merchant, "fixed", prices=(500,)))[0]
    ProductRule.create(
        merchant_id=merchant.id, product_id=fixed.product_id, mode="fixed", level1=200, level2=0
    )
    order = pay_order(place_order(buyer, [(cheap, 3), (fixed, 4), (sku, 1)]))
    by_line = {
        line.sku_id: Commission.get(Commission.order_line_id == line.id).amount
        for line in OrderLine.select().where(OrderLine.order == order.id)
    }
    assert by_line[cheap.id] == 2997 * 333 // 10_000 == 99  # 99.8001 rounded down
    assert by_line[fixed.id] == min(2000, 200 * 4) == 800
    assert by_line[sku.id] == 333
    assert order_commission(order) == sum(by_line.values()) == 1232


def test_freight_is_excluded_unless_configured(dist, merchant, people, sku):
    top, buyer = people(2)
    p = promote(merchant, top)
    promoters.bind(merchant.id, buyer.user.id, p, "code")
    order = buy(buyer, sku)
    line = OrderLine.get(OrderLine.order == order.id)
    record = Commission.get(Commission.order_line_id == line.id)
    assert record.base == line.pay_amount - line.freight_share


def test_self_purchase_commission_is_level_one_when_configured(dist, merchant, people, sku):
    a, b = people(2)
    pa, pb = chain(merchant, [a, b])
    assert set(records(buy(b, sku))) == {(1, pa.id)}  # off: the upline is level 1
    dist(self_commission=True)
    assert set(records(buy(b, sku))) == {(1, pb.id), (2, pa.id)}


def test_one_level_store_pays_only_level_one(dist, merchant, people, sku):
    dist(levels=1)
    a, b, buyer = people(3)
    pa, pb = chain(merchant, [a, b])
    promoters.bind(merchant.id, buyer.user.id, pb, "code")
    assert set(records(buy(buyer, sku))) == {(1, pb.id)}


def test_refund_before_settlement_cancels_the_refunded_share(dist, merchant, people, sku):
    top, buyer = people(2)
    p = promote(merchant, top)
    promoters.bind(merchant.id, buyer.user.id, p, "code")
    order = buy(buyer, sku, quantity=3)  # 30000 paid, commission 3000
    line = OrderLine.get(OrderLine.order == order.id)
    refund_order(order, {line: 1})
    (record,) = records(order).values()
    assert (record.amount, record.cancelled, record.status) == (3000, 1000, "frozen")
    refund_order(order)  # the rest
    record = Commission.get_by_id(record.id)
    assert (record.cancelled, record.status) == (3000, "cancelled")
    assert reload(p).balance == 0 == ledger_sum(p.id)


def test_refund_after_settlement_takes_from_balance_then_records_debt(dist, merchant, people, sku):
    top, buyer = people(2)
    p = promote(merchant, top)
    promoters.bind(merchant.id, buyer.user.id, p, "code")
    first = complete(buy(buyer, sku, quantity=2))  # 2000 commission
    settle_all()
    assert reload(p).balance == 2000
    wallet.request_withdrawal(
        reload(p), {"amount": 1500, "channel": "manual_bank", "account": ACCOUNT}, None
    )
    assert reload(p).balance == 500
    refund_order(first)  # all 2000 taken back: 500 from the balance, 1500 as debt
    p = reload(p)
    assert (p.balance, p.debt) == (0, 1500)
    assert ledger_sum(p.id) == 0
    reversed_events = [e for e in listener.EVENTS if e[0] == "reversed"]
    assert reversed_events and reversed_events[0][2:] == (2000, True)
    # later commission pays the debt off first
    second = complete(buy(buyer, sku, quantity=2))
    settle_all()
    p = reload(p)
    assert (p.balance, p.debt) == (500, 0) and ledger_sum(p.id) == 500
    assert Commission.get(Commission.order_id == second.id).settled == 2000


def test_held_lines_wait_and_settle_later(dist, merchant, people, sku):
    top, buyer = people(2)
    p = promote(merchant, top)
    promoters.bind(merchant.id, buyer.user.id, p, "code")
    order = complete(buy(buyer, sku))
    line = OrderLine.get(OrderLine.order == order.id)
    listener.HELD.add(line.id)  # an open after-sale case on the line
    settle_all(days=8)
    assert reload(p).balance == 0
    listener.HELD.clear()
    settle_all(days=10)  # looked at again a day later
    assert reload(p).balance == 1000


def test_orders_of_unbound_buyers_earn_nothing(dist, merchant, people, sku):
    (buyer,) = people(1)
    order = buy(buyer, sku)
    assert not records(order)


ACCOUNT = {"bank": "招商银行", "account_name": "张三", "account_no": "6225000000000000"}


@pytest.mark.parametrize("n_lines", [50])
def test_sum_over_lines_is_the_orders_commission_for_many_lines(dist, merchant, people, n_lines):
    top, buyer = people(2)
    p = promote(merchant, top)
    promoters.bind(merchant.id, buyer.user.id, p, "code")
    product = make_product(
        merchant, "many", prices=tuple(101 + 7 * i for i in range(n_lines)), stocks=(100,) * n_lines
    )
    order = pay_order(place_order(buyer, [(s, 1 + i % 3) for i, s in enumerate(skus_of(product))]))
    lines = list(OrderLine.select().where(OrderLine.order == order.id))
    expected = sum((ln.pay_amount - ln.freight_share) * 1000 // 10_000 for ln in lines)
    assert order_commission(order) == expected
