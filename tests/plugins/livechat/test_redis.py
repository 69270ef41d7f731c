"""Across processes: app processes of their own sharing Redis pub/sub, real WebSocket
clients on each; and the Redis broker inside the test process. Skipped without Redis."""

from __future__ import annotations

import json
import urllib.request

import pytest

from mallkit.plugins.livechat.broker import RedisBroker
from tests.plugins.livechat.conftest import CHANNEL_PREFIX, REDIS_URL, base, needs_redis

pytestmark = needs_redis
REDIS = {"REDIS_URL": REDIS_URL, "LIVECHAT_CHANNEL_PREFIX": CHANNEL_PREFIX}


@pytest.fixture
def store(app, merchant, enable_plugin):
    with enable_plugin("livechat", merchant):
        yield merchant


def post(port, path, token, body):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_two_app_processes_sharing_redis_exchange_messages_both_ways_in_order(
    store, app_process, connect, buyer, owner
):
    a, b = app_process(2, gunicorn=(0,), **REDIS)  # gunicorn (gthread) and werkzeug
    me = connect(a.port, store.id, buyer.token)
    cid = me.next("hello")["conversation"]["id"]
    staff = connect(b.port, store.id, owner.token, role="staff")
    staff.next("hello")
    for n in range(30):
        me.send(type="send", text=f"买家{n}")
    assert [m["text"] for m in staff.messages(30)] == [f"买家{n}" for n in range(30)]
    for n in range(10):
        staff.send(type="send", conversation_id=cid, text=f"客服{n}")
    got = me.messages(40)
    assert [m["seq"] for m in got] == list(range(1, 41))
    assert [m["text"] for m in got[30:]] == [f"客服{n}" for n in range(10)]
    # A message posted over REST to process B reaches the buyer's socket on A.
    url = f"{base(store.id)}/staff/conversations/{cid}/messages"
    status, sent = post(b.port, url, owner.token, {"text": "来自 B"})
    assert status == 201
    assert me.next("message")["message"]["id"] == sent["id"]


@pytest.fixture
def redis_app(make_app):
    """The test process's own app on Redis (made before any row: a new app empties tables)."""
    return make_app(**REDIS)


def test_the_test_process_and_an_app_process_share_redis_and_catch_up_across_them(
    redis_app, store, live_server, app_process, connect, buyer, owner
):
    assert isinstance(redis_app.extensions["livechat"].broker, RedisBroker)
    local, (other,) = live_server(redis_app), app_process(1, **REDIS)
    me = connect(local.port, store.id, buyer.token)
    cid = me.next("hello")["conversation"]["id"]
    staff = connect(other.port, store.id, owner.token, role="staff")
    staff.next("hello")
    me.send(type="send", text="hi")
    assert staff.next("message")["message"]["text"] == "hi"
    staff.send(type="send", conversation_id=cid, text="hello")
    got = me.messages(2)
    assert [m["text"] for m in got] == ["hi", "hello"]
    # The buyer's connection drops; the agent goes on; the buyer comes back on the other
    # process with the last id it saw and gets what it missed, then the live stream.
    me.close()
    for text in ("一", "二"):
        staff.send(type="send", conversation_id=cid, text=text)
        staff.next("ack")
    again = connect(other.port, store.id, buyer.token, last_id=got[-1]["id"])
    again.next("hello")
    assert [m["text"] for m in again.messages(2)] == ["一", "二"]
    staff.send(type="send", conversation_id=cid, text="三")
    assert again.next("message")["message"]["text"] == "三"
    assert again.nothing_more("message")
