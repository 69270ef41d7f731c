"""The bargain API: 404 where the plugin is off, staff-only activities, bad input writes
nothing, start/help/share through HTTP, the share page."""

from __future__ import annotations

import datetime as dt

from mallkit.core.db import utcnow
from mallkit.core.shares.models import ShareLink
from mallkit.core.testing import make_account, plugin_enabled
from mallkit.plugins.bargain.models import Bargain, BargainActivity, Help
from tests.plugins.bargain.conftest import make_activity


def body(sku, **over):
    now = utcnow()
    return {
        "title": "砍价",
        "sku_id": sku.id,
        "start_price": 10000,
        "floor_price": 100,
        "helpers_needed": 3,
        "starts_at": (now - dt.timedelta(hours=1)).isoformat(),
        "ends_at": (now + dt.timedelta(days=1)).isoformat(),
        **over,
    }


def counts():
    return tuple(m.select().count() for m in (BargainActivity, Bargain, Help, ShareLink))


def test_routes_answer_404_where_the_plugin_is_off(client, owner, buyer, merchant, sku):
    base = f"/api/v1/merchants/{merchant.id}/bargain"
    assert client.get(f"{base}/activities").status_code == 404
    assert (
        client.post(f"{base}/activities", json=body(sku), headers=owner.headers).status_code == 404
    )
    r = client.post(f"{base}/bargains/1/helps", json={}, headers=buyer.headers)
    assert r.status_code == 404 and set(r.json) == {"code", "status", "message", "errors"}
    assert counts() == (0, 0, 0, 0)


def test_activities_are_staff_only_and_bad_input_writes_nothing(
    client, bg, owner, buyer, merchant, other_merchant, sku
):
    base = f"/api/v1/merchants/{merchant.id}/bargain/activities"
    assert client.post(base, json=body(sku), headers=buyer.headers).status_code == 403
    other = other_merchant.owner_account
    assert client.post(base, json=body(sku), headers=other.headers).status_code == 403
    bad = [
        body(sku, floor_price=9999),  # less than 1 fen per helper
        body(sku, start_price=sku.price + 1),
        body(sku, sku_id=999999),
        body(sku, helpers_needed=0),
        body(sku, start_price="10000"),
        body(sku, ends_at=(utcnow() - dt.timedelta(days=2)).isoformat()),
        {**body(sku), "extra": True},
        "text",
    ]
    for b in bad:
        r = client.post(base, json=b, headers=owner.headers)
        assert r.status_code == 422, (b, r.json)
    assert counts() == (0, 0, 0, 0)
    r = client.post(base, json=body(sku), headers=owner.headers)
    assert r.status_code == 201
    assert [a["id"] for a in client.get(base).json] == [r.json["id"]]
    with plugin_enabled(client.application, "bargain", other_merchant):
        url = f"/api/v1/merchants/{other_merchant.id}/bargain/activities/{r.json['id']}"
        assert client.get(url).status_code == 404


def test_start_help_share_through_http(client, bg, buyer, merchant, sku):
    activity = make_activity(merchant, sku, helpers_needed=3)
    base = f"/api/v1/merchants/{merchant.id}/bargain"
    assert client.post(f"{base}/activities/{activity.id}/bargains").status_code == 401
    r = client.post(f"{base}/activities/{activity.id}/bargains", headers=buyer.headers)
    assert r.status_code == 201 and r.json["current_price"] == 10000
    bargain_id = r.json["id"]
    assert "seed" not in r.json
    r = client.post(f"{base}/activities/{activity.id}/bargains", headers=buyer.headers)
    assert r.status_code == 409 and r.json["code"] == "bargain_limit"

    r = client.post(f"{base}/bargains/{bargain_id}/share", headers=buyer.headers)
    assert r.status_code == 201
    code = r.json["code"]
    assert r.json["url"].endswith(f"/s/{code}")
    link = ShareLink.get(code=code)
    assert (link.kind, link.target_id, link.sharer_id) == ("bargain", bargain_id, buyer.user.id)
    friend = make_account(email="friend@bargain.test", name="王五")
    before = counts()
    for junk in ({"share": 5}, {"share": ""}, {"what": 1}, []):
        r = client.post(f"{base}/bargains/{bargain_id}/helps", json=junk, headers=friend.headers)
        assert r.status_code == 422, (junk, r.json)
    r = client.post(
        f"{base}/bargains/{bargain_id}/helps", json={"share": "nope"}, headers=friend.headers
    )
    assert r.status_code == 422 and r.json["code"] == "invalid_share"
    assert counts() == before
    r = client.post(
        f"{base}/bargains/{bargain_id}/helps", json={"share": code}, headers=friend.headers
    )
    assert r.status_code == 201 and r.json["seq"] == 1 and r.json["helper"] == "王**"
    assert Help.get().inviter_id == buyer.user.id
    r = client.post(f"{base}/bargains/{bargain_id}/helps", json={}, headers=friend.headers)
    assert r.status_code == 409 and r.json["code"] == "help_limit"

    page = client.get(f"{base}/shares/{code}").json
    assert page["bargain"]["helps"] == 1 and len(page["bargain"]["helpers"]) == 1
    assert page["bargain"]["current_price"] == 10000 - page["bargain"]["helpers"][0]["amount"]
    assert client.get(f"{base}/shares/missing").status_code == 404
    stranger = make_account(email="stranger@bargain.test")
    r = client.post(f"{base}/bargains/{bargain_id}/share", headers=stranger.headers)
    assert r.status_code == 404 and r.json["code"] == "not_a_participant"


def test_a_buyer_lists_their_own_bargains_at_the_store(
    client, bg, buyer, merchant, other_merchant, sku
):
    base = f"/api/v1/merchants/{merchant.id}/bargain"
    first = make_activity(merchant, sku, helpers_needed=3)
    second = make_activity(merchant, sku, helpers_needed=2)
    ids = [
        client.post(f"{base}/activities/{a.id}/bargains", headers=buyer.headers).json["id"]
        for a in (first, second)
    ]
    friend = make_account(email="lister@bargain.test", name="赵六")
    client.post(f"{base}/activities/{first.id}/bargains", headers=friend.headers)
    client.post(f"{base}/bargains/{ids[0]}/helps", json={}, headers=friend.headers)
    r = client.get(f"{base}/me/bargains", headers=buyer.headers)
    assert r.status_code == 200
    assert [b["id"] for b in r.json] == ids[::-1]  # newest first, only mine
    assert r.json[1]["helps"] == 1 and r.json[1]["current_price"] < 10000
    assert '"total": 2' in r.headers["X-Pagination"]
    assert [b["id"] for b in client.get(f"{base}/me/bargains", headers=friend.headers).json] == [
        ids[-1] + 1
    ]
    assert client.get(f"{base}/me/bargains").status_code == 401
    with plugin_enabled(client.application, "bargain", other_merchant):
        other = f"/api/v1/merchants/{other_merchant.id}/bargain/me/bargains"
        assert client.get(other, headers=buyer.headers).json == []
