"""The distribution API: settings refused with field errors (no third level), who may do
what, the promoter centre from joining to a paid withdrawal, and 404 where the plugin is
off."""

from __future__ import annotations

from mallkit.core.plugin_store import MerchantPlugin
from mallkit.core.shares.service import create_share
from mallkit.plugins.distribution import promoters
from mallkit.plugins.distribution.models import Promoter, PromoterGroup, Withdrawal
from tests.plugins.distribution.conftest import buy, complete, fund, promote, settle_all

ACCOUNT = {"bank": "招商银行", "account_name": "张三", "account_no": "6225000000000000"}


def base(merchant):
    return f"/api/v1/merchants/{merchant.id}/distribution"


def saved_config(merchant):
    return MerchantPlugin.get(merchant=merchant.id, plugin="distribution").config


def test_routes_answer_404_where_the_plugin_is_off(client, merchant, buyer):
    r = client.get(f"{base(merchant)}/me", headers=buyer.headers)
    assert r.status_code == 404


def test_a_third_level_and_bad_rates_are_refused_with_field_errors(client, dist, merchant, owner):
    url = f"/api/v1/merchants/{merchant.id}/plugins/distribution/config"
    before = saved_config(merchant)
    for config, field in (
        ({"levels": 3}, "levels"),
        ({"level3_bp": 100}, "level3_bp"),
        ({"level1_bp": 10_001}, "level1_bp"),
        ({"withdraw_fee_bp": -1}, "withdraw_fee_bp"),
        ({"withdraw_min": -5}, "withdraw_min"),
        ({"promoter_mode": "spend", "spend_threshold": 0}, "spend_threshold"),
    ):
        r = client.put(url, json={"config": config}, headers=owner.headers)
        assert r.status_code == 422, (config, r.json)
        errors = r.json["errors"]
        assert field in errors.get("config", errors), (config, r.json)
        assert saved_config(merchant) == before
    r = client.put(url, json={"config": {"levels": 3}}, headers=owner.headers)
    assert "pyramid" in str(r.json)
    r = client.post(
        f"{base(merchant)}/groups",
        json={"name": "高级", "level1_bp": 1500, "level2_bp": 500, "level3_bp": 100},
        headers=owner.headers,
    )
    assert r.status_code == 422 and "level3_bp" in r.json["errors"], r.json
    assert PromoterGroup.select().count() == 0


def test_staff_desk_is_staff_only_and_per_store(
    client, dist, merchant, other_merchant, owner, buyer
):
    r = client.get(f"{base(merchant)}/promoters", headers=buyer.headers)
    assert r.status_code in (403, 404)
    other = other_merchant.owner_account
    r = client.post(
        f"{base(merchant)}/promoters", json={"user_id": buyer.user.id}, headers=other.headers
    )
    assert r.status_code in (403, 404) and Promoter.select().count() == 0
    r = client.post(
        f"{base(merchant)}/promoters", json={"user_id": buyer.user.id}, headers=owner.headers
    )
    assert r.status_code == 201 and r.json["user_id"] == buyer.user.id
    promoter_id = r.json["id"]
    # another store's staff cannot read or freeze it through their own store either
    r = client.patch(
        f"/api/v1/merchants/{other_merchant.id}/distribution/promoters/{promoter_id}",
        json={"status": "frozen"},
        headers=other.headers,
    )
    assert r.status_code == 404
    assert Promoter.get_by_id(promoter_id).status == "active"


def test_a_buyer_sees_only_their_own_centre(client, dist, merchant, people, sku):
    a, b = people(2)
    pa = promote(merchant, a)
    promote(merchant, b)
    promoters.bind(merchant.id, people(1)[0].user.id, pa, "code")
    r = client.get(f"{base(merchant)}/me", headers=b.headers)
    assert r.json["promoter"]["user_id"] == b.user.id
    r = client.get(f"{base(merchant)}/me/team", headers=b.headers)
    assert r.json == {"level1": 0, "level2": 0}
    r = client.get(f"{base(merchant)}/me/team", headers=a.headers)
    assert r.json == {"level1": 1, "level2": 0}
    (stranger,) = people(1)
    r = client.get(f"{base(merchant)}/me/withdrawals", headers=stranger.headers)
    assert r.status_code == 404 and r.json["code"] == "not_a_promoter"


def test_the_promoter_centre_from_applying_to_a_paid_withdrawal(
    client, dist, merchant, owner, people, sku
):
    dist(promoter_mode="apply", settle_days=3)
    promoter_acct, friend = people(2)
    r = client.post(
        f"{base(merchant)}/applications",
        json={"fields": {"name": "李四"}},
        headers=promoter_acct.headers,
    )
    assert r.status_code == 422 and "phone" in r.json["errors"]["fields"]
    r = client.post(
        f"{base(merchant)}/applications",
        json={"fields": {"name": "李四", "phone": "13900000000"}},
        headers=promoter_acct.headers,
    )
    assert r.status_code == 201
    app_id = r.json["id"]
    r = client.post(
        f"{base(merchant)}/applications/{app_id}/approve", headers=promoter_acct.headers
    )
    assert r.status_code == 403  # a buyer cannot approve themselves
    r = client.post(f"{base(merchant)}/applications/{app_id}/approve", headers=owner.headers)
    assert r.status_code == 200 and r.json["status"] == "approved"

    r = client.post(f"{base(merchant)}/me/shares", json={}, headers=promoter_acct.headers)
    assert r.status_code == 201
    share = r.json
    assert share["url"].endswith(share["code"]) and share["promoter_code"]
    poster = client.get(share["poster_url"], headers=promoter_acct.headers)
    assert poster.status_code == 200 and poster.mimetype == "image/svg+xml"
    assert share["promoter_code"] in poster.get_data(as_text=True)

    r = client.post(
        f"{base(merchant)}/bind", json={"share_code": share["code"]}, headers=friend.headers
    )
    assert r.status_code == 200
    r = client.post(
        f"{base(merchant)}/bind",
        json={"promoter_code": share["promoter_code"]},
        headers=promoter_acct.headers,
    )
    assert r.status_code == 409 and r.json["code"] == "self_binding"

    order = complete(buy(friend, sku))
    r = client.get(f"{base(merchant)}/me/commissions", headers=promoter_acct.headers)
    assert [c["status"] for c in r.json] == ["frozen"] and r.json[0]["order_id"] == order.id
    settle_all(days=4)
    me = client.get(f"{base(merchant)}/me", headers=promoter_acct.headers).json
    assert me["earnings"]["withdrawable"] == 1000 and me["earnings"]["frozen"] == 0
    assert me["earnings"]["total"] == 1000

    body = {"amount": 600, "account": ACCOUNT}
    headers = {**promoter_acct.headers, "Idempotency-Key": "w-1"}
    r = client.post(f"{base(merchant)}/me/withdrawals", json=body, headers=headers)
    assert r.status_code == 201
    again = client.post(f"{base(merchant)}/me/withdrawals", json=body, headers=headers)
    assert again.status_code == 200 and again.json["id"] == r.json["id"]
    r = client.post(
        f"{base(merchant)}/me/withdrawals",
        json={"amount": 600, "account": ACCOUNT},
        headers=promoter_acct.headers,
    )
    assert r.status_code == 409 and r.json["code"] == "insufficient_balance"
    w_id = again.json["id"]
    r = client.post(f"{base(merchant)}/withdrawals/{w_id}/approve", headers=owner.headers)
    assert r.json["status"] == "paying"
    r = client.post(
        f"{base(merchant)}/withdrawals/{w_id}/paid",
        json={"reference": "BANK-1"},
        headers=owner.headers,
    )
    assert r.json["status"] == "paid"
    me = client.get(f"{base(merchant)}/me", headers=promoter_acct.headers).json
    assert me["earnings"]["withdrawn"] == 600 and me["earnings"]["withdrawable"] == 400
    ledger = client.get(f"{base(merchant)}/me/ledger", headers=promoter_acct.headers).json
    assert sum(e["amount"] for e in ledger) == 400

    stats = client.get(f"{base(merchant)}/stats?days=7", headers=owner.headers).json
    assert stats["top"][0]["commission"] == 1000 and stats["withdrawn"] == 600
    assert sum(d["commission"] for d in stats["by_day"]) == 1000 and len(stats["by_day"]) == 7


def test_bad_input_is_refused_and_writes_nothing(client, dist, merchant, owner, people):
    (a,) = people(1)
    promote(merchant, a)
    for body in (
        {"amount": 0, "account": ACCOUNT},
        {"amount": "x"},
        {"amount": 100, "channel": "nope", "account": ACCOUNT},
    ):
        r = client.post(f"{base(merchant)}/me/withdrawals", json=body, headers=a.headers)
        assert r.status_code == 422, body
    r = client.post(f"{base(merchant)}/bind", json={}, headers=a.headers)
    assert r.status_code == 422
    r = client.post(f"{base(merchant)}/bind", json={"share_code": "NOPE"}, headers=a.headers)
    assert r.status_code == 404
    r = client.put(
        f"{base(merchant)}/product-rules/999999",
        json={"mode": "rate", "level1": 500},
        headers=owner.headers,
    )
    assert r.status_code == 404
    r = client.put(
        f"{base(merchant)}/product-rules/1",
        json={"mode": "rate", "level1": 20000},
        headers=owner.headers,
    )
    assert r.status_code == 422
    assert Withdrawal.select().count() == 0


def test_staff_rebind_from_the_api_is_audited(client, dist, merchant, owner, people):
    a, b, buyer = people(3)
    pa, pb = promote(merchant, a), promote(merchant, b)
    share = create_share(a.user.id, merchant.id, "store", merchant.id)
    client.post(f"{base(merchant)}/bind", json={"share_code": share.code}, headers=buyer.headers)
    r = client.post(
        f"{base(merchant)}/bindings",
        json={"user_id": buyer.user.id, "promoter_id": pb.id, "reason": "客户要求"},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["promoter_id"] == pb.id and r.json["source"] == "staff"
    assert pa.id != pb.id


def test_everyone_joins_and_a_frozen_promoter_cannot_withdraw(
    client, dist, merchant, owner, people
):
    (a,) = people(1)
    r = client.post(f"{base(merchant)}/me", headers=a.headers)
    assert r.status_code == 409 and r.json["code"] == "promoters_appointed"
    dist(promoter_mode="everyone")
    r = client.post(f"{base(merchant)}/me", headers=a.headers)
    assert r.status_code == 201 and r.json["source"] == "everyone"
    again = client.post(f"{base(merchant)}/me", headers=a.headers)
    assert again.json["id"] == r.json["id"]
    r = client.patch(
        f"{base(merchant)}/promoters/{r.json['id']}",
        json={"status": "frozen"},
        headers=owner.headers,
    )
    assert r.json["status"] == "frozen"
    fund(merchant, Promoter.get_by_id(r.json["id"]), 5000)
    r = client.post(
        f"{base(merchant)}/me/withdrawals",
        json={"amount": 1000, "account": ACCOUNT},
        headers=a.headers,
    )
    assert r.status_code == 409 and r.json["code"] == "promoter_frozen"
    assert Withdrawal.select().count() == 0


def test_groups_product_rules_and_team_members(client, dist, merchant, owner, people, sku):
    r = client.post(
        f"{base(merchant)}/groups",
        json={"name": "高级", "level1_bp": 2000, "level2_bp": 800},
        headers=owner.headers,
    )
    assert r.status_code == 201
    group_id = r.json["id"]
    dup = client.post(
        f"{base(merchant)}/groups",
        json={"name": "高级", "level1_bp": 1, "level2_bp": 1},
        headers=owner.headers,
    )
    assert dup.status_code == 409
    a, buyer = people(2)
    r = client.post(
        f"{base(merchant)}/promoters",
        json={"user_id": a.user.id, "group_id": group_id},
        headers=owner.headers,
    )
    promoter_id = r.json["id"]
    r = client.put(
        f"{base(merchant)}/product-rules/{sku.product_id}",
        json={"mode": "fixed", "level1": 700, "level2": 100},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["mode"] == "fixed"
    promoters.bind(merchant.id, buyer.user.id, Promoter.get_by_id(promoter_id), "code")
    buy(buyer, sku, quantity=2)  # fixed 700 per unit beats the group's 20 %
    r = client.get(f"{base(merchant)}/commissions", headers=owner.headers)
    assert [c["amount"] for c in r.json] == [1400]
    client.delete(f"{base(merchant)}/product-rules/{sku.product_id}", headers=owner.headers)
    buy(buyer, sku)  # the group's 20 % of 10000
    r = client.get(f"{base(merchant)}/commissions?status=frozen", headers=owner.headers)
    assert sorted(c["amount"] for c in r.json) == [1400, 2000]
    r = client.get(f"{base(merchant)}/me/team/members?level=1", headers=a.headers)
    assert r.status_code == 200
    assert [(m["user_id"], m["orders"], m["commission"]) for m in r.json] == [
        (buyer.user.id, 2, 3400)
    ]
    r = client.delete(f"{base(merchant)}/groups/{group_id}", headers=owner.headers)
    assert r.status_code == 409 and r.json["code"] == "group_in_use"
    r = client.get(f"{base(merchant)}/promoters?q={a.user.email}", headers=owner.headers)
    assert [p["id"] for p in r.json] == [promoter_id]
