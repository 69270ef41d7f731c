"""Bargains on the real database: helps to the floor, concurrent helps, help limits, buying
rules, expiry, and share attribution."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict, NotFound, ValidationError
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import concurrently
from mallkit.plugins.bargain import service
from mallkit.plugins.bargain.models import Bargain, Help
from tests.plugins.bargain.conftest import buy, make_activity, pay


def fresh(bargain):
    return Bargain.get_by_id(bargain.id)


def refused(fn, code):
    before = (Order.select().count(), Help.select().count(), Bargain.select().count())
    with pytest.raises((Conflict, NotFound, ValidationError)) as err:
        fn()
    assert err.value.code == code
    after = (Order.select().count(), Help.select().count(), Bargain.select().count())
    assert after == before


def test_helpers_reach_the_floor_exactly_at_help_n_and_the_buyer_buys(
    bg, merchant, sku, activity, people
):
    owner, *helpers = people(7)
    bargain = service.start(activity, owner.id)
    assert ScheduledTask.get(ScheduledTask.dedupe_key == f"bargain.expire:{bargain.id}")
    share = service.share_for(bargain, owner.id)
    refused(lambda: buy(owner, sku, bargain), "bargain_not_at_floor")
    rows = [service.help_cut(bargain.id, h.id, share=share.code) for h in helpers[:5]]
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert [r.amount for r in rows] == service.plan(bargain.seed, 10000, 100, 5)
    assert all(r.inviter_id == owner.id for r in rows)
    assert fresh(bargain).current_price == 100 and fresh(bargain).reached_at is not None
    refused(lambda: service.help_cut(bargain.id, helpers[5].id), "bargain_complete")

    order = buy(owner, sku, bargain)
    assert order.total == 100
    assert OrderLine.get(OrderLine.order == order.id).price_kind == "activity"
    assert fresh(bargain).status == "ordered"
    refused(lambda: buy(owner, sku, bargain), "bargain_already_ordered")
    pay(order)
    assert fresh(bargain).status == "bought"
    # a bought bargain is not expired by its task
    run_due(worker_id="w", now=utcnow() + dt.timedelta(hours=2))
    assert fresh(bargain).status == "bought"


def test_concurrent_helps_never_over_cut(app, bg, merchant, sku, activity, people):
    owner, *helpers = people(21)
    bargain = service.start(activity, owner.id)
    results = concurrently(app, lambda i: service.help_cut(bargain.id, helpers[i].id), 20)
    won = [r for r in results if isinstance(r, Help)]
    lost = [r for r in results if not isinstance(r, Help)]
    assert len(won) == 5
    assert all(isinstance(r, Conflict) and r.code == "bargain_complete" for r in lost), lost
    rows = list(Help.select().order_by(Help.seq))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert sum(r.amount for r in rows) == 10000 - 100
    assert [r.amount for r in rows] == service.plan(bargain.seed, 10000, 100, 5)
    assert fresh(bargain).current_price == 100 and fresh(bargain).helps == 5


def test_one_helper_racing_themself_helps_once(app, bg, merchant, sku, activity, people):
    owner, helper = people(2)
    bargain = service.start(activity, owner.id)
    results = concurrently(app, lambda i: service.help_cut(bargain.id, helper.id), 8)
    assert len([r for r in results if isinstance(r, Help)]) == 1
    assert all(r.code == "help_limit" for r in results if not isinstance(r, Help))
    assert fresh(bargain).helps == 1


def test_help_limits(bg, merchant, sku, people):
    activity = make_activity(merchant, sku, helps_per_user=2, helps_per_day=3, bargains_per_user=5)
    owner, other_owner, third_owner, helper = people(4)
    bargain = service.start(activity, owner.id)
    refused(lambda: service.help_cut(bargain.id, owner.id), "own_bargain")
    service.help_cut(bargain.id, helper.id)
    service.help_cut(bargain.id, helper.id)
    refused(lambda: service.help_cut(bargain.id, helper.id), "help_limit")
    second = service.start(activity, other_owner.id)
    service.help_cut(second.id, helper.id)
    third = service.start(activity, third_owner.id)
    refused(lambda: service.help_cut(third.id, helper.id), "daily_help_limit")
    refused(lambda: service.help_cut(third.id, owner.id, share="nope"), "invalid_share")
    # the initiator may cut when the activity allows it
    selfcut = make_activity(merchant, sku, initiator_may_cut=True)
    own = service.start(selfcut, owner.id)
    assert service.help_cut(own.id, owner.id).seq == 1


def test_bargains_per_user(app, bg, merchant, sku, people):
    activity = make_activity(merchant, sku, bargains_per_user=1)
    (owner,) = people(1)
    results = concurrently(app, lambda i: service.start(activity, owner.id), 6)
    assert len([r for r in results if isinstance(r, Bargain)]) == 1
    assert all(r.code == "bargain_limit" for r in results if not isinstance(r, Bargain))
    assert Bargain.select().count() == 1
    assert ScheduledTask.select().where(ScheduledTask.kind == "bargain.expire").count() == 1


def test_buying_rules(bg, merchant, sku, people):
    from mallkit.core.checkout import service as checkout
    from tests.core.orders.conftest import ADDRESS, skus_of

    activity = make_activity(merchant, sku, floor_only=False, bargains_per_user=2)
    owner, stranger, h1, h2 = people(4)
    bargain = service.start(activity, owner.id)
    service.help_cut(bargain.id, h1.id)
    refused(lambda: buy(stranger, sku, bargain), "bargain_not_found")
    refused(lambda: buy(owner, sku, bargain, quantity=2), "bargain_order_single_line")
    other_sku = skus_of(sku.product)[1]
    refused(lambda: buy(owner, other_sku, bargain), "not_in_activity")

    def bad_id():
        item = {
            "sku_id": sku.id,
            "quantity": 1,
            "activity": {"type": "bargain", "id": activity.id, "params": {"bargain_id": "x"}},
        }
        checkout.place(owner, {"items": [item], "address": ADDRESS})

    refused(bad_id, "invalid_activity")
    # buy at the current price, cancel, the price moves on, buy again at the new price
    order = buy(owner, sku, bargain)
    assert order.total == fresh(bargain).current_price < 10000
    refused(lambda: service.help_cut(bargain.id, h2.id), "bargain_closed")
    orders.cancel(order, Actor("buyer", owner.id))
    assert fresh(bargain).status == "active" and fresh(bargain).order_id is None
    service.help_cut(bargain.id, h2.id)
    again = buy(owner, sku, bargain)
    assert again.total == fresh(bargain).current_price < order.total


def test_expiry(bg, merchant, sku, activity, people):
    owner, helper = people(2)
    bargain = service.start(activity, owner.id)
    service.help_cut(bargain.id, helper.id)
    later = utcnow() + dt.timedelta(hours=2)
    run_due(worker_id="w1", now=later)
    run_due(worker_id="w2", now=later)  # a re-run changes nothing
    assert fresh(bargain).status == "expired" and fresh(bargain).helps == 1
    refused(lambda: service.help_cut(bargain.id, people(1)[0].id), "bargain_closed")
    refused(lambda: buy(owner, sku, bargain), "bargain_expired")


def test_without_the_plugin_nothing_changes(app, merchant, sku, people, enable_plugin):
    with enable_plugin("bargain", merchant):
        activity = make_activity(merchant, sku, floor_only=False)
        (owner, helper) = people(2)
        bargain = service.start(activity, owner.id)
        service.help_cut(bargain.id, helper.id)
    order = buy(owner, sku, bargain)
    assert order.total == sku.price
    assert fresh(bargain).status == "active" and fresh(bargain).order_id is None
