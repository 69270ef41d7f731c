"""The demo store has a conversation between the demo buyer and the store."""

from __future__ import annotations

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.cli import demo_store as demo
from tests.plugins.livechat.conftest import base


def login(client, email, password):
    r = client.post("/api/v1/auth/login", json={"login": email, "password": password})
    return {"Authorization": f"Bearer {r.json['token']}"}


def test_the_demo_buyer_has_a_conversation_with_the_store(app, client):
    banner = demo.attach_services(app, "http://127.0.0.1:8000", demo.seed(app))
    assert any(line.startswith("livechat") for line in banner)
    demo.attach_services(app, "http://127.0.0.1:8000", banner)  # again: nothing doubles
    buyer = login(client, *demo.BUYER)
    owner = login(client, *demo.OWNER)
    mid = Merchant.get(Merchant.name == demo.STORE).id
    c = client.post(f"{base(mid)}/conversation", headers=buyer).json
    history = client.get(f"{base(mid)}/conversations/{c['id']}/messages", headers=buyer).json
    kinds = [(m["sender_role"], m["kind"]) for m in history["items"]]
    assert kinds == [("buyer", "text"), ("buyer", "product"), ("staff", "text")]
    assert c["buyer_unread"] == 1
    inbox = client.get(f"{base(mid)}/staff/inbox", headers=owner).json
    assert [x["id"] for x in inbox] == [c["id"]]
    canned = client.get(f"{base(mid)}/staff/canned-replies", headers=owner).json
    assert len(canned) == 2
