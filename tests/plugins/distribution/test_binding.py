"""Promoter modes and binding rules."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.accounts import service as accounts
from mallkit.core.errors import Conflict, ValidationError
from mallkit.core.shares.service import create_share
from mallkit.core.testing import concurrently, pay_order, place_order
from mallkit.plugins.distribution import promoters
from mallkit.plugins.distribution.models import Application, Binding, Commission, Promoter
from tests.plugins.distribution.conftest import buy, chain, promote


def bound_to(merchant, account):
    binding = promoters.live_binding(merchant.id, account.user.id)
    return binding.promoter_id if binding else None


def test_self_binding_is_refused(dist, merchant, people):
    (a,) = people(1)
    pa = promote(merchant, a)
    with pytest.raises(Conflict) as refused:
        promoters.bind(merchant.id, a.user.id, pa, "code")
    assert refused.value.code == "self_binding"


def test_a_loop_of_uplines_is_refused(dist, merchant, people):
    a, b = people(2)
    pa, pb = chain(merchant, [a, b])  # b's upline is a
    with pytest.raises(Conflict) as refused:
        promoters.bind(merchant.id, a.user.id, pb, "code")  # a → b → a
    assert refused.value.code == "binding_loop"
    with pytest.raises(Conflict) as refused:  # staff cannot make one either
        promoters.rebind(
            merchant.id, {"user_id": a.user.id, "promoter_id": pb.id, "reason": "x"}, None
        )
    assert refused.value.code == "binding_loop"
    assert Promoter.get_by_id(pa.id).parent_id is None


def test_a_promoters_upline_is_fixed_when_they_become_one(dist, merchant, people):
    a, b, c = people(3)
    pa = promote(merchant, a)
    pb = promote(merchant, b)
    promoters.bind(merchant.id, c.user.id, pa, "code")
    pc = promoters.make_promoter(merchant.id, c.user.id, "appointed")
    assert pc.parent_id == pa.id
    dist(binding_rule="latest")
    with pytest.raises(Conflict) as refused:
        promoters.bind(merchant.id, c.user.id, pb, "share")
    assert refused.value.code == "binding_fixed"
    # staff may move it, with an audit row
    from mallkit.core.audit import AuditLog

    promoters.rebind(merchant.id, {"user_id": c.user.id, "promoter_id": pb.id, "reason": "合并"}, 7)
    assert Promoter.get_by_id(pc.id).parent_id == pb.id
    row = AuditLog.get(AuditLog.action == "distribution.rebound")
    assert row.after["promoter_id"] == pb.id and row.after["reason"] == "合并"


def test_first_share_wins_latest_share_wins(dist, merchant, people):
    a, b, buyer = people(3)
    pa, pb = promote(merchant, a), promote(merchant, b)
    promoters.bind(merchant.id, buyer.user.id, pa, "share")
    assert promoters.bind(merchant.id, buyer.user.id, pb, "share") is None
    assert bound_to(merchant, buyer) == pa.id
    dist(binding_rule="latest")
    promoters.bind(merchant.id, buyer.user.id, pb, "share")
    assert bound_to(merchant, buyer) == pb.id


def test_a_limited_binding_lapses_and_the_next_share_binds(dist, merchant, people):
    dist(binding_days=30)
    a, b, buyer = people(3)
    pa, pb = promote(merchant, a), promote(merchant, b)
    promoters.bind(merchant.id, buyer.user.id, pa, "share")
    binding = Binding.get(Binding.user_id == buyer.user.id)
    assert binding.expires_at - binding.bound_at == dt.timedelta(days=30)
    Binding.update(expires_at=binding.bound_at).where(Binding.id == binding.id).execute()
    assert bound_to(merchant, buyer) is None
    promoters.bind(merchant.id, buyer.user.id, pb, "share")  # first share wins, but it lapsed
    assert bound_to(merchant, buyer) == pb.id


def test_registration_only_binds_at_sign_up(app, dist, merchant, people):
    dist(binding_rule="registration")
    a, buyer = people(2)
    pa = promote(merchant, a)
    with pytest.raises(Conflict) as refused:
        promoters.bind(merchant.id, buyer.user.id, pa, "share")
    assert refused.value.code == "binding_at_registration_only"
    share = create_share(a.user.id, merchant.id, "store", merchant.id)
    user = accounts.register(
        email="new@dist.test", password="secret-pass-1", name="new", share_code=share.code
    )
    assert promoters.live_binding(merchant.id, user.id).promoter_id == pa.id


def test_an_order_through_a_share_link_binds_and_pays_the_sharer(dist, merchant, people, sku):
    a, buyer = people(2)
    pa = promote(merchant, a)
    share = create_share(a.user.id, merchant.id, "product", sku.product_id)
    order = pay_order(place_order(buyer, [(sku, 1)]))
    assert not Commission.select().where(Commission.order_id == order.id).exists()
    from mallkit.core.checkout import service as checkout
    from mallkit.core.testing import TEST_ADDRESS

    (order,) = checkout.place(
        buyer.user,
        {
            "items": [{"sku_id": sku.id, "quantity": 1}],
            "address": TEST_ADDRESS,
            "share_code": share.code,
        },
    )
    assert bound_to(merchant, buyer) == pa.id
    pay_order(order)
    assert Commission.get(Commission.order_id == order.id).promoter_id == pa.id


def test_everyone_mode_makes_a_sharer_a_promoter_when_their_share_binds(dist, merchant, people):
    dist(promoter_mode="everyone")
    a, buyer = people(2)
    share = create_share(a.user.id, merchant.id, "store", merchant.id)
    binding = promoters.bind_by_request(merchant.id, buyer.user.id, {"share_code": share.code})
    pa = promoters.promoter_of(merchant.id, a.user.id)
    assert pa is not None and pa.source == "everyone" and binding.promoter_id == pa.id


def test_spend_mode_makes_a_buyer_a_promoter_at_the_threshold(dist, merchant, people, sku):
    dist(promoter_mode="spend", spend_threshold=15000)
    (buyer,) = people(1)
    with pytest.raises(Conflict) as refused:
        promoters.join(merchant.id, buyer.user.id)
    assert refused.value.code == "spend_threshold_not_reached"
    buy(buyer, sku)  # 10000 paid
    assert promoters.promoter_of(merchant.id, buyer.user.id) is None
    buy(buyer, sku)  # 20000
    assert promoters.promoter_of(merchant.id, buyer.user.id).source == "spend"


def test_apply_and_approve_with_the_stores_form(dist, merchant, people):
    dist(promoter_mode="apply")
    (buyer,) = people(1)
    with pytest.raises(ValidationError) as refused:
        promoters.apply(merchant.id, buyer.user.id, {"name": "张三", "age": "3"})
    assert set(refused.value.errors["fields"]) == {"age", "phone"}
    app_row = promoters.apply(merchant.id, buyer.user.id, {"name": "张三", "phone": "138"})
    with pytest.raises(Conflict):
        promoters.apply(merchant.id, buyer.user.id, {"name": "张三", "phone": "138"})
    promoters.review(merchant.id, app_row.id, False, "资料不全", 1)
    assert Application.get_by_id(app_row.id).reason == "资料不全"
    again = promoters.apply(merchant.id, buyer.user.id, {"name": "张三", "phone": "13800000000"})
    promoters.review(merchant.id, again.id, True, "", 1)
    with pytest.raises(Conflict) as refused:
        promoters.review(merchant.id, again.id, False, "late", 1)
    assert refused.value.code == "application_reviewed"
    assert promoters.promoter_of(merchant.id, buyer.user.id).source == "application"


def test_racing_binds_keep_one_binding(app, dist, merchant, people):
    dist(binding_rule="first")
    accounts_ = people(9)
    sharers = [promote(merchant, a) for a in accounts_[:8]]
    buyer = accounts_[8]
    results = concurrently(
        app, lambda i: promoters.bind(merchant.id, buyer.user.id, sharers[i], "share"), 8
    )
    assert not [r for r in results if isinstance(r, Exception)]
    assert Binding.select().where(Binding.user_id == buyer.user.id).count() == 1
    assert len([r for r in results if r is not None]) == 1
