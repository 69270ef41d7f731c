"""The group-buy API: who may do what, 404 where the plugin is off, bad input writes nothing,
open groups and the share page."""

from __future__ import annotations

import datetime as dt

from mallkit.core.db import utcnow
from mallkit.core.orders.models import Order
from mallkit.core.shares.models import ShareLink
from mallkit.plugins.groupbuy import service
from mallkit.plugins.groupbuy.models import Group, GroupActivity, Member
from tests.plugins.groupbuy.conftest import buy, make_activity, pay


def activity_body(sku, **over):
    now = utcnow()
    return {
        "title": "两人团",
        "product_id": sku.product_id,
        "prices": {str(sku.id): 990},
        "group_size": 2,
        "starts_at": (now - dt.timedelta(hours=1)).isoformat(),
        "ends_at": (now + dt.timedelta(days=1)).isoformat(),
        **over,
    }


def counts():
    return tuple(m.select().count() for m in (GroupActivity, Group, Member, ShareLink))


def test_routes_answer_404_where_the_plugin_is_off(client, owner, merchant, sku):
    base = f"/api/v1/merchants/{merchant.id}/groupbuy"
    assert client.get(f"{base}/activities").status_code == 404
    r = client.post(f"{base}/activities", json=activity_body(sku), headers=owner.headers)
    assert r.status_code == 404 and r.json["code"] == "not_found"
    assert counts() == (0, 0, 0, 0)


def test_staff_create_activities_and_bad_input_writes_nothing(
    client, gb, owner, buyer, merchant, other_merchant, sku
):
    base = f"/api/v1/merchants/{merchant.id}/groupbuy/activities"
    assert client.post(base, json=activity_body(sku)).status_code == 401
    assert client.post(base, json=activity_body(sku), headers=buyer.headers).status_code == 403
    other = other_merchant.owner_account
    assert client.post(base, json=activity_body(sku), headers=other.headers).status_code == 403
    bad = [
        activity_body(sku, group_size=1),
        activity_body(sku, prices={str(sku.id): sku.price}),
        activity_body(sku, prices={"999999": 10}),
        activity_body(sku, prices={str(sku.id): 1.5}),
        activity_body(sku, product_id=999999),
        activity_body(sku, ends_at=(utcnow() - dt.timedelta(days=3)).isoformat()),
        activity_body(sku, per_user_limit=1, per_order_limit=2),
        {**activity_body(sku), "surprise": 1},
        [],
    ]
    for body in bad:
        r = client.post(base, json=body, headers=owner.headers)
        assert r.status_code == 422, (body, r.json)
        assert set(r.json) == {"code", "status", "message", "errors"}
    assert counts() == (0, 0, 0, 0)
    r = client.post(base, json=activity_body(sku), headers=owner.headers)
    assert r.status_code == 201 and r.json["prices"] == {str(sku.id): 990}
    assert [a["id"] for a in client.get(base).json] == [r.json["id"]]
    # another store's view does not see it
    with_other = f"/api/v1/merchants/{other_merchant.id}/groupbuy/activities/{r.json['id']}"
    assert client.get(with_other).status_code == 404
    close = f"{base}/{r.json['id']}/close"
    assert client.post(close, headers=buyer.headers).status_code == 403
    assert client.post(close, headers=owner.headers).json["status"] == "closed"


def test_open_groups_group_page_and_share_links(client, gb, merchant, sku, activity, people):
    leader, friend, stranger = people(3)
    from mallkit.core.testing import make_account

    order = buy(leader, sku, activity)
    base = f"/api/v1/merchants/{merchant.id}/groupbuy"
    assert client.get(f"{base}/activities/{activity.id}/groups").json == []  # not paid yet
    pay(order)
    r = client.get(f"{base}/activities/{activity.id}/groups")
    (row,) = r.json
    assert row["seats_left"] == 2 and 0 < row["seconds_left"] <= 3600
    assert row["leader"].endswith("**") and leader.name not in row["leader"]
    group_id = row["id"]

    acct = make_account(email="sharer@gb.test")
    r = client.post(f"{base}/groups/{group_id}/share", headers=acct.headers)
    assert r.status_code == 404 and r.json["code"] == "not_a_member"
    from mallkit.core.accounts import auth

    token, _ = auth.issue_token(leader)
    r = client.post(f"{base}/groups/{group_id}/share", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201 and r.json["inviter_id"] == leader.id
    code = r.json["code"]
    assert r.json["url"].endswith(f"/s/{code}")
    page = client.get(f"{base}/shares/{code}").json
    assert page["group"]["id"] == group_id and len(page["group"]["members"]) == 1
    assert client.get(f"{base}/shares/unknown-code").status_code == 404

    friend_order = buy(friend, sku, activity, share=code)
    pay(friend_order)
    assert Member.get(Member.user_id == friend.id).inviter_id == leader.id
    # the join is attributed to the share link in the core as well
    assert friend_order.source == {
        "share_code": code,
        "channel": "link",
        "utm_source": "",
        "utm_medium": "",
        "utm_campaign": "",
    }
    assert Order.get_by_id(friend_order.id).share_id == ShareLink.get(code=code).id
    detail = client.get(f"{base}/groups/{group_id}").json
    assert detail["joined"] == 2 and detail["seats_left"] == 1
    assert [m["is_leader"] for m in detail["members"]] == [True, False]
    assert service.get_group(merchant.id, group_id).status == "open"
    assert stranger.id not in {m.user_id for m in Member.select()}


def test_another_stores_group_is_not_found(client, gb, merchant, other_merchant, sku, people):
    activity = make_activity(merchant, sku)
    (leader,) = people(1)
    pay(buy(leader, sku, activity))
    group = Group.get()
    from mallkit.core.testing import plugin_enabled

    with plugin_enabled(client.application, "groupbuy", other_merchant):
        r = client.get(f"/api/v1/merchants/{other_merchant.id}/groupbuy/groups/{group.id}")
        assert r.status_code == 404 and r.json["code"] == "group_not_found"
        r = client.get(
            f"/api/v1/merchants/{other_merchant.id}/groupbuy/activities/{activity.id}/groups"
        )
        assert r.status_code == 404


def test_checkout_over_http_refuses_bad_group_input_with_nothing_written(
    client, gb, buyer, merchant, sku, activity
):
    from mallkit.core.orders.models import Order
    from tests.core.orders.conftest import ADDRESS

    def place(quantity=1, **params):
        item = {
            "sku_id": sku.id,
            "quantity": quantity,
            "activity": {"type": "groupbuy", "id": activity.id, "params": params},
        }
        return client.post(
            "/api/v1/checkout/place",
            json={"items": [item], "address": ADDRESS},
            headers=buyer.headers,
        )

    cases = [
        (place(group_id="x"), 422, "invalid_activity"),
        (place(group_id=-3), 422, "invalid_activity"),
        (place(share=7), 422, "invalid_share"),
        (place(group_id=99999), 404, "group_not_found"),
        (place(quantity=2), 409, "per_order_limit"),
    ]
    for r, status, code in cases:
        assert (r.status_code, r.json["code"]) == (status, code), r.json
    assert Order.select().count() == 0 and counts() == (1, 0, 0, 0)
    r = place()
    assert r.status_code == 201, r.json
    assert r.json[0]["total"] == 990 and r.json[0]["lines"][0]["price_kind"] == "activity"
    assert counts() == (1, 1, 1, 0)


def test_product_cards_carry_the_group_badge(client, gb, merchant, sku, activity):
    detail = client.get(f"/api/v1/products/{sku.product_id}").json
    assert detail["extensions"]["groupbuy"] == {
        "activity_id": activity.id,
        "badge": "3人团",
        "price": 990,
    }
    cards = client.get(f"/api/v1/stores/{merchant.id}/products").json
    assert cards[0]["extensions"]["groupbuy"]["badge"] == "3人团"
    service.close_activity(activity)
    assert "groupbuy" not in client.get(f"/api/v1/products/{sku.product_id}").json["extensions"]


def test_a_group_orders_buyer_and_the_stores_staff_find_its_group(
    client, gb, merchant, other_merchant, owner, sku, activity, people
):
    from mallkit.core.accounts import auth
    from mallkit.core.testing import make_account, plugin_enabled

    leader, friend = people(2)
    order = buy(leader, sku, activity)
    url = f"/api/v1/merchants/{merchant.id}/groupbuy/orders/{order.id}/group"

    def bearer(user):
        return {"Authorization": f"Bearer {auth.issue_token(user)[0]}"}

    r = client.get(url, headers=bearer(leader))
    assert r.status_code == 200, r.json
    assert r.json["status"] == "pending" and r.json["joined"] == 1
    pay(order)
    r = client.get(url, headers=bearer(leader))
    assert r.json["status"] == "open" and r.json["seats_left"] == 2 and r.json["seconds_left"] > 0
    group_id = r.json["id"]
    assert client.get(url, headers=owner.headers).json["id"] == group_id
    # anyone else: 404, as if there were no such group
    for headers in (bearer(friend), other_merchant.owner_account.headers):
        r = client.get(url, headers=headers)
        assert r.status_code == 404 and r.json["code"] == "group_not_found"
    assert client.get(url).status_code == 401
    # an order that is no group order, and the same order under another store
    plain = make_account(email="plain@gb.test")
    r = client.get(
        f"/api/v1/merchants/{merchant.id}/groupbuy/orders/999999/group", headers=plain.headers
    )
    assert r.status_code == 404
    with plugin_enabled(client.application, "groupbuy", other_merchant):
        r = client.get(
            f"/api/v1/merchants/{other_merchant.id}/groupbuy/orders/{order.id}/group",
            headers=bearer(leader),
        )
        assert r.status_code == 404
