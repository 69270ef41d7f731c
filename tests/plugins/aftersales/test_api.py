"""The after-sale REST API: who sees what, the one error shape, uploads, the staff's list,
actions and statistics."""

from __future__ import annotations

import io

from mallkit.core.audit import AuditLog
from mallkit.core.orders.models import Order
from mallkit.core.testing import run_tasks
from tests.plugins.aftersales.conftest import RETURN_ADDRESS, lines_of, paid, shipped

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def base(merchant):
    return f"/api/v1/merchants/{merchant.id}/aftersales"


def upload(client, merchant, account, data=PNG):
    return client.post(
        f"{base(merchant)}/uploads",
        data={"file": (io.BytesIO(data), "photo.png")},
        headers=account.headers,
        content_type="multipart/form-data",
    )


def test_a_return_through_the_api(app, client, store, owner, buyer, sku, tmp_path):
    app.config["MEDIA_ROOT"] = str(tmp_path)
    order = shipped(paid(buyer, [(sku, 2)]))
    (line,) = lines_of(order)
    r = upload(client, store, buyer)
    assert r.status_code == 201, r.json
    photo = r.json["url"]
    assert photo.startswith(f"/api/v1/media/aftersales/{store.id}/")
    assert upload(client, store, buyer, b"%PDF-1.4 not a photo").status_code == 422

    reasons = client.get(f"{base(store)}/reasons", headers=buyer.headers).json
    assert "商品质量问题" in reasons["reasons"] and reasons["return_address"] == RETURN_ADDRESS
    body = {
        "order_id": order.id,
        "order_line_id": line.id,
        "type": "return_refund",
        "quantity": 1,
        "reason": "商品质量问题",
        "description": "裂了",
        "evidence": [photo],
    }
    r = client.post(f"{base(store)}/cases", json=body, headers=buyer.headers)
    assert r.status_code == 201, r.json
    case = r.json
    assert (case["status"], case["amount"], case["evidence"]) == ("applied", 1000, [photo])
    again = client.post(f"{base(store)}/cases", json=body, headers=buyer.headers)
    assert again.status_code == 409 and again.json["code"] == "case_open"

    url = f"{base(store)}/cases/{case['id']}"
    r = client.post(f"{url}/ship-back", json={"carrier": "SF", "tracking_number": "SF0001"})
    assert r.status_code == 401
    r = client.post(
        f"{url}/ship-back",
        json={"carrier": "SF", "tracking_number": "SF0001"},
        headers=buyer.headers,
    )
    assert r.status_code == 409 and r.json["errors"] == {"status": ["applied"]}
    r = client.post(f"{url}/messages", json={"text": "能换新吗？"}, headers=buyer.headers)
    assert r.status_code == 201 and r.json["author_type"] == "buyer"
    r = client.post(f"{url}/messages", json={"text": "可以退"}, headers=owner.headers)
    assert r.status_code == 201 and r.json["author_type"] == "staff"
    # the buyer cannot decide their own case
    assert client.post(f"{url}/approve", json={}, headers=buyer.headers).status_code == 404
    r = client.post(f"{url}/approve", json={"text": "请寄回"}, headers=owner.headers)
    assert r.status_code == 200 and r.json["return_address"] == RETURN_ADDRESS
    r = client.post(
        f"{url}/ship-back",
        json={"carrier": "SF", "tracking_number": "SF0001"},
        headers=buyer.headers,
    )
    assert r.json["status"] == "returning"
    r = client.post(f"{url}/receive", headers=owner.headers)
    assert r.json["status"] == "received"
    run_tasks()
    r = client.get(url, headers=buyer.headers)
    assert r.json["status"] == "completed"
    assert r.json["refund"]["status"] == "succeeded" and r.json["refund"]["amount"] == 1000
    assert r.json["line"]["refunded_amount"] == 1000
    assert [m["text"] for m in r.json["messages"] if not m["event"]] == ["能换新吗？", "可以退"]
    assert Order.get_by_id(order.id).refund_status == "partial"

    r = client.get(f"{base(store)}/cases", headers=buyer.headers)
    assert [c["id"] for c in r.json] == [case["id"]]
    r = client.get("/api/v1/me/aftersales/cases?status=completed", headers=buyer.headers)
    assert [c["id"] for c in r.json] == [case["id"]]
    assert client.get("/api/v1/me/aftersales/cases", headers=owner.headers).json == []
    r = client.get(f"{base(store)}/stats", headers=owner.headers)
    assert r.status_code == 200
    assert r.json["cases"] == 1 and r.json["by_reason"] == {"商品质量问题": 1}
    assert r.json["paid_orders"] == 1 and r.json["rate"] == 1.0
    assert r.json["refunded_amount"] == 1000


def test_others_get_404_and_bad_input_422(
    client, store, owner, buyer, other_buyer, other_merchant, sku
):
    order = paid(buyer, [(sku, 1)])
    (line,) = lines_of(order)
    body = {
        "order_id": order.id,
        "order_line_id": line.id,
        "type": "refund",
        "quantity": 1,
        "reason": "不想要了",
    }
    # someone else's order
    r = client.post(f"{base(store)}/cases", json=body, headers=other_buyer.headers)
    assert r.status_code == 404
    for bad in ({**body, "quantity": 0}, {**body, "type": "swap"}, {**body, "amount": "1"}):
        r = client.post(f"{base(store)}/cases", json=bad, headers=buyer.headers)
        assert r.status_code == 422 and r.json["errors"], bad
    r = client.post(f"{base(store)}/cases", json={**body, "amount": 5000}, headers=buyer.headers)
    assert r.status_code == 422 and "amount" in r.json["errors"]
    r = client.post(f"{base(store)}/cases", json=body, headers=buyer.headers)
    assert r.status_code == 201
    url = f"{base(store)}/cases/{r.json['id']}"

    stranger = other_merchant.owner_account
    for account in (other_buyer, stranger):
        assert client.get(url, headers=account.headers).status_code == 404
        assert (
            client.post(f"{url}/messages", json={"text": "x"}, headers=account.headers).status_code
            == 404
        )
    assert client.get(f"{base(store)}/staff/cases", headers=stranger.headers).status_code == 404
    assert client.get(f"{base(store)}/stats", headers=stranger.headers).status_code == 404
    assert client.post(f"{url}/approve", json={}, headers=stranger.headers).status_code == 404
    assert client.post(f"{url}/cancel", headers=other_buyer.headers).status_code == 404
    # the other store has no aftersales: 404 before anything else
    r = client.get(f"{base(other_merchant)}/staff/cases", headers=stranger.headers)
    assert r.status_code == 404

    r = client.get(f"{base(store)}/staff/cases?status=applied", headers=owner.headers)
    assert [c["status"] for c in r.json] == ["applied"]
    assert (
        client.get(f"{base(store)}/staff/cases?status=done", headers=owner.headers).status_code
        == 422
    )
    r = client.get(f"{base(store)}/staff/cases?status=completed", headers=owner.headers)
    assert r.json == []
    r = client.post(f"{url}/reject", json={}, headers=owner.headers)
    assert r.status_code == 422 and "reason" in r.json["errors"]
    r = client.post(f"{url}/reject", json={"reason": "已发货"}, headers=owner.headers)
    assert r.json["status"] == "rejected"
    audit = AuditLog.get(AuditLog.action == "aftersales.rejected")
    assert (audit.actor_id, audit.merchant_id, audit.target_id) == (
        owner.user.id,
        store.id,
        r.json["number"],
    )
    r = client.post(f"{url}/cancel", headers=buyer.headers)
    assert r.status_code == 409 and r.json["errors"] == {"status": ["rejected"]}
    r = client.post(f"{url}/messages", json={"text": "why"}, headers=buyer.headers)
    assert r.status_code == 409


def test_settings_are_validated_with_field_errors(client, store, admin):
    url = f"/api/v1/admin/merchants/{store.id}/plugins/aftersales/enable"
    r = client.post(
        url,
        json={"config": {"window_days": -1, "ship_back_days": 0, "reasons": [], "x": 1}},
        headers=admin.headers,
    )
    assert r.status_code == 422, r.json
    assert {"window_days", "ship_back_days", "reasons"} <= set(r.json["errors"])
    r = client.post(
        url,
        json={"config": {"return_address": {"recipient": "售后", "phone": "1"}}},
        headers=admin.headers,
    )
    assert r.status_code == 422 and "return_address" in r.json["errors"]
    r = client.get(
        f"{base(store)}/stats?since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z",
        headers=admin.headers,
    )
    assert r.status_code == 422 and "since" in r.json["errors"]
