"""Ads: creatives (checks, permissions), serving (schedule, priority, slots, targeting by
level, segment and region), impressions and clicks counted by the analytics collector, and
the console page (its buttons driven through the routes they name)."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from mallkit.core.accounts.merchants.service import add_staff
from mallkit.core.plugins import PluginMeta
from mallkit.core.testing import make_account, make_product, pay_order, place_order, skus_of
from mallkit.hookspecs import hookimpl
from mallkit.plugins.ads.models import PLACEMENTS, Creative
from mallkit.plugins.analytics.aggregate import aggregate_day

# A stand-in for a membership plugin: buyer 'gold' is 金卡 and in segment 7.
members = types.ModuleType("ads_test_members")
members.meta = PluginMeta(name="ads_test_members", version="1.0.0", title="Members")
members.GOLD = set()


@hookimpl
def buyer_perks(merchant, buyer):
    return {"level": "金卡" if buyer.id in members.GOLD else "普通会员"}


@hookimpl
def buyer_in_segment(merchant, buyer, segment_id):
    return segment_id == 7 and buyer.id in members.GOLD


members.buyer_perks = buyer_perks
members.buyer_in_segment = buyer_in_segment


@pytest.fixture
def ads(app, merchant, enable_plugin):
    with enable_plugin("ads", merchant), enable_plugin(members, merchant):
        yield
    members.GOLD.clear()


def creative(client, merchant, owner, **fields):
    product = fields.pop("product", None) or make_product(merchant)
    body = {
        "placement": "home_banner",
        "title": "双11",
        "image_url": "https://img.example.com/a.jpg",
        "link_type": "product",
        "link_target": str(product.id),
    } | fields
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/ads/creatives", json=body, headers=owner.headers
    )
    assert r.status_code == 201, r.json
    return r.json


def served(client, merchant, placement="home_banner", headers=None, **params):
    r = client.get(
        f"/api/v1/merchants/{merchant.id}/ads/{placement}",
        query_string=params,
        headers=headers or {},
    )
    assert r.status_code == 200, r.json
    return [ad["title"] for ad in r.json]


def test_a_creative_links_only_to_the_stores_things(client, merchant, other_merchant, owner, ads):
    foreign = make_product(other_merchant)
    base = {"placement": "home_banner", "title": "x", "image_url": "https://img.example.com/a.jpg"}
    url = f"/api/v1/merchants/{merchant.id}/ads/creatives"
    for link in (
        {"link_type": "product", "link_target": str(foreign.id)},
        {"link_type": "product", "link_target": "abc"},
        {"link_type": "url", "link_target": "javascript:alert(1)"},
        {"link_type": "category", "link_target": "999999"},
        {"link_type": "product", "link_target": "²"},  # str.isdigit(), not int()
        {"link_type": "product", "link_target": "9" * 30},  # beyond any id column
    ):
        r = client.post(url, json=base | link, headers=owner.headers)
        assert r.status_code == 422 and r.json["code"] == "invalid_ad", (link, r.json)
    r = client.post(
        url,
        json=base
        | {
            "link_type": "url",
            "link_target": "https://example.com/sale",
            "starts_at": "2026-01-02T00:00:00Z",
            "ends_at": "2026-01-01T00:00:00Z",
        },
        headers=owner.headers,
    )
    assert r.status_code == 422 and "ends_at" in r.json["errors"]
    assert Creative.select().count() == 0


def test_only_the_stores_owner_and_managers_manage_ads(
    client, merchant, other_merchant, owner, buyer, ads
):
    ad = creative(client, merchant, owner)
    url = f"/api/v1/merchants/{merchant.id}/ads/creatives/{ad['id']}"
    for headers in (other_merchant.owner_account.headers, buyer.headers):
        assert client.get(url, headers=headers).status_code == 404
        assert client.patch(url, json={"enabled": False}, headers=headers).status_code == 404
    r = client.patch(url, json={"priority": 5}, headers=owner.headers)
    assert r.status_code == 200 and r.json["priority"] == 5
    assert client.delete(url, headers=owner.headers).status_code == 204
    assert client.get(url, headers=owner.headers).status_code == 404


def test_a_placement_serves_what_is_on_now_by_priority_up_to_its_slots(
    client, merchant, owner, ads
):
    now = dt.datetime.now(dt.UTC)
    iso = lambda d: (now + dt.timedelta(days=d)).isoformat()  # noqa: E731
    creative(client, merchant, owner, title="low", priority=1)
    creative(client, merchant, owner, title="high", priority=9)
    creative(client, merchant, owner, title="later", starts_at=iso(1))
    creative(client, merchant, owner, title="over", starts_at=iso(-3), ends_at=iso(-1))
    creative(client, merchant, owner, title="off", enabled=False)
    creative(client, merchant, owner, title="top a", placement="search_top", priority=1)
    creative(client, merchant, owner, title="top b", placement="search_top", priority=2)
    assert served(client, merchant) == ["high", "low"]
    assert served(client, merchant, "search_top") == ["top b"]  # one slot
    assert served(client, merchant, "list_slot") == []


def test_targeting_by_level_segment_and_region(client, merchant, owner, buyer, other_buyer, ads):
    members.GOLD.add(buyer.user.id)
    creative(client, merchant, owner, title="gold", levels=["金卡"])
    creative(client, merchant, owner, title="segment 7", segments=[7])
    creative(client, merchant, owner, title="zhejiang", regions=["浙江省"])
    creative(client, merchant, owner, title="all")
    # Equal priorities: the newest first.
    assert served(client, merchant) == ["all"]  # anonymous, no region
    assert served(client, merchant, region="浙江省") == ["all", "zhejiang"]
    assert served(client, merchant, headers=buyer.headers) == ["all", "segment 7", "gold"]
    assert served(client, merchant, headers=other_buyer.headers) == ["all"]
    # A buyer's region defaults to their last paid order's province (上海市 in the test kit).
    (sku,) = skus_of(make_product(merchant))
    pay_order(
        place_order(
            other_buyer,
            [(sku, 1)],
            address={
                "recipient": "李四",
                "phone": "13900000000",
                "province": "浙江省",
                "city": "杭州市",
                "district": "西湖区",
                "detail": "文一路 1 号",
            },
        )
    )
    assert served(client, merchant, headers=other_buyer.headers) == ["all", "zhejiang"]


def test_impressions_and_clicks_through_the_collector_give_ctr(
    client, merchant, owner, ads, enable_plugin
):
    with enable_plugin("analytics", merchant):
        ad = creative(client, merchant, owner)
        (served_ad,) = client.get(f"/api/v1/merchants/{merchant.id}/ads/home_banner").json
        track = served_ad["track"]
        for n in range(4):
            events = [{"kind": "ad_impression", **track}]
            if n == 0:
                events.append({"kind": "ad_click", **track})
            r = client.post(
                f"/api/v1/merchants/{merchant.id}/analytics/events",
                json={"device_id": f"device-{n:04d}", "events": events},
            )
            assert r.status_code == 202
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        aggregate_day(merchant.id, today)
        r = client.get(
            f"/api/v1/merchants/{merchant.id}/analytics/traffic",
            query_string={"start": today.isoformat(), "end": today.isoformat()},
            headers=owner.headers,
        )
        assert r.json["sections"]["ads"] == [
            {
                "creative_id": ad["id"],
                "placement": "home_banner",
                "impressions": 4,
                "clicks": 1,
                "ctr": 0.25,
            }
        ]


def test_a_store_without_the_plugin_serves_nothing(client, merchant):
    assert client.get(f"/api/v1/merchants/{merchant.id}/ads/home_banner").status_code == 404


def console_pages(client, merchant, account) -> dict[str, dict]:
    r = client.get(f"/api/v1/merchants/{merchant.id}/console", headers=account.headers)
    assert r.status_code == 200, r.json
    return {p["id"]: p for p in r.json["pages"]}


def test_the_console_page_is_for_owners_and_managers_and_its_buttons_drive_the_routes(
    client, merchant, owner, enable_plugin
):
    manager = make_account(email="manager@ads.test")
    agent = make_account(email="agent@ads.test")
    add_staff(merchant, manager.user.email, "manager")
    add_staff(merchant, agent.user.email, "agent")
    assert "ads/creatives" not in console_pages(client, merchant, owner)  # plugin off
    with enable_plugin("ads", merchant):
        ad = creative(client, merchant, owner, title="双11 爆款", priority=4)
        fill = lambda path, row=ad: path.format(merchant_id=merchant.id, **row)  # noqa: E731
        for who in (owner, manager):
            page = console_pages(client, merchant, who)["ads/creatives"]
            assert (page["title"], page["group"]) == ({"zh": "广告位", "en": "Ads"}, "marketing")
            assert page["description"]["zh"] and page["description"]["en"]
            rows = client.get("/api/v1" + fill(page["path"]), headers=who.headers)
            assert rows.status_code == 200 and [r["title"] for r in rows.json] == ["双11 爆款"]
            # every column reads a field the list answers
            assert {c["field"] for c in page["columns"]} <= set(rows.json[0])
        pages = console_pages(client, merchant, agent)
        assert "ads/creatives" not in pages  # and the routes refuse an agent (staff: 403)
        url = "/api/v1" + fill(page["path"])
        assert client.get(url, headers=agent.headers).status_code == 403

        create = page["create"]["schema"]
        assert create["properties"]["placement"]["enum"] == list(PLACEMENTS)
        assert set(create["required"]) == {
            "placement",
            "title",
            "image_url",
            "link_type",
            "link_target",
        }
        assert create["properties"]["placement"]["x-description"]["zh"].startswith("home_banner")
        actions = {a["key"]: a for a in page["actions"]}
        assert list(actions) == ["edit", "switch", "delete"]
        edit, switch, delete = actions["edit"], actions["switch"], actions["delete"]
        # the edit form has no on/off box: an empty box would be sent as false
        assert "enabled" not in edit["form"]["schema"]["properties"]
        assert "priority" in edit["form"]["schema"]["properties"]
        assert list(switch["form"]["schema"]["properties"]) == ["enabled"]
        assert (delete["method"], delete["confirm"]) == ("DELETE", True)

        item = "/api/v1" + fill(edit["path"])
        r = client.patch(item, json={"priority": 9}, headers=manager.headers)
        assert r.status_code == 200 and (r.json["priority"], r.json["enabled"]) == (9, True)
        assert client.patch(item, json={"priority": 9}, headers=agent.headers).status_code == 403
        r = client.open(
            item, method=switch["method"], json={"enabled": False}, headers=owner.headers
        )
        assert r.status_code == 200 and r.json["enabled"] is False
        assert served(client, merchant) == []
        r = client.open(
            "/api/v1" + fill(delete["path"]), method=delete["method"], headers=owner.headers
        )
        assert r.status_code == 204
        assert client.get(url, headers=owner.headers).json == []
