"""Real WebSocket clients against a real server (werkzeug, threaded, in a thread of the test
process: the in-process broker): authentication, both directions, order, read receipts,
typing, catch-up after a dropped connection, and a lost publish."""

from __future__ import annotations

import pytest
import simple_websocket

from mallkit.core import plugin_settings
from mallkit.core.accounts import auth
from mallkit.plugins.livechat.models import Conversation, Message
from tests.plugins.livechat.conftest import base
from tests.plugins.livechat.test_api import open_conversation, say
from tests.plugins.livechat.test_routing import online


@pytest.fixture
def server(live_server, chat):
    return live_server()


def test_a_buyer_and_an_agent_talk_both_ways(server, connect, client, merchant, buyer, make_agent):
    agent = make_agent()
    online(client, merchant, agent)
    staff = connect(server.port, merchant.id, agent.token, role="staff")
    assert staff.next("hello")["role"] == "staff"
    me = connect(server.port, merchant.id, buyer.token)
    hello = me.next("hello")
    assert hello["role"] == "buyer" and hello["conversation"]["buyer_id"] == buyer.user.id
    cid = hello["conversation"]["id"]

    me.send(type="send", text="在吗 <b>", client_id="c1")
    got = staff.next("message")["message"]
    assert (got["conversation_id"], got["seq"], got["text"]) == (cid, 1, "在吗 &lt;b&gt;")
    ack = me.next("ack")
    assert ack["client_id"] == "c1" and ack["seq"] == 1
    assert staff.next("assigned")["agent_id"] == agent.user.id

    staff.send(type="send", conversation_id=cid, text="在的")
    answer = me.next("message")["message"]
    assert answer["sender_role"] == "staff" and answer["sender_id"] == agent.user.id
    assert [m.text for m in Message.select().order_by(Message.seq)] == ["在吗 &lt;b&gt;", "在的"]


def test_messages_arrive_in_order(server, connect, client, merchant, buyer, owner):
    staff = connect(server.port, merchant.id, owner.token, role="staff")
    staff.next("hello")
    me = connect(server.port, merchant.id, buyer.token)
    me.next("hello")
    for n in range(25):
        me.send(type="send", text=f"m{n}")
    got = staff.messages(25)
    assert [m["text"] for m in got] == [f"m{n}" for n in range(25)]
    assert [m["seq"] for m in got] == list(range(1, 26))


def test_tokens_by_header_query_or_first_message(server, connect, merchant, buyer):
    by_query = connect(server.port, merchant.id, buyer.token, header=False)
    assert by_query.next("hello")["user_id"] == buyer.user.id
    first = connect(server.port, merchant.id)
    first.send(type="auth", token=buyer.token)
    assert first.next("hello")["user_id"] == buyer.user.id
    wrong = connect(server.port, merchant.id)
    wrong.send(type="auth", token="mk_nope")
    assert wrong.next("error")["status"] == 401
    assert wrong.closed.wait(3)


def test_a_bad_handshake_is_refused_before_the_upgrade(
    server, merchant, other_merchant, buyer, make_agent
):
    url = f"ws://127.0.0.1:{server.port}{base(merchant.id)}/ws"
    stranger = make_agent("stranger", store=other_merchant)
    for query, token, status in (
        ("", "mk_nope", 401),  # unknown token
        ("?role=staff", buyer.token, 403),  # not staff here
        ("?role=staff", stranger.token, 403),  # another store's agent
        ("?role=boss", buyer.token, 422),
        (f"?role=staff&token={stranger.token}", None, 403),  # the query token is checked too
    ):
        headers = {"Authorization": f"Bearer {token}"} if token else None
        with pytest.raises(simple_websocket.ConnectionError) as refused:
            simple_websocket.Client.connect(url + query, headers=headers)
        assert refused.value.status_code == status, query
    # A store without live chat: 404.
    other = f"ws://127.0.0.1:{server.port}{base(other_merchant.id)}/ws"
    with pytest.raises(simple_websocket.ConnectionError) as refused:
        simple_websocket.Client.connect(other, headers={"Authorization": f"Bearer {buyer.token}"})
    assert refused.value.status_code == 404


def test_staff_sockets_hear_routing_and_transfers(
    server, connect, client, merchant, buyer, make_agent
):
    a, b = make_agent("a"), make_agent("b")
    online(client, merchant, a)
    online(client, merchant, b)
    watch_a = connect(server.port, merchant.id, a.token, role="staff")
    watch_a.next("hello")
    me = connect(server.port, merchant.id, buyer.token)
    cid = me.next("hello")["conversation"]["id"]
    me.send(type="send", text="hi")
    assigned = watch_a.next("assigned")
    assert (assigned["conversation_id"], assigned["agent_id"]) == (cid, a.user.id)
    assert me.next("assigned")["agent_id"] == a.user.id
    r = client.post(
        f"{base(merchant.id)}/staff/conversations/{cid}/transfer",
        json={"agent_id": b.user.id},
        headers=a.headers,
    )
    assert r.status_code == 200
    assert watch_a.next("assigned")["agent_id"] == b.user.id
    note = me.next("message")["message"]  # (its own "hi" went by while waiting above)
    assert (note["seq"], note["kind"], note["payload"]["to"]) == (2, "system", b.user.id)


def test_a_buyer_hears_only_their_own_conversation(
    server, connect, client, merchant, buyer, other_buyer, owner
):
    mine = connect(server.port, merchant.id, buyer.token)
    mine.next("hello")
    theirs = connect(server.port, merchant.id, other_buyer.token)
    cid = theirs.next("hello")["conversation"]["id"]
    theirs.send(type="send", text="秘密")
    theirs.next("message")
    staff = connect(server.port, merchant.id, owner.token, role="staff")
    staff.next("hello")
    staff.send(type="send", conversation_id=cid, text="回复")
    assert theirs.next("message")["message"]["text"] == "回复"
    assert mine.nothing_more("message")


def test_read_receipts_and_typing_reach_the_other_side(
    server, connect, client, merchant, buyer, owner
):
    staff = connect(server.port, merchant.id, owner.token, role="staff")
    staff.next("hello")
    me = connect(server.port, merchant.id, buyer.token)
    cid = me.next("hello")["conversation"]["id"]
    me.send(type="typing")
    assert staff.next("typing") == {
        "type": "typing",
        "conversation_id": cid,
        "side": "buyer",
        "user_id": buyer.user.id,
    }
    me.send(type="send", text="一")
    me.send(type="send", text="二")
    staff.messages(2)
    view = client.get(f"{base(merchant.id)}/staff/conversations/{cid}", headers=owner.headers).json
    assert view["staff_unread"] == 2
    staff.send(type="read", conversation_id=cid, up_to=2)
    receipt = me.next("read")
    assert (receipt["side"], receipt["seq"]) == ("staff", 2)
    view = client.get(f"{base(merchant.id)}/staff/conversations/{cid}", headers=owner.headers).json
    assert view["staff_unread"] == 0


def test_bad_frames_get_an_error_and_the_connection_stays(server, connect, merchant, buyer, owner):
    me = connect(server.port, merchant.id, buyer.token)
    me.next("hello")
    me.send(type="send", text="", client_id="x")
    error = me.next("error")
    assert error["status"] == 422 and error["client_id"] == "x"
    me.ws.send("not json")
    assert me.next("error")["code"] == "bad_frame"
    me.send(type="launch")
    assert me.next("error")["code"] == "bad_frame"
    staff = connect(server.port, merchant.id, owner.token, role="staff")
    staff.next("hello")
    staff.send(type="send", conversation_id=999, text="hi")
    assert staff.next("error")["status"] == 404
    me.send(type="send", text=42, client_id="n")
    error = me.next("error")
    assert (error["status"], error["client_id"]) == (422, "n") and "text" in error["errors"]
    me.send(type="ping")
    assert me.next("pong") == {"type": "pong"}
    assert Message.select().count() == 0


def test_an_oversized_frame_closes_the_connection(server, connect, merchant, buyer):
    me = connect(server.port, merchant.id, buyer.token)
    me.next("hello")
    me.ws.send("x" * (70 * 1024))
    assert me.closed.wait(5)
    assert Message.select().count() == 0


def test_a_reconnecting_client_catches_up_from_its_last_message_id(
    server, connect, client, merchant, buyer, owner
):
    me = connect(server.port, merchant.id, buyer.token)
    cid = me.next("hello")["conversation"]["id"]
    me.send(type="send", text="第一条")
    last_id = me.next("message")["message"]["id"]
    me.close()  # the connection drops
    for text in ("a", "b", "c"):
        r = client.post(
            f"{base(merchant.id)}/staff/conversations/{cid}/messages",
            json={"text": text},
            headers=owner.headers,
        )
        assert r.status_code == 201
    again = connect(server.port, merchant.id, buyer.token, last_id=last_id)
    again.next("hello")
    assert [m["text"] for m in again.messages(3)] == ["a", "b", "c"]
    say(client, merchant, buyer, cid, "我回来了")
    assert again.next("message")["message"]["text"] == "我回来了"
    assert again.nothing_more("message")


def test_a_lost_publish_is_filled_in_from_the_database(
    server, connect, client, app, merchant, buyer, owner
):
    staff = connect(server.port, merchant.id, owner.token, role="staff")
    staff.next("hello")
    me = connect(server.port, merchant.id, buyer.token)
    cid = me.next("hello")["conversation"]["id"]
    broker = app.extensions["livechat"].broker
    real = broker.publish
    broker.publish = lambda channel, event: None  # Redis was down for this one
    try:
        say(client, merchant, buyer, cid, "丢了")
    finally:
        broker.publish = real
    say(client, merchant, buyer, cid, "又一条")
    assert [m["text"] for m in staff.messages(2)] == ["丢了", "又一条"]
    assert [m["text"] for m in me.messages(2)] == ["丢了", "又一条"]
    assert Conversation.get_by_id(cid).last_seq == 2


def test_a_connected_buyer_is_not_sent_offline_notices(
    server, connect, client, chat, merchant, buyer, owner
):
    me = connect(server.port, merchant.id, buyer.token)
    cid = me.next("hello")["conversation"]["id"]
    client.post(
        f"{base(merchant.id)}/staff/conversations/{cid}/messages",
        json={"text": "hi"},
        headers=owner.headers,
    )
    me.next("message")
    assert [r for r in chat.OFFLINE if r[2] == buyer.user.id] == []


def test_open_conversation_then_rest_and_socket_agree(server, connect, client, merchant, buyer):
    c = open_conversation(client, merchant, buyer)
    me = connect(server.port, merchant.id, buyer.token)
    assert me.next("hello")["conversation"]["id"] == c["id"]


def test_switching_live_chat_off_closes_the_stores_sockets(server, connect, app, merchant, buyer):
    me = connect(server.port, merchant.id, buyer.token)
    me.next("hello")
    with app.app_context():
        plugin_settings.disable(merchant, "livechat")
    try:
        me.send(type="send", text="还在吗")
    except OSError:
        pass  # the server's periodic check closed the socket before this frame went out
    else:
        assert me.closed.wait(5) or me.next("error")["status"] == 404
    assert me.closed.wait(5)
    assert Message.select().count() == 0


def test_a_revoked_token_is_cut_off_at_the_next_check(
    server, connect, app, merchant, buyer, enable_plugin
):
    with enable_plugin("livechat", merchant, {"presence_timeout": 10}):  # checks every ~3.3 s
        me = connect(server.port, merchant.id, buyer.token)
        me.next("hello")
        with app.app_context():
            auth.revoke_token(buyer.token)
        assert me.next("error", timeout=10)["status"] == 401
        assert me.closed.wait(5)
