"""Levels, sign-in, segments, perks and the staff and buyer API, with their refusals."""

from __future__ import annotations

import datetime as dt

from mallkit.core.audit import AuditLog
from mallkit.core.plugins import merchant_plugins
from mallkit.core.testing import make_account, pay_order, place_order, refund_order
from mallkit.plugins.membership import members, points, signin
from mallkit.plugins.membership.models import LevelChange, Member, PointEntry, SignIn
from tests.plugins.membership.conftest import LEVELS


def url(merchant, path=""):
    return f"/api/v1/merchants/{merchant.id}/membership{path}"


def test_levels_go_up_and_down_with_growth_and_keep_a_history(membership, merchant, buyer, sku):
    order = pay_order(place_order(buyer, [(sku, 5)]))  # ¥500 → 金卡
    assert members.find(merchant.id, buyer.user.id).level == 2
    refund_order(order)
    m = members.find(merchant.id, buyer.user.id)
    assert (m.growth, m.level) == (0, 0)
    assert [(c.from_level, c.to_level) for c in LevelChange.select().order_by(LevelChange.id)] == [
        (0, 2),
        (2, 0),
    ]


def test_sign_in_rewards_follow_the_day_table_and_a_missed_day_restarts(
    membership, merchant, buyer
):
    day = dt.datetime(2026, 11, 1, 4, 0)  # 12:00 in Shanghai
    got = [signin.sign_in(merchant.id, buyer.user.id, day + dt.timedelta(days=n)) for n in range(3)]
    assert [(s.streak, s.points) for s in got] == [(1, 5), (2, 5), (3, 10)]
    later = signin.sign_in(merchant.id, buyer.user.id, day + dt.timedelta(days=5))  # missed two
    assert (later.streak, later.points) == (1, 5)
    assert members.find(merchant.id, buyer.user.id).points == 25


def test_the_sign_in_day_is_the_store_s_day(membership, merchant, buyer):
    # 23:30 UTC is already the next day in Shanghai (UTC+8): two separate store days.
    signin.sign_in(merchant.id, buyer.user.id, dt.datetime(2026, 11, 1, 15, 30))
    second = signin.sign_in(merchant.id, buyer.user.id, dt.datetime(2026, 11, 1, 16, 30))
    assert second.local_date == "2026-11-02" and second.streak == 2


def test_sign_in_through_the_api_once_a_day(client, membership, merchant, buyer):
    r = client.post(url(merchant, "/me/sign-in"), headers=buyer.headers)
    assert r.status_code == 201 and r.json["points"] == 5
    r = client.post(url(merchant, "/me/sign-in"), headers=buyer.headers)
    assert r.status_code == 409 and r.json["code"] == "already_signed_in"
    assert SignIn.select().count() == 1
    me = client.get(url(merchant, "/me"), headers=buyer.headers).json
    assert me["signed_today"] and me["points"] == 5 and me["growth_to_next"] == 100
    history = client.get(url(merchant, "/me/points"), headers=buyer.headers).json
    assert [(e["kind"], e["delta"]) for e in history] == [("signin", 5)]


def test_segments_select_members_by_rules_in_sql(client, membership, merchant, owner, buyer, sku):
    rich = buyer
    poor = make_account(email="poor@example.com")
    pay_order(place_order(rich, [(sku, 3)]))
    pay_order(place_order(poor, [(sku, 1)], address={**TEST_ADDRESS_BJ}))
    r = client.put(
        url(merchant, f"/members/{poor.user.id}/tags"),
        json={"tags": ["学生"]},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["tags"] == ["学生"]

    def segment(rules):
        r = client.post(
            url(merchant, "/segments"), json={"name": "s", "rules": rules}, headers=owner.headers
        )
        assert r.status_code == 201, r.json
        return r.json

    assert segment({"min_total_spent": 20000})["members"] == 1
    assert segment({"regions": ["北京市"]})["members"] == 1
    assert segment({"tags": ["学生"], "max_orders": 1})["members"] == 1
    assert segment({"levels": [1], "ordered_within_days": 7})["members"] == 2  # both 银卡
    assert segment({"no_order_for_days": 7})["members"] == 0
    everyone = segment({})
    assert everyone["members"] == 2
    listed = client.get(url(merchant, "/segments"), headers=owner.headers).json
    assert [s["members"] for s in listed] == [1, 1, 1, 2, 0, 2]
    hook = merchant_plugins(merchant.id).hook
    first = listed[0]["id"]
    assert hook.segment_members(merchant=merchant, segment_id=first) == [rich.user.id]
    assert hook.buyer_in_segment(merchant=merchant, buyer=rich.user, segment_id=first) is True
    assert hook.buyer_in_segment(merchant=merchant, buyer=poor.user, segment_id=first) is False
    assert hook.segment_members(merchant=merchant, segment_id=9999) is None
    r = client.get(url(merchant, f"/members?segment_id={first}"), headers=owner.headers)
    assert [m["user_id"] for m in r.json] == [rich.user.id]


TEST_ADDRESS_BJ = {
    "recipient": "李四",
    "phone": "13900000000",
    "province": "北京市",
    "city": "北京市",
    "district": "朝阳区",
    "detail": "建国路 1 号",
}


def test_bad_segment_rules_are_field_errors(client, membership, merchant, owner):
    r = client.post(
        url(merchant, "/segments"),
        json={"name": "s", "rules": {"min_orders": 5, "max_orders": 2, "min_total_spent": -1}},
        headers=owner.headers,
    )
    assert r.status_code == 422
    assert set(r.json["errors"]["rules"]) == {"min_total_spent"}
    r = client.post(
        url(merchant, "/segments"),
        json={"name": "s", "rules": {"min_orders": 5, "max_orders": 2}},
        headers=owner.headers,
    )
    assert r.status_code == 422 and set(r.json["errors"]["rules"]) == {"max_orders"}
    assert client.get(url(merchant, "/segments"), headers=owner.headers).json == []


def test_perks_come_from_the_level_and_nothing_when_membership_is_off(
    app, merchant, buyer, enable_plugin
):
    from tests.plugins.membership.conftest import CONFIG

    hook = lambda: merchant_plugins(merchant.id).hook  # noqa: E731
    with enable_plugin("membership", merchant, CONFIG):
        members.change_growth(merchant.id, buyer.user.id, 500, "adjust")
        (perks,) = hook().buyer_perks(merchant=merchant, buyer=buyer.user)
        assert perks == {
            "level": "金卡",
            "early_access_minutes": 30,
            "free_shipping": True,
            "priority_shipping": False,
            "service_queue": "vip",
        }
    assert hook().buyer_perks(merchant=merchant, buyer=buyer.user) == []


def test_staff_replace_levels_and_members_move_with_a_history(
    client, membership, merchant, owner, buyer
):
    members.change_growth(merchant.id, buyer.user.id, 150, "adjust")
    assert members.find(merchant.id, buyer.user.id).level == 1
    raised = [LEVELS[0], {**LEVELS[1], "threshold": 200}, {**LEVELS[2], "threshold": 900}]
    r = client.put(url(merchant, "/levels"), json={"levels": raised}, headers=owner.headers)
    assert r.status_code == 200, r.json
    assert [lv["threshold"] for lv in r.json["levels"]] == [0, 200, 900]
    assert members.find(merchant.id, buyer.user.id).level == 0
    assert LevelChange.select().order_by(LevelChange.id.desc()).get().to_level == 0


def test_levels_out_of_order_or_over_100_percent_are_field_errors_and_write_nothing(
    client, membership, merchant, owner
):
    bad = [
        {"name": "a", "threshold": 0},
        {"name": "b", "threshold": 500, "discount_percent": 120},
        {"name": "c", "threshold": 400, "points_multiplier": -1},
    ]
    r = client.put(url(merchant, "/levels"), json={"levels": bad}, headers=owner.headers)
    assert r.status_code == 422
    errors = r.json["errors"]["levels"]
    assert "discount_percent" in errors["1"] and "points_multiplier" in errors["2"]
    r = client.put(
        url(merchant, "/levels"),
        json={"levels": [{"name": "a", "threshold": 10}, {"name": "b", "threshold": 5}]},
        headers=owner.headers,
    )
    assert r.status_code == 422
    assert set(r.json["errors"]["levels"]) == {"0", "1"}
    assert [lv["threshold"] for lv in members.levels(merchant.id)] == [0, 100, 500]


def test_bad_plugin_config_is_refused_with_field_errors(client, membership, merchant, owner):
    r = client.put(
        f"/api/v1/merchants/{merchant.id}/plugins/membership/config",
        json={"config": {"redeem_cap_percent": 150, "growth_per_yuan": -1}},
        headers=owner.headers,
    )
    assert r.status_code == 422
    assert set(r.json["errors"]) == {"redeem_cap_percent", "growth_per_yuan"}
    assert members.config(merchant.id)["redeem_cap_percent"] == 50


def test_staff_adjust_points_and_growth_with_a_reason_and_an_audit_row(
    client, membership, merchant, owner, buyer
):
    members.ensure(merchant.id, buyer.user.id)
    r = client.post(
        url(merchant, f"/members/{buyer.user.id}/points"),
        json={"delta": 300, "reason": "补偿"},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["points"] == 300
    r = client.post(
        url(merchant, f"/members/{buyer.user.id}/points"),
        json={"delta": -301, "reason": "too much"},
        headers=owner.headers,
    )
    assert r.status_code == 409 and r.json["code"] == "points_insufficient"
    r = client.post(
        url(merchant, f"/members/{buyer.user.id}/growth"),
        json={"delta": 600, "reason": "VIP"},
        headers=owner.headers,
    )
    assert r.json["level_name"] == "金卡"
    r = client.post(
        url(merchant, f"/members/{buyer.user.id}/points"),
        json={"delta": 0, "reason": ""},
        headers=owner.headers,
    )
    assert r.status_code == 422 and set(r.json["errors"]) == {"delta", "reason"}
    audit = [a.action for a in AuditLog.select().where(AuditLog.merchant_id == merchant.id)]
    assert "membership.points_adjusted" in audit and "membership.growth_adjusted" in audit
    assert PointEntry.get(PointEntry.kind == "adjust").actor_id == owner.user.id
    stats = client.get(url(merchant, "/stats"), headers=owner.headers).json
    assert stats["members"] == 1 and stats["points_outstanding"] == 300
    assert [lv["members"] for lv in stats["by_level"]] == [0, 0, 1]


def test_buyers_and_other_stores_staff_cannot_reach_staff_routes(
    client, membership, merchant, other_merchant, buyer
):
    members.ensure(merchant.id, buyer.user.id)
    for path in ("/members", f"/members/{buyer.user.id}", "/segments", "/stats"):
        assert client.get(url(merchant, path), headers=buyer.headers).status_code == 403
    r = client.post(
        url(merchant, f"/members/{buyer.user.id}/points"),
        json={"delta": 10, "reason": "me"},
        headers=buyer.headers,
    )
    assert r.status_code == 403
    assert Member.get(Member.user_id == buyer.user.id).points == 0
    # The plugin is off for the other store: its routes answer 404.
    assert client.get(url(other_merchant, "/me"), headers=buyer.headers).status_code == 404


def test_a_points_event_multiplies_what_an_order_earns(
    client, membership, merchant, owner, buyer, sku
):
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    r = client.post(
        url(merchant, "/points-events"),
        json={
            "name": "双倍积分",
            "multiplier": 200,
            "starts_at": (now - dt.timedelta(hours=1)).isoformat() + "Z",
            "ends_at": (now + dt.timedelta(hours=1)).isoformat() + "Z",
        },
        headers=owner.headers,
    )
    assert r.status_code == 201, r.json
    pay_order(place_order(buyer, [(sku, 1)]))
    assert members.find(merchant.id, buyer.user.id).points == 200
    r = client.post(
        url(merchant, "/points-events"),
        json={
            "name": "x",
            "multiplier": 50,
            "starts_at": now.isoformat(),
            "ends_at": now.isoformat(),
        },
        headers=owner.headers,
    )
    assert r.status_code == 422 and set(r.json["errors"]) == {"multiplier"}
    r = client.post(
        url(merchant, "/points-events"),
        json={
            "name": "x",
            "multiplier": 300,
            "starts_at": now.isoformat(),
            "ends_at": now.isoformat(),
        },
        headers=owner.headers,
    )
    assert r.status_code == 422 and set(r.json["errors"]) == {"ends_at"}
    assert len(client.get(url(merchant, "/points-events")).json) == 1


def test_points_can_be_spent_only_by_their_owner(membership, merchant, buyer, other_buyer, sku):
    points.add(merchant.id, other_buyer.user.id, 5000, "adjust")
    order = place_order(buyer, [(sku, 1)], options={"points": 5000})
    assert order.total == 10000  # the buyer has none; the other buyer's are untouched
    assert members.find(merchant.id, other_buyer.user.id).points == 5000


def test_orders_of_a_level_that_ships_first_are_listed_for_staff(
    client, merchant, owner, buyer, other_buyer, sku, enable_plugin
):
    levels = [LEVELS[0], {**LEVELS[1], "priority_shipping": True}]
    with enable_plugin("membership", merchant, {"levels": levels}):
        members.change_growth(merchant.id, buyer.user.id, 100, "adjust")  # 银卡 ships first
        mine = pay_order(place_order(buyer, [(sku, 1)]))
        pay_order(place_order(other_buyer, [(sku, 1)]))
        place_order(buyer, [(sku, 1)])  # unpaid: not yet
        r = client.get(url(merchant, "/priority-orders"), headers=owner.headers)
        assert r.status_code == 200, r.json
        assert [(o["order_id"], o["level"]) for o in r.json] == [(mine.id, 1)]
        assert (
            client.get(url(merchant, "/priority-orders"), headers=buyer.headers).status_code == 403
        )
