"""Group buy through the money path: open, join, pay, succeed, fail with refunds, simulate,
race for the last seat, limits. Real database, real payments (manual channel)."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict, NotFound, ValidationError
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import SYSTEM, Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.payments import service as payments
from mallkit.core.payments.channel import ChannelPayment
from mallkit.core.payments.models import Refund
from mallkit.core.plugin_api import share_url
from mallkit.core.shares.models import ShareLink
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import concurrently
from mallkit.plugins.groupbuy import service
from mallkit.plugins.groupbuy.models import Group, GroupActivity, Member
from tests.plugins.groupbuy.conftest import GROUP_PRICE, buy, make_activity, pay

LATER = dt.timedelta(hours=2)


def status(order):
    return Order.get_by_id(order.id).status


def open_group(leader, sku, activity):
    order = buy(leader, sku, activity)
    assert pay(order) == "paid"
    return order, Group.get_by_id(Member.get(Member.order_id == order.id).group_id)


def test_a_full_group_succeeds_and_only_then_ships(gb, merchant, sku, activity, people):
    leader, a, b = people(3)
    lead_order, group = open_group(leader, sku, activity)
    line = OrderLine.get(OrderLine.order == lead_order.id)
    assert line.sale_unit_price == GROUP_PRICE and line.price_kind == "activity"
    assert line.activity["type"] == "groupbuy"
    assert status(lead_order) == "awaiting_group"
    assert group.status == "open" and group.paid == 1 and group.expires_at is not None
    assert ScheduledTask.get(ScheduledTask.dedupe_key == f"groupbuy.expire:{group.id}")
    # waiting orders cannot ship
    with pytest.raises(Conflict) as err:
        orders.ship(lead_order, Actor("staff", 1), carrier="SF", tracking_number="SF1")
    assert err.value.code == "invalid_transition"

    share = service.share_for(group, leader.id)
    order_a = buy(a, sku, activity, share=share.code)
    assert pay(order_a) == "paid"
    assert status(order_a) == "awaiting_group"
    order_b = buy(b, sku, activity, group_id=group.id)
    assert gb.EVENTS == []
    assert pay(order_b) == "paid"

    group = Group.get_by_id(group.id)
    assert (group.status, group.joined, group.paid, group.open_key) == ("succeeded", 3, 3, None)
    assert [status(o) for o in (lead_order, order_a, order_b)] == ["paid"] * 3
    assert gb.EVENTS == [("succeeded", group.id, sorted([lead_order.id, order_a.id, order_b.id]))]
    inviters = {m.user_id: m.inviter_id for m in Member.select()}
    assert inviters == {leader.id: None, a.id: leader.id, b.id: None}
    # paid_at is the payment's time, kept through the wait
    assert Order.get_by_id(lead_order.id).paid_at <= Order.get_by_id(order_b.id).paid_at
    orders.ship(
        Order.get_by_id(lead_order.id), Actor("staff", 1), carrier="SF", tracking_number="1"
    )
    assert status(lead_order) == "shipped"
    # the expiry task finds nothing to do
    run_due(worker_id="w", now=utcnow() + LATER)
    assert Group.get_by_id(group.id).status == "succeeded" and len(gb.EVENTS) == 1


def test_a_failed_group_refunds_every_paid_member_once(app, gb, merchant, sku, people):
    activity = make_activity(merchant, sku, group_size=4, stock=10)
    leader, a, b = people(3)
    lead_order, group = open_group(leader, sku, activity)
    order_a = buy(a, sku, activity, group_id=group.id)
    pay(order_a)
    unpaid = buy(b, sku, activity, group_id=group.id)
    assert GroupActivity.get_by_id(activity.id).stock == 7

    future = utcnow() + LATER
    results = concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=future), 2)
    assert not [r for r in results if isinstance(r, Exception)]
    run_due(worker_id="w3", now=future)  # a re-run (also sends the refunds)
    run_due(worker_id="w4", now=future)

    group = Group.get_by_id(group.id)
    assert group.status == "failed" and group.open_key is None
    refunds = list(Refund.select().order_by(Refund.order))
    assert [(r.order_id, r.amount, r.reason, r.status) for r in refunds] == [
        (lead_order.id, lead_order.total, "group_failed", "succeeded"),
        (order_a.id, order_a.total, "group_failed", "succeeded"),
    ]
    assert [status(o) for o in (lead_order, order_a, unpaid)] == ["closed", "closed", "cancelled"]
    assert gb.EVENTS == [("failed", group.id, sorted([lead_order.id, order_a.id]))]
    assert GroupActivity.get_by_id(activity.id).stock == 10
    # the group's expiry task ran once and is done
    task = ScheduledTask.get(ScheduledTask.dedupe_key == f"groupbuy.expire:{group.id}")
    assert task.status == "done"
    # the buyer may open a new group now
    again, _ = open_group(leader, sku, activity)
    assert status(again) == "awaiting_group"


def test_simulated_success_at_expiry(gb, merchant, sku, people):
    activity = make_activity(merchant, sku, simulate_success=True)
    leader, a = people(2)
    lead_order, group = open_group(leader, sku, activity)
    unpaid = buy(a, sku, activity, group_id=group.id)
    run_due(worker_id="w", now=utcnow() + LATER)
    group = Group.get_by_id(group.id)
    assert (group.status, group.simulated) == ("succeeded", True)
    assert status(lead_order) == "paid" and status(unpaid) == "cancelled"
    assert Refund.select().count() == 0
    assert gb.EVENTS == [("succeeded", group.id, [lead_order.id])]


@pytest.mark.parametrize(("paid", "outcome"), [(2, "succeeded"), (1, "failed")])
def test_success_threshold(gb, merchant, sku, people, paid, outcome):
    activity = make_activity(merchant, sku, group_size=4, success_threshold=50)
    users = people(paid)
    _, group = open_group(users[0], sku, activity)
    for user in users[1:]:
        pay(buy(user, sku, activity, group_id=group.id))
    run_due(worker_id="w", now=utcnow() + LATER)
    assert Group.get_by_id(group.id).status == outcome


def test_concurrent_joins_give_the_last_seat_to_one_buyer(app, gb, merchant, sku, people):
    activity = make_activity(merchant, sku, group_size=3)
    leader, first, *racers = people(10)
    _, group = open_group(leader, sku, activity)
    pay(buy(first, sku, activity, group_id=group.id))
    before = Order.select().count()

    def join(i):
        return buy(racers[i], sku, activity, group_id=group.id)

    results = concurrently(app, join, len(racers))
    won = [r for r in results if isinstance(r, Order)]
    lost = [r for r in results if not isinstance(r, Order)]
    assert len(won) == 1
    assert all(isinstance(r, Conflict) and r.code in ("group_full",) for r in lost), lost
    assert Order.select().count() == before + 1
    group = Group.get_by_id(group.id)
    assert group.joined == 3
    assert Member.select().where(Member.group == group.id).count() == 3
    pay(won[0])
    assert Group.get_by_id(group.id).status == "succeeded"


def test_concurrent_leaders_open_one_group_each(app, gb, merchant, sku, people):
    activity = make_activity(merchant, sku)
    (leader,) = people(1)
    results = concurrently(app, lambda i: buy(leader, sku, activity), 6)
    assert len([r for r in results if isinstance(r, Order)]) == 1
    assert all(r.code == "one_open_group" for r in results if not isinstance(r, Order))
    assert Group.select().count() == 1


def test_an_unpaid_cancel_gives_the_seat_back(gb, merchant, sku, activity, people):
    leader, a, b = people(3)
    lead_order, group = open_group(leader, sku, activity)
    order_a = buy(a, sku, activity, group_id=group.id)
    assert Group.get_by_id(group.id).joined == 2
    orders.cancel(order_a, Actor("buyer", a.id))
    assert Group.get_by_id(group.id).joined == 1
    assert Member.get(Member.order_id == order_a.id).status == "released"
    # the seat is free for someone else, and a can come back
    pay(buy(b, sku, activity, group_id=group.id))
    pay(buy(a, sku, activity, group_id=group.id))
    assert Group.get_by_id(group.id).status == "succeeded"


def test_a_leader_who_never_pays_leaves_no_group(gb, merchant, sku, activity, people):
    leader, a = people(2)
    order = buy(leader, sku, activity)
    group = Group.get_by_id(Member.get(Member.order_id == order.id).group_id)
    assert group.status == "pending"
    with pytest.raises(Conflict) as err:  # a pending group is not joinable
        buy(a, sku, activity, group_id=group.id)
    assert err.value.code == "group_closed"
    orders.cancel(order, SYSTEM, reason="timeout")
    assert Group.get_by_id(group.id).status == "cancelled"
    _, new = open_group(leader, sku, activity)
    assert new.id != group.id


def _refused(fn, code):
    orders_before, members_before = Order.select().count(), Member.select().count()
    with pytest.raises((Conflict, ValidationError, NotFound)) as err:
        fn()
    assert err.value.code == code
    assert (Order.select().count(), Member.select().count()) == (orders_before, members_before)


def test_limits_and_rules(gb, merchant, sku, people):
    from mallkit.core.checkout import service as checkout
    from tests.core.orders.conftest import ADDRESS, skus_of

    activity = make_activity(merchant, sku, group_size=2, per_order_limit=1, per_user_limit=1)
    leader, a, b, c = people(4)
    _refused(lambda: buy(leader, sku, activity, quantity=2), "per_order_limit")
    _, group = open_group(leader, sku, activity)
    _refused(lambda: buy(leader, sku, activity), "per_user_limit")
    _refused(lambda: buy(a, sku, activity, group_id=group.id, share="nope"), "invalid_share")
    _refused(lambda: buy(a, sku, activity, group_id="x"), "invalid_activity")
    _refused(lambda: buy(a, sku, activity, group_id=10_000), "group_not_found")
    other_sku = skus_of(sku.product)[1]
    _refused(lambda: buy(a, other_sku, activity), "not_in_activity")

    def two_lines():
        items = [
            {"sku_id": sku.id, "quantity": 1, "activity": {"type": "groupbuy", "id": activity.id}},
            {"sku_id": other_sku.id, "quantity": 1},
        ]
        checkout.place(a, {"items": items, "address": ADDRESS})

    _refused(two_lines, "group_order_single_line")
    pay(buy(a, sku, activity, group_id=group.id))
    assert Group.get_by_id(group.id).status == "succeeded"
    _refused(lambda: buy(b, sku, activity, group_id=group.id), "group_closed")

    # a group that expired, an activity that ended, one opened twice
    unlimited = make_activity(merchant, sku, group_size=3)
    _, g2 = open_group(b, sku, unlimited)
    _refused(lambda: buy(b, sku, unlimited), "one_open_group")
    _refused(lambda: buy(b, sku, unlimited, group_id=g2.id), "already_in_group")
    Group.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(Group.id == g2.id).execute()
    _refused(lambda: buy(c, sku, unlimited, group_id=g2.id), "group_closed")
    service.close_activity(unlimited)
    _refused(lambda: buy(c, sku, unlimited), "activity_not_running")


def test_activity_stock_runs_out(gb, merchant, sku, people):
    activity = make_activity(merchant, sku, stock=1)
    a, b = people(2)
    buy(a, sku, activity)
    _refused(lambda: buy(b, sku, activity), "activity_sold_out")


def test_coupons_stay_off_group_lines_unless_allowed(app, gb, merchant, sku, people):
    from tests.sample_plugins import pricing_rules

    pricing_rules.reset()
    pricing_rules.RULES["adjustments"] = [{"source": "c1", "kind": "coupon", "amount": -100}]
    a, b = people(2)
    with _enabled(app, pricing_rules, merchant):
        strict = make_activity(merchant, sku)
        order = buy(a, sku, strict)
        assert order.total == GROUP_PRICE and order.discount_total == 0
        loose = make_activity(merchant, sku, allow_discounts=True)
        order = buy(b, sku, loose)
        assert order.total == GROUP_PRICE - 100


def _enabled(app, module, merchant):
    from mallkit.core.testing import plugin_enabled

    return plugin_enabled(app, module, merchant)


def test_without_the_plugin_an_activity_item_is_a_plain_purchase(
    app, merchant, other_merchant, sku, people, enable_plugin
):
    from tests.core.orders.conftest import make_product, skus_of

    with enable_plugin("groupbuy", merchant):
        activity = make_activity(merchant, sku)
    (a,) = people(1)
    order = buy(a, sku, activity)
    assert order.total == sku.price
    assert Group.select().count() == 0 and Member.select().count() == 0
    # another store's SKU cannot borrow this store's activity either
    with enable_plugin("groupbuy", other_merchant):
        other_sku = skus_of(make_product(other_merchant))[0]
        _refused(lambda: buy(a, other_sku, activity), "activity_not_found")


def test_share_codes_belong_to_members(gb, merchant, sku, activity, people):
    leader, stranger = people(2)
    _, group = open_group(leader, sku, activity)
    with pytest.raises(NotFound):
        service.share_for(group, stranger.id)
    s1 = service.share_for(group, leader.id)
    assert service.share_for(group, leader.id).code == s1.code
    assert ShareLink.select().count() == 1
    assert (s1.kind, s1.target_id, s1.sharer_id, s1.merchant_id) == (
        "group",
        group.id,
        leader.id,
        merchant.id,
    )
    assert share_url(s1).endswith(f"/s/{s1.code}")


def test_concurrent_orders_by_one_buyer_respect_the_per_user_limit(app, gb, merchant, sku, people):
    activity = make_activity(merchant, sku, group_size=3, per_user_limit=1)
    *leaders, racer = people(7)
    groups = [open_group(leader, sku, activity)[1] for leader in leaders]
    results = concurrently(
        app, lambda i: buy(racer, sku, activity, group_id=groups[i].id), len(groups)
    )
    assert all(
        isinstance(r, Order) or getattr(r, "code", None) == "per_user_limit" for r in results
    ), [repr(r) for r in results]
    assert len([r for r in results if isinstance(r, Order)]) == 1
    assert Member.select().where(Member.user_id == racer.id).count() == 1


def test_a_payment_racing_the_expiry_is_refunded_exactly_once(app, gb, merchant, sku, people):
    activity = make_activity(merchant, sku, group_size=3)
    leader, late = people(2)
    lead_order, group = open_group(leader, sku, activity)
    late_order = buy(late, sku, activity, group_id=group.id)
    attempt = payments.start(late_order, "manual", method="transfer")
    future = utcnow() + LATER
    paid = ChannelPayment(attempt.number, "paid", "bank-late", attempt.amount, "CNY")

    def race(i):
        if i == 0:  # the gateway's notification for the attempt the buyer opened
            return payments.record_payment(merchant.id, "manual", paid, "notify")
        return run_due(worker_id="expiry", now=future)

    results = concurrently(app, race, 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    run_due(worker_id="again", now=future)  # sends the refunds
    assert Group.get_by_id(group.id).status == "failed"
    refunds = list(Refund.select())
    # the leader's payment and the late payment each come back once, whoever won the race
    assert sorted(r.order_id for r in refunds) == sorted([lead_order.id, late_order.id])
    assert all(r.status == "succeeded" for r in refunds)
    assert status(lead_order) == "closed"
    assert status(late_order) in ("closed", "cancelled")
