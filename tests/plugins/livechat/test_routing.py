"""Agents: presence, routing (last agent, least busy, queue), claiming, transfer, closing,
automatic replies, the staff inbox, and offline messages with ``on_chat_message_offline``."""

from __future__ import annotations

import datetime as dt

from mallkit.core.db import utcnow
from mallkit.core.testing import concurrently, make_account, on_postgres
from mallkit.plugins.livechat import service
from mallkit.plugins.livechat.models import Agent, Conversation, Message
from tests.plugins.livechat.conftest import base
from tests.plugins.livechat.test_api import answer, open_conversation, say


def online(client, merchant, agent, status="online"):
    r = client.put(
        f"{base(merchant.id)}/staff/presence", json={"status": status}, headers=agent.headers
    )
    assert r.status_code == 200, r.json
    return r.json


def conversation(cid):
    return Conversation.get_by_id(cid)


def test_without_online_agents_a_conversation_waits_in_the_queue(
    client, chat, merchant, buyer, make_agent
):
    make_agent()  # an agent exists but is not online
    c = open_conversation(client, merchant, buyer)
    say(client, merchant, buyer, c["id"])
    assert conversation(c["id"]).status == "queued" and conversation(c["id"]).agent_id is None


def test_the_least_busy_online_agent_gets_a_new_conversation(client, chat, merchant, make_agent):
    a, b = make_agent("a"), make_agent("b")
    online(client, merchant, a)
    online(client, merchant, b)
    buyers = [make_account(email=f"b{n}@chat.test") for n in range(3)]
    owners = []
    for person in buyers:
        c = open_conversation(client, merchant, person)
        say(client, merchant, person, c["id"])
        owners.append(conversation(c["id"]).agent_id)
    assert owners == [a.user.id, b.user.id, a.user.id]
    agents = client.get(f"{base(merchant.id)}/staff/agents", headers=a.headers).json
    assert {x["user_id"]: x["assigned"] for x in agents} == {a.user.id: 2, b.user.id: 1}


def test_the_buyers_last_agent_gets_them_again_when_online(
    client, chat, merchant, buyer, make_agent
):
    a, b = make_agent("a"), make_agent("b")
    online(client, merchant, b)
    c = open_conversation(client, merchant, buyer)
    say(client, merchant, buyer, c["id"])
    assert conversation(c["id"]).agent_id == b.user.id
    client.post(f"{base(merchant.id)}/staff/conversations/{c['id']}/close", headers=b.headers)
    # b now has nothing, a has two: still b, the last agent.
    online(client, merchant, a)
    for n in range(2):
        other = make_account(email=f"x{n}@chat.test")
        oc = open_conversation(client, merchant, other)
        client.post(f"{base(merchant.id)}/staff/conversations/{oc['id']}/claim", headers=a.headers)
    say(client, merchant, buyer, c["id"], "又来了")
    assert conversation(c["id"]).agent_id == b.user.id
    client.post(f"{base(merchant.id)}/staff/conversations/{c['id']}/close", headers=b.headers)
    # b offline: the least busy online agent, a.
    online(client, merchant, b, "offline")
    say(client, merchant, buyer, c["id"], "还在吗")
    assert conversation(c["id"]).agent_id == a.user.id


def test_an_agent_without_heartbeats_counts_as_offline(client, chat, merchant, buyer, make_agent):
    a = make_agent()
    online(client, merchant, a)
    Agent.update(seen_at=utcnow() - dt.timedelta(minutes=5)).execute()
    c = open_conversation(client, merchant, buyer)
    say(client, merchant, buyer, c["id"])
    assert conversation(c["id"]).status == "queued"
    agents = client.get(f"{base(merchant.id)}/staff/agents", headers=a.headers).json
    assert agents[0]["status"] == "offline"


def test_answering_or_claiming_a_queued_conversation_takes_it_once(
    client, chat, merchant, buyer, make_agent
):
    a, b = make_agent("a"), make_agent("b")
    c = open_conversation(client, merchant, buyer)
    say(client, merchant, buyer, c["id"])
    r = client.post(f"{base(merchant.id)}/staff/conversations/{c['id']}/claim", headers=a.headers)
    assert r.status_code == 200 and r.json["agent_id"] == a.user.id
    r = client.post(f"{base(merchant.id)}/staff/conversations/{c['id']}/claim", headers=b.headers)
    assert r.status_code == 409
    assert r.json["errors"]["conversation"] == {"status": "assigned", "agent_id": a.user.id}


def test_racing_claims_leave_one_agent(app, chat, merchant, buyer, make_agent):
    agents = [make_agent(f"r{n}") for n in range(6 if on_postgres() else 3)]
    c = service.open_conversation(merchant.id, buyer.user.id)
    results = concurrently(app, lambda i: service.claim(c, agents[i].user.id), len(agents))
    won = [r for r in results if not isinstance(r, Exception)]
    assert len(won) == 1
    assert all(
        getattr(r, "code", "") == "already_assigned" for r in results if isinstance(r, Exception)
    )
    assert conversation(c.id).agent_id == won[0].agent_id


def test_racing_messages_get_distinct_consecutive_numbers(app, chat, merchant, buyer):
    c = service.open_conversation(merchant.id, buyer.user.id)
    n = 12 if on_postgres() else 6
    results = concurrently(app, lambda i: service.send(c, buyer.user, "buyer", "text", f"m{i}"), n)
    assert not [r for r in results if isinstance(r, Exception)], results
    seqs = sorted(m.seq for m in Message.select().where(Message.sender_role == "buyer"))
    assert seqs == list(range(1, n + 1))
    assert conversation(c.id).last_seq == n


def test_transfer_hands_over_with_a_system_note_and_checks_the_agent(
    client, chat, merchant, buyer, make_agent, other_merchant
):
    a, b = make_agent("a"), make_agent("b")
    online(client, merchant, a)
    online(client, merchant, b, "away")
    c = open_conversation(client, merchant, buyer)
    say(client, merchant, buyer, c["id"])
    assert conversation(c["id"]).agent_id == a.user.id
    url = f"{base(merchant.id)}/staff/conversations/{c['id']}/transfer"
    r = client.post(url, json={"agent_id": b.user.id}, headers=a.headers)
    assert r.status_code == 200 and r.json["agent_id"] == b.user.id
    note = Message.select().order_by(Message.id.desc()).first()
    assert note.kind == "system" and note.payload["to"] == b.user.id
    # The agent it was transferred from no longer holds it: a stale transfer is a 409.
    r = client.post(
        url, json={"agent_id": a.user.id, "from_agent_id": a.user.id}, headers=b.headers
    )
    assert r.status_code == 409 and r.json["errors"]["conversation"]["agent_id"] == b.user.id
    # An agent cannot move a colleague's conversation; a stranger is no target.
    assert client.post(url, json={"agent_id": a.user.id}, headers=a.headers).status_code == 403
    stranger = make_account(email="nobody@chat.test")
    r = client.post(url, json={"agent_id": stranger.user.id}, headers=b.headers)
    assert r.status_code == 422 and r.json["code"] == "invalid_agent"
    assert conversation(c["id"]).agent_id == b.user.id


def test_closing_twice_is_a_conflict(client, chat, merchant, buyer, owner):
    c = open_conversation(client, merchant, buyer)
    url = f"{base(merchant.id)}/staff/conversations/{c['id']}/close"
    assert client.post(url, headers=owner.headers).json["status"] == "closed"
    r = client.post(url, headers=owner.headers)
    assert r.status_code == 409 and r.json["errors"]["conversation"]["status"] == "closed"


def test_the_queue_puts_priority_buyers_first_and_inbox_boxes_and_search(
    client, chat, merchant, owner, make_agent
):
    agent = make_agent()
    plain, vip = (
        make_account(email="plain@chat.test", name="普通"),
        make_account(email="vip@chat.test", name="金卡"),
    )
    chat.PRIORITY[vip.user.id] = 10
    pc = open_conversation(client, merchant, plain)
    say(client, merchant, plain, pc["id"], "退货怎么办")
    vc = open_conversation(client, merchant, vip)
    say(client, merchant, vip, vc["id"], "发票")
    inbox = f"{base(merchant.id)}/staff/inbox"
    queue = client.get(inbox, query_string={"box": "queue"}, headers=agent.headers).json
    assert [x["id"] for x in queue] == [vc["id"], pc["id"]]
    assert queue[0]["priority"] == 10 and queue[0]["staff_unread"] == 1
    client.post(f"{base(merchant.id)}/staff/conversations/{pc['id']}/claim", headers=agent.headers)
    mine = client.get(inbox, query_string={"box": "assigned"}, headers=agent.headers).json
    assert [x["id"] for x in mine] == [pc["id"]] and mine[0]["buyer_name"] == "普通"
    found = client.get(inbox, query_string={"q": "退货"}, headers=agent.headers).json
    assert [x["id"] for x in found] == [pc["id"]]
    found = client.get(inbox, query_string={"q": "金卡"}, headers=agent.headers).json
    assert [x["id"] for x in found] == [vc["id"]]
    assert client.get(inbox, query_string={"box": "nope"}, headers=agent.headers).status_code == 422


def test_keyword_and_off_hours_automatic_replies(client, app, chat, merchant, buyer, enable_plugin):
    settings = {
        "auto_replies": [{"keyword": "发货", "reply": "付款后 48 小时内发货"}],
        # Office hours that never include now: a one-minute window an hour away (UTC store).
        "office_hours_start": "00:00",
        "office_hours_end": "00:01",
        "off_hours_message": "客服已下班，明早回复",
    }
    with enable_plugin("livechat", merchant, settings):
        c = open_conversation(client, merchant, buyer)
        with app.app_context():
            closed_now = not service.in_office_hours(merchant.id)
        say(client, merchant, buyer, c["id"], "什么时候发货？")
        say(client, merchant, buyer, c["id"], "在吗")
        texts = [(m.sender_role, m.text) for m in Message.select().order_by(Message.seq)]
    expected = [("buyer", "什么时候发货？"), ("system", "付款后 48 小时内发货")]
    if closed_now:  # the off-hours note once, not after every message
        expected.append(("system", "客服已下班，明早回复"))
    expected.append(("buyer", "在吗"))
    assert texts == expected


def test_office_hours_in_the_store_time_zone(app, chat, merchant, enable_plugin):
    with enable_plugin(
        "livechat", merchant, {"office_hours_start": "09:00", "office_hours_end": "18:00"}
    ):
        with app.app_context():
            # Asia/Shanghai is UTC+8: 02:00 UTC is 10:00 there, 12:00 UTC is 20:00.
            assert service.in_office_hours(merchant.id, dt.datetime(2026, 1, 5, 2, 0))
            assert not service.in_office_hours(merchant.id, dt.datetime(2026, 1, 5, 12, 0))
    with enable_plugin(
        "livechat", merchant, {"office_hours_start": "22:00", "office_hours_end": "06:00"}
    ):
        with app.app_context():
            assert service.in_office_hours(merchant.id, dt.datetime(2026, 1, 5, 15, 0))  # 23:00
            assert not service.in_office_hours(merchant.id, dt.datetime(2026, 1, 5, 4, 0))  # 12:00


def test_offline_messages_are_kept_counted_and_announced(client, chat, merchant, buyer, make_agent):
    agent = make_agent()
    c = open_conversation(client, merchant, buyer)
    m1 = say(client, merchant, buyer, c["id"], "有人吗").json
    # Nobody online: the store's queue is told (recipient None).
    assert chat.OFFLINE == [(merchant.id, m1["id"], None, 1)]
    online(client, merchant, agent)
    m2 = say(client, merchant, buyer, c["id"], "在吗").json
    assert conversation(c["id"]).agent_id == agent.user.id
    assert len(chat.OFFLINE) == 1  # the agent is online: not offline
    r1 = answer(client, merchant, agent, c["id"], "在的").json
    r2 = answer(client, merchant, agent, c["id"], "请说").json
    # The buyer has no live connection: both answers are offline messages for them.
    assert chat.OFFLINE[1:] == [
        (merchant.id, r1["id"], buyer.user.id, 1),
        (merchant.id, r2["id"], buyer.user.id, 2),
    ]
    # The agent goes away without heartbeats: the buyer's next message is for them, offline.
    online(client, merchant, agent, "offline")
    m3 = say(client, merchant, buyer, c["id"], "人呢").json
    assert chat.OFFLINE[-1] == (merchant.id, m3["id"], agent.user.id, 3)
    assert m2["seq"] == 2
    mine = client.get(f"{base(merchant.id)}/conversations/{c['id']}", headers=buyer.headers).json
    assert mine["buyer_unread"] == 2


def test_racing_read_receipts_keep_the_highest(app, chat, merchant, buyer, owner):
    c = service.open_conversation(merchant.id, buyer.user.id)
    for n in range(8):
        service.send(c, owner.user, "staff", "text", f"m{n}")
    ups = [3, 8, 5, 1, 7, 2] if on_postgres() else [3, 8, 5]
    results = concurrently(app, lambda i: service.mark_read(c, "buyer", ups[i]), len(ups))
    assert not [r for r in results if isinstance(r, Exception)], results
    fresh = conversation(c.id)
    assert fresh.buyer_read_seq == 8
    assert service.unread_counts([fresh])[c.id]["buyer"] == 0
