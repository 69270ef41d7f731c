"""Live chat over REST: conversations, messages and cards, history pages, unread counts and
read receipts, permissions, limits and settings."""

from __future__ import annotations

import io

from mallkit.core.testing import make_product, place_order, skus_of
from mallkit.plugins.livechat.models import Message
from tests.plugins.livechat.conftest import base

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def open_conversation(client, merchant, account):
    r = client.post(f"{base(merchant.id)}/conversation", headers=account.headers)
    assert r.status_code == 200, r.json
    return r.json


def say(client, merchant, account, conversation_id, text="你好", **extra):
    return client.post(
        f"{base(merchant.id)}/conversations/{conversation_id}/messages",
        json={"text": text, **extra},
        headers=account.headers,
    )


def answer(client, merchant, account, conversation_id, text="您好", **extra):
    return client.post(
        f"{base(merchant.id)}/staff/conversations/{conversation_id}/messages",
        json={"text": text, **extra},
        headers=account.headers,
    )


def test_a_buyer_has_one_conversation_per_store(client, chat, merchant, buyer):
    first = open_conversation(client, merchant, buyer)
    again = open_conversation(client, merchant, buyer)
    assert first["id"] == again["id"]
    assert first["status"] == "queued" and first["agent_id"] is None


def test_routes_answer_404_when_the_store_has_no_live_chat(client, merchant, buyer):
    assert (
        client.post(f"{base(merchant.id)}/conversation", headers=buyer.headers).status_code == 404
    )


def test_messages_are_numbered_stored_escaped_and_paged_by_cursor(client, chat, merchant, buyer):
    c = open_conversation(client, merchant, buyer)
    r = say(client, merchant, buyer, c["id"], "<script>alert(1)</script>")
    assert r.status_code == 201
    assert r.json["text"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    for n in range(2, 8):
        assert say(client, merchant, buyer, c["id"], f"m{n}").json["seq"] == n
    url = f"{base(merchant.id)}/conversations/{c['id']}/messages"
    page = client.get(url, query_string={"limit": 3}, headers=buyer.headers).json
    assert [m["seq"] for m in page["items"]] == [5, 6, 7] and page["next_before"] == 5
    page = client.get(url, query_string={"limit": 3, "before": 5}, headers=buyer.headers).json
    assert [m["seq"] for m in page["items"]] == [2, 3, 4] and page["next_before"] == 2
    page = client.get(url, query_string={"limit": 3, "before": 2}, headers=buyer.headers).json
    assert [m["seq"] for m in page["items"]] == [1] and page["next_before"] is None
    page = client.get(url, query_string={"after": 5}, headers=buyer.headers).json
    assert [m["seq"] for m in page["items"]] == [6, 7]
    bad = client.get(url, query_string={"after": 1, "before": 3}, headers=buyer.headers)
    assert bad.status_code == 422


def test_unread_counts_and_read_receipts_per_side(client, chat, merchant, buyer, owner):
    c = open_conversation(client, merchant, buyer)
    for text in ("a", "b", "c"):
        say(client, merchant, buyer, c["id"], text)
    staff_view = client.get(
        f"{base(merchant.id)}/staff/conversations/{c['id']}", headers=owner.headers
    ).json
    assert staff_view["staff_unread"] == 3 and staff_view["buyer_unread"] == 0
    answer(client, merchant, owner, c["id"], "收到")
    r = client.post(
        f"{base(merchant.id)}/staff/conversations/{c['id']}/read",
        json={"up_to": 2},
        headers=owner.headers,
    )
    assert r.json["staff_unread"] == 1 and r.json["staff_read_seq"] == 2
    # Receipts only move forward; a number beyond the last message is capped.
    r = client.post(
        f"{base(merchant.id)}/staff/conversations/{c['id']}/read",
        json={"up_to": 1},
        headers=owner.headers,
    )
    assert r.json["staff_read_seq"] == 2
    mine = client.get(f"{base(merchant.id)}/conversations/{c['id']}", headers=buyer.headers).json
    assert mine["buyer_unread"] == 1
    r = client.post(
        f"{base(merchant.id)}/conversations/{c['id']}/read",
        json={"up_to": 99},
        headers=buyer.headers,
    )
    assert r.json["buyer_unread"] == 0 and r.json["buyer_read_seq"] == 4


def test_a_buyer_never_reaches_another_buyers_conversation(
    client, chat, merchant, buyer, other_buyer
):
    c = open_conversation(client, merchant, buyer)
    say(client, merchant, buyer, c["id"], "私密")
    url = f"{base(merchant.id)}/conversations/{c['id']}"
    assert client.get(url, headers=other_buyer.headers).status_code == 404
    assert client.get(f"{url}/messages", headers=other_buyer.headers).status_code == 404
    assert say(client, merchant, other_buyer, c["id"], "hi").status_code == 404
    assert (
        client.post(f"{url}/read", json={"up_to": 1}, headers=other_buyer.headers).status_code
        == 404
    )
    # ... nor the staff side.
    staff = client.get(
        f"{base(merchant.id)}/staff/conversations/{c['id']}", headers=other_buyer.headers
    )
    assert staff.status_code == 403
    assert Message.select().count() == 1


def test_another_stores_agent_gets_403(
    client, app, chat, merchant, other_merchant, buyer, make_agent, enable_plugin
):
    c = open_conversation(client, merchant, buyer)
    stranger = make_agent("stranger", store=other_merchant)
    with enable_plugin("livechat", other_merchant):
        for url in (
            f"{base(merchant.id)}/staff/conversations/{c['id']}",
            f"{base(merchant.id)}/staff/conversations/{c['id']}/messages",
            f"{base(merchant.id)}/staff/inbox",
            f"{base(merchant.id)}/staff/agents",
        ):
            assert client.get(url, headers=stranger.headers).status_code == 403, url
        assert answer(client, merchant, stranger, c["id"]).status_code == 403
        # A conversation id of another store is not found through one's own store either.
        other = f"{base(other_merchant.id)}/staff/conversations/{c['id']}"
        assert client.get(other, headers=stranger.headers).status_code == 404


def test_product_and_order_cards_only_for_the_store_and_the_buyers_own_orders(
    client, chat, merchant, other_merchant, buyer, other_buyer, owner
):
    (sku,) = skus_of(make_product(merchant, name="保温杯", prices=(4900,)))
    (elsewhere,) = skus_of(make_product(other_merchant, name="别家", prices=(100,)))
    mine = place_order(buyer.user, [(sku, 1)])
    theirs = place_order(other_buyer.user, [(sku, 1)])
    c = open_conversation(client, merchant, buyer)
    r = say(client, merchant, buyer, c["id"], kind="product", text=None, product_id=sku.product_id)
    assert r.status_code == 201 and r.json["payload"]["name"] == "保温杯"
    assert r.json["payload"]["price_min"] == 4900
    r = say(client, merchant, buyer, c["id"], kind="order", text=None, order_id=mine.id)
    assert r.status_code == 201 and r.json["payload"]["number"] == mine.number
    for bad in (
        {"kind": "order", "order_id": theirs.id},
        {"kind": "product", "product_id": elsewhere.product_id},
        {"kind": "order"},
    ):
        r = say(client, merchant, buyer, c["id"], text=None, **bad)
        assert r.status_code == 422, bad
    # Staff send a card of this buyer's order, not another buyer's.
    assert (
        answer(
            client, merchant, owner, c["id"], text=None, kind="order", order_id=mine.id
        ).status_code
        == 201
    )
    assert (
        answer(
            client, merchant, owner, c["id"], text=None, kind="order", order_id=theirs.id
        ).status_code
        == 422
    )
    assert Message.select().count() == 3


def test_images_go_to_the_media_store_and_other_files_are_refused(client, chat, merchant, buyer):
    c = open_conversation(client, merchant, buyer)
    url = f"{base(merchant.id)}/conversations/{c['id']}/images"
    r = client.post(url, data={"file": (io.BytesIO(PNG), "a.png")}, headers=buyer.headers)
    assert r.status_code == 201, r.json
    assert r.json["kind"] == "image" and "/livechat/" in r.json["payload"]["url"]
    r = client.post(
        url, data={"file": (io.BytesIO(b"MZ\x90\x00 not an image"), "a.png")}, headers=buyer.headers
    )
    assert r.status_code == 422 and r.json["code"] == "unsupported_media"
    assert Message.select().count() == 1


def test_bad_messages_are_refused_and_write_nothing(client, chat, merchant, buyer, enable_plugin):
    c = open_conversation(client, merchant, buyer)
    assert say(client, merchant, buyer, c["id"], "   ").status_code == 422
    assert say(client, merchant, buyer, c["id"], "x", kind="video").status_code == 422
    assert say(client, merchant, buyer, c["id"], "x", extra=1).status_code == 422
    with enable_plugin("livechat", merchant, {"max_length": 5}):
        r = say(client, merchant, buyer, c["id"], "123456")
        assert r.status_code == 422 and r.json["code"] == "message_too_long"
    assert Message.select().count() == 0


def test_a_client_id_makes_a_resend_idempotent(client, chat, merchant, buyer):
    c = open_conversation(client, merchant, buyer)
    first = say(client, merchant, buyer, c["id"], "once", client_id="abc")
    again = say(client, merchant, buyer, c["id"], "once", client_id="abc")
    assert first.json["id"] == again.json["id"]
    assert Message.select().count() == 1


def test_the_send_rate_is_limited_per_user(
    client, app, chat, merchant, buyer, other_buyer, enable_plugin
):
    with enable_plugin("livechat", merchant, {"messages_per_minute": 3}):
        c = open_conversation(client, merchant, buyer)
        codes = [say(client, merchant, buyer, c["id"], f"m{n}").status_code for n in range(5)]
        assert codes == [201, 201, 201, 429, 429]
        other = open_conversation(client, merchant, other_buyer)
        assert say(client, merchant, other_buyer, other["id"]).status_code == 201
    assert Message.select().count() == 4


def test_settings_are_validated(client, app, merchant, owner, admin):
    url = f"/api/v1/admin/merchants/{merchant.id}/plugins/livechat/enable"
    for bad, field in (
        ({"max_length": 0}, "max_length"),
        ({"messages_per_minute": -1}, "messages_per_minute"),
        ({"office_hours_start": "25:00", "office_hours_end": "18:00"}, "office_hours_start"),
        ({"office_hours_start": "09:00"}, "office_hours_end"),
        ({"auto_replies": [{"keyword": "", "reply": "x"}]}, "auto_replies"),
    ):
        r = client.post(url, json={"config": bad}, headers=admin.headers)
        assert r.status_code == 422, (bad, r.json)
        assert field in str(r.json["errors"]), (bad, r.json)
    ok = {"office_hours_start": "21:00", "office_hours_end": "09:00", "off_hours_message": "下班了"}
    assert client.post(url, json={"config": ok}, headers=admin.headers).status_code == 200


def test_canned_replies_per_store(client, chat, merchant, owner, make_agent):
    agent = make_agent()
    url = f"{base(merchant.id)}/staff/canned-replies"
    r = client.post(url, json={"title": "发货", "text": "48 小时内发货"}, headers=owner.headers)
    assert r.status_code == 201
    assert (
        client.post(url, json={"title": "x", "text": "y"}, headers=agent.headers).status_code == 403
    )
    assert [x["title"] for x in client.get(url, headers=agent.headers).json] == ["发货"]
    r = client.put(
        f"{url}/{r.json['id']}",
        json={"title": "发货时间", "text": "24 小时"},
        headers=owner.headers,
    )
    assert r.json["text"] == "24 小时"
    assert client.post(url, json={"title": ""}, headers=owner.headers).status_code == 422
    assert client.delete(f"{url}/{r.json['id']}", headers=owner.headers).status_code == 204
    assert client.get(url, headers=agent.headers).json == []


def test_a_buyers_conversations_across_stores(
    client, chat, merchant, other_merchant, buyer, other_buyer, enable_plugin
):
    with enable_plugin("livechat", other_merchant):
        here = open_conversation(client, merchant, buyer)
        there = open_conversation(client, other_merchant, buyer)
        say(client, merchant, buyer, here["id"], "先问这家")
        open_conversation(client, merchant, other_buyer)
        mine = client.get("/api/v1/me/livechat/conversations", headers=buyer.headers).json
        assert [c["id"] for c in mine] == [here["id"], there["id"]]
    # A store that switched live chat off drops out of the list.
    mine = client.get("/api/v1/me/livechat/conversations", headers=buyer.headers).json
    assert [c["id"] for c in mine] == [here["id"]]
    assert client.get("/api/v1/me/livechat/conversations").status_code == 401


def test_an_image_counts_once_against_the_send_rate(client, chat, merchant, buyer, enable_plugin):
    with enable_plugin("livechat", merchant, {"messages_per_minute": 2}):
        c = open_conversation(client, merchant, buyer)
        url = f"{base(merchant.id)}/conversations/{c['id']}/images"
        r = client.post(url, data={"file": (io.BytesIO(PNG), "a.png")}, headers=buyer.headers)
        assert r.status_code == 201
        assert say(client, merchant, buyer, c["id"], "one more").status_code == 201
        r = client.post(url, data={"file": (io.BytesIO(PNG), "b.png")}, headers=buyer.headers)
        assert r.status_code == 429
    assert Message.select().count() == 2
