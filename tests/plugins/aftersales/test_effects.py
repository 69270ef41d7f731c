"""Effects of after-sale cases on other plugins, through hooks aftersales does not know:
coupons given back when configured, a group-buy member leaving a group cleanly, a commission
waiting for an open case and cancelled by its refund."""

from __future__ import annotations

import pytest

from mallkit.core.errors import Conflict
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.plugin_api import configure_plugin
from mallkit.core.testing import make_account, make_product, pay_order, place_order, skus_of
from mallkit.plugins.aftersales import service
from mallkit.plugins.aftersales.models import Case
from mallkit.plugins.coupons import service as coupons
from mallkit.plugins.coupons.models import UserCoupon
from mallkit.plugins.distribution import promoters
from mallkit.plugins.distribution.models import Commission
from mallkit.plugins.groupbuy.models import Group, Member
from tests.plugins.aftersales.conftest import application, lines_of, shipped
from tests.plugins.coupons.conftest import template
from tests.plugins.distribution.conftest import (
    CONFIG,
    complete,
    promote,
    reload,
    settle_all,
)
from tests.plugins.distribution.conftest import (
    buy as buy_promoted,
)
from tests.plugins.groupbuy.conftest import buy, make_activity, pay

STAFF = Actor("staff", 1)


def refund_case(order, line, quantity):
    case = service.apply(
        order, application(line, quantity=quantity), Actor("buyer", order.buyer_id)
    )
    return service.approve(case, STAFF)


@pytest.mark.parametrize("configured", [True, False])
def test_the_coupon_comes_back_once_its_lines_are_refunded_when_configured(
    store, enable_plugin, buyer, sku, configured
):
    with enable_plugin("coupons", store, {"return_on_aftersale": configured}):
        coupon = coupons.claim(
            store.id, template(store, threshold=1000, amount=300).id, buyer.user.id
        )
        order = pay_order(place_order(buyer, [(sku, 2)], options={"coupon_ids": [coupon.id]}))
        assert order.total == 1700
        order = shipped(order)
        (line,) = lines_of(order)
        first = refund_case(order, line, 1)
        assert first.status == "completed" and first.amount == 850
        assert UserCoupon.get_by_id(coupon.id).status == "used"  # a line still holds it
        last = refund_case(Order.get_by_id(order.id), line, 1)
        assert last.status == "completed" and last.amount == 850
        assert Order.get_by_id(order.id).status == "closed"
        expected = "unused" if configured else "used"
        assert UserCoupon.get_by_id(coupon.id).status == expected


def test_a_group_order_waiting_for_its_group_leaves_it_whole(app, store, enable_plugin, sku):
    with enable_plugin("groupbuy", store):
        activity = make_activity(store, sku, group_size=3)
        leader, member = (make_account(email=f"g{i}@as.test").user for i in range(2))
        lead_order = buy(leader, sku, activity)
        pay(lead_order)
        group = Group.get(Group.leader_id == leader.id)
        order = buy(member, sku, activity, group_id=group.id)
        pay(order)
        order = Order.get_by_id(order.id)
        assert order.status == "awaiting_group"
        assert Group.get_by_id(group.id).joined == 2
        (line,) = lines_of(order)
        with pytest.raises(Conflict) as exc:
            service.apply(order, application(line, "return_refund"), Actor("buyer", member.id))
        assert exc.value.code == "not_shipped"
        with pytest.raises(Conflict) as exc:
            service.apply(
                order, application(line, amount=line.pay_amount - 1), Actor("buyer", member.id)
            )
        assert exc.value.code == "group_order_whole"
        case = service.approve(
            service.apply(order, application(line), Actor("buyer", member.id)), STAFF
        )
        assert Case.get_by_id(case.id).status == "completed"
        assert Order.get_by_id(order.id).status == "closed"
        assert Member.get(Member.order_id == order.id).status == "refunded"
        group = Group.get_by_id(group.id)
        assert (group.status, group.joined, group.paid) == ("open", 1, 1)
        # the seat is free again: someone else joins
        third = make_account(email="g3@as.test").user
        pay(buy(third, sku, activity, group_id=group.id))
        assert Group.get_by_id(group.id).joined == 2


def test_coupons_load_and_work_without_aftersales_installed(make_app):
    """coupons implements aftersales' hook as optional: leaving aftersales (and complaints,
    which needs it) out of an instance changes nothing else."""
    app = make_app(PLUGINS_DISABLED=["aftersales", "complaints"])
    host = app.extensions["mallkit"].plugins
    assert "coupons" in host.plugins and "aftersales" not in host.plugins
    assert host.hook.on_aftersale_completed.spec is None  # coupons implements it; nobody calls it


@pytest.mark.parametrize("outcome", ["rejected", "refunded"])
def test_commission_waits_for_an_open_case_and_follows_its_outcome(store, enable_plugin, outcome):
    """distribution asks order_lines_on_hold before settling a commission: an open case holds
    the line; a rejected case lets it settle, a refunded one cancels it (through the core's
    on_order_refunded, which distribution implements)."""
    # no automatic approval: the case stays open over the settlement's eight days
    configure_plugin(store, "aftersales", {"approve_within_hours": 0})
    with enable_plugin("distribution", store, CONFIG):
        top, buyer = (make_account(email=f"d{i}@as.test") for i in range(2))
        sku = skus_of(make_product(store, prices=(10000,), stocks=(10,)))[0]
        promoter = promote(store, top)
        promoters.bind(store.id, buyer.user.id, promoter, "code")
        order = complete(buy_promoted(buyer, sku))
        line = OrderLine.get(OrderLine.order == order.id)
        case = service.apply(
            order, application(line, "return_refund"), Actor("buyer", order.buyer_id)
        )
        settle_all(days=8)
        assert reload(promoter).balance == 0  # held by the open case
        if outcome == "rejected":
            service.reject(case, STAFF, "used")
            settle_all(days=10)
            assert reload(promoter).balance == 1000
        else:
            case = service.approve(case, STAFF)
            case = service.receive(
                service.ship_back(case, Actor("buyer", order.buyer_id), "SF", "SF0001"), STAFF
            )
            settle_all(days=10)
            assert Case.get_by_id(case.id).status == "completed"
            assert reload(promoter).balance == 0
            assert Commission.get(Commission.order_id == order.id).status != "settled"
