"""The notifications plugin's console pages (register_console_pages): templates, the delivery
log and campaigns for the store's owner and managers — never its agents nor another store's
staff — and their buttons, driven the way the console drives them (the row fills the route's
placeholders, the row's fields decide which buttons show)."""

from __future__ import annotations

import datetime as dt
import re

from mallkit.core import db as dbm
from mallkit.core.accounts.merchants.service import add_staff
from mallkit.core.testing import make_account
from mallkit.plugins.notifications.models import Campaign, Message

KEYS = ["notifications/templates", "notifications/messages", "notifications/campaigns"]


def console(client, merchant, account):
    answer = client.get(f"/api/v1/merchants/{merchant.id}/console", headers=account.headers)
    assert answer.status_code == 200, answer.json
    return {p["id"]: p for p in answer.json["pages"] if p["plugin"] == "notifications"}


def fill(path: str, merchant_id: int, row: dict | None = None) -> str:
    """What the console does with a route path: ``{merchant_id}`` and ``{row field}``."""
    return "/api/v1" + re.sub(
        r"\{(\w+)\}",
        lambda m: str(merchant_id if m.group(1) == "merchant_id" else (row or {})[m.group(1)]),
        path,
    )


def shown(action: dict, row: dict) -> bool:
    return all(row.get(field) in values for field, values in action["when"].items())


def action(page: dict, key: str) -> dict:
    return next(a for a in page["actions"] if a["key"] == key)


def rows(client, merchant, page, account, query=""):
    answer = client.get(fill(page["path"], merchant.id) + query, headers=account.headers)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_owners_and_managers_get_the_pages(notify, client, merchant, owner):
    pages = console(client, merchant, owner)
    assert list(pages) == KEYS[2:] + KEYS[:2]  # marketing comes before service in the menu
    assert pages["notifications/templates"]["title"] == {
        "zh": "消息模板",
        "en": "Message templates",
    }
    assert {p["group"] for p in pages.values()} == {"service", "marketing"}
    assert all(p["roles"] == ["owner", "manager"] for p in pages.values())
    manager = make_account(email="manager@notify.test")
    add_staff(merchant, manager.user.email, "manager")
    assert sorted(console(client, merchant, manager)) == sorted(KEYS)


def test_agents_other_stores_and_stores_without_the_plugin_get_none(
    client, merchant, owner, other_merchant, enable_plugin
):
    assert console(client, merchant, owner) == {}  # the plugin is off
    agent = make_account(email="agent@notify.test")
    add_staff(merchant, agent.user.email, "agent")
    stranger = other_merchant.owner_account
    with (
        enable_plugin("notifications", merchant),
        enable_plugin("notifications", other_merchant),
    ):
        assert console(client, merchant, agent) == {}
        # another store's owner reads neither this store's console nor the routes behind it
        url = f"/api/v1/merchants/{merchant.id}/console"
        assert client.get(url, headers=stranger.headers).status_code == 403
        pages = console(client, other_merchant, stranger)  # their own store's pages
        assert sorted(pages) == sorted(KEYS)
        for page in pages.values():
            # the store's agent is refused; to a stranger the store has no such route
            for who, status in ((agent, 403), (stranger, 404)):
                listed = client.get(fill(page["path"], merchant.id), headers=who.headers)
                assert listed.status_code == status, (page["id"], who.user.email)


def test_a_template_is_edited_and_restored_from_its_row(notify, client, merchant, owner):
    page = console(client, merchant, owner)["notifications/templates"]
    assert [c["field"] for c in page["columns"]] == [
        "event",
        "channel",
        "locale",
        "subject",
        "body",
        "enabled",
        "custom",
    ]
    edit, reset = action(page, "edit"), action(page, "reset")
    assert edit["method"] == "PUT" and reset["method"] == "DELETE" and reset["confirm"]
    form = edit["form"]["schema"]
    assert form["required"] == ["body"]
    assert form["properties"]["body"]["x-description"]["zh"].startswith("正文")

    row = next(
        r
        for r in rows(client, merchant, page, owner)
        if (r["event"], r["channel"], r["locale"]) == ("order_shipped", "sms", "zh-CN")
    )
    assert row["custom"] is False and shown(edit, row) and not shown(reset, row)
    saved = client.put(
        fill(edit["path"], merchant.id, row),
        json={"subject": "", "body": "【{{ store.name }}】您的订单 {{ order.number }} 已发出"},
        headers=owner.headers,
    )
    assert saved.status_code == 200, saved.json
    row = next(
        r
        for r in rows(client, merchant, page, owner)
        if (r["event"], r["channel"], r["locale"]) == ("order_shipped", "sms", "zh-CN")
    )
    assert row["custom"] is True and row["body"].endswith("已发出") and shown(reset, row)
    # a template that does not render is refused beside its field, nothing saved
    bad = client.put(
        fill(edit["path"], merchant.id, row),
        json={"body": "{{ nonsense.field }}"},
        headers=owner.headers,
    )
    assert bad.status_code == 422 and bad.json["code"] == "template_error"
    reset_answer = client.delete(fill(reset["path"], merchant.id, row), headers=owner.headers)
    assert reset_answer.status_code == 204
    assert not any(r["custom"] for r in rows(client, merchant, page, owner))


def test_a_failed_message_is_sent_again_from_the_log(notify, client, merchant, owner, buyer):
    page = console(client, merchant, owner)["notifications/messages"]
    assert set(page["filters"]["schema"]["properties"]) == {"status", "event", "channel"}
    redeliver = action(page, "redeliver")
    assert redeliver["when"] == {"status": ["failed"]}
    failed = Message.create(
        merchant_id=merchant.id,
        user_id=buyer.user.id,
        event="order_paid",
        event_key="order_paid:console-test",
        channel="email",
        recipient=f"user:{buyer.user.id}",
        address=buyer.user.email,
        status="failed",
        attempts=8,
        last_error="SMTP: connection refused",
    )
    sent = Message.create(
        merchant_id=merchant.id,
        user_id=buyer.user.id,
        event="order_paid",
        event_key="order_paid:console-test",
        channel="inbox",
        recipient=f"user:{buyer.user.id}",
        status="sent",
        sent_at=dbm.utcnow(),
    )
    listed = rows(client, merchant, page, owner)
    assert [r["id"] for r in listed] == [sent.id, failed.id]  # newest first
    by_id = {r["id"]: r for r in listed}
    assert shown(redeliver, by_id[failed.id]) and not shown(redeliver, by_id[sent.id])
    assert [r["id"] for r in rows(client, merchant, page, owner, "?status=failed")] == [failed.id]
    again = client.post(
        fill(redeliver["path"], merchant.id, by_id[failed.id]), headers=owner.headers
    )
    assert again.status_code == 200 and again.json["status"] == "queued"
    # the route refuses what the page hides
    refused = client.post(
        fill(redeliver["path"], merchant.id, by_id[sent.id]), headers=owner.headers
    )
    assert refused.status_code == 422 and refused.json["code"] == "not_failed"


def test_a_campaign_is_created_from_the_form_and_stopped_from_its_row(
    notify, client, merchant, owner
):
    page = console(client, merchant, owner)["notifications/campaigns"]
    form = page["create"]["schema"]
    assert list(form["properties"]) == [
        "name",
        "kind",
        "audience",
        "channels",
        "subject",
        "body",
        "coupon_template_id",
        "run_at",
    ]
    assert form["properties"]["kind"]["enum"] == ["once", "birthday", "winback"]
    stop = action(page, "stop")
    assert stop["when"] == {"status": ["scheduled", "active"]} and stop["confirm"]
    tomorrow = (dbm.utcnow() + dt.timedelta(days=1)).isoformat() + "Z"
    created = client.post(
        fill(page["create_path"], merchant.id),
        json={"name": "双十二预告", "body": "{{ buyer.name }}，明天见", "run_at": tomorrow},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.json
    daily = client.post(
        fill(page["create_path"], merchant.id),
        json={"name": "生日祝福", "kind": "birthday", "body": "生日快乐", "channels": ["inbox"]},
        headers=owner.headers,
    )
    assert daily.status_code == 201, daily.json
    listed = rows(client, merchant, page, owner)
    assert [(r["name"], r["status"]) for r in listed] == [
        ("生日祝福", "active"),
        ("双十二预告", "scheduled"),
    ]
    assert all(shown(stop, r) for r in listed)
    stopped = client.post(fill(stop["path"], merchant.id, listed[1]), headers=owner.headers)
    assert stopped.status_code == 200 and stopped.json["status"] == "stopped"
    assert Campaign.get_by_id(created.json["id"]).status == "stopped"
    row = next(r for r in rows(client, merchant, page, owner) if r["id"] == created.json["id"])
    assert not shown(stop, row)
    # a form the route refuses: the field's error comes back for the console to show
    bad = client.post(
        fill(page["create_path"], merchant.id),
        json={"name": "每日", "kind": "birthday", "body": "x", "run_at": tomorrow},
        headers=owner.headers,
    )
    assert bad.status_code == 422 and "run_at" in bad.json["errors"]


def test_a_template_is_previewed_from_its_row_with_the_events_sample(
    notify, client, merchant, owner
):
    """预览 sends the row's wording (as the form holds it) and shows the rendered subject and
    text the route answers; nothing is saved."""
    page = console(client, merchant, owner)["notifications/templates"]
    preview = action(page, "preview")
    assert preview["method"] == "POST" and preview["prefill"]
    assert [c["field"] for c in preview["show"]] == ["subject", "body"]
    form = preview["form"]["schema"]["properties"]
    row = next(
        r
        for r in rows(client, merchant, page, owner)
        if (r["event"], r["channel"], r["locale"]) == ("order_shipped", "inbox", "zh-CN")
    )
    # the form opens with the row's values: those the form takes, as the console sends them
    body = {k: row[k] for k in form}
    assert body["event"] == "order_shipped" and "{{" in body["body"]
    answer = client.post(fill(preview["path"], merchant.id, row), json=body, headers=owner.headers)
    assert answer.status_code == 200, answer.json
    number = answer.json["context"]["order"]["number"]
    assert number in answer.json["body"] and "{{" not in answer.json["body"]
    assert {c["field"] for c in preview["show"]} <= set(answer.json)
    assert not any(r["custom"] for r in rows(client, merchant, page, owner))  # nothing saved
