"""Merchants, store settings and staff."""

from __future__ import annotations

from mallkit.core.accounts.merchants.models import Merchant, StaffMember
from mallkit.core.audit import AuditLog
from mallkit.core.testing import make_account


def test_admin_creates_a_merchant_with_an_owner(client, admin, buyer):
    r = client.post(
        "/api/v1/admin/merchants",
        json={
            "name": "新店",
            "owner_login": buyer.user.email,
            "currency": "CNY",
            "timezone": "Asia/Shanghai",
        },
        headers=admin.headers,
    )
    assert r.status_code == 201, r.json
    mid = r.json["id"]
    assert StaffMember.get(merchant=mid).role == "owner"
    assert AuditLog.get(action="merchant.create").actor_id == admin.user.id
    r = client.get("/api/v1/admin/merchants?page=1&page_size=10", headers=admin.headers)
    assert r.status_code == 200 and [m["id"] for m in r.json] == [mid]
    assert '"total": 1' in r.headers["X-Pagination"]


def test_bad_merchant_input_writes_nothing(client, admin):
    cases = [
        {"name": ""},
        {"name": "x", "currency": "cny"},
        {"name": "x", "timezone": "Mars/Olympus"},
        {"name": "x", "owner_login": "nobody@example.com"},
        {"name": "x", "unknown": 1},
    ]
    for body in cases:
        r = client.post("/api/v1/admin/merchants", json=body, headers=admin.headers)
        assert r.status_code in (404, 422), body
        assert set(r.json) == {"code", "status", "message", "errors"}
    assert Merchant.select().count() == 0


def test_settings_update_is_audited(client, owner, merchant):
    r = client.patch(
        f"/api/v1/merchants/{merchant.id}/settings",
        json={"name": "改名", "timezone": "Europe/Berlin", "currency": "EUR"},
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["timezone"] == "Europe/Berlin"
    log = AuditLog.get(action="merchant.settings")
    assert log.before["name"] == "Test Store" and log.after["name"] == "改名"
    r = client.patch(
        f"/api/v1/merchants/{merchant.id}/settings",
        json={"timezone": "Nowhere"},
        headers=owner.headers,
    )
    assert r.status_code == 422
    assert Merchant.get_by_id(merchant.id).timezone == "Europe/Berlin"


def test_staff_roles_and_the_last_owner(client, owner, merchant):
    manager = make_account(email="m@test.mallkit.dev")
    base = f"/api/v1/merchants/{merchant.id}/staff"
    r = client.post(
        base, json={"login": manager.user.email, "role": "manager"}, headers=owner.headers
    )
    assert r.status_code == 201
    r = client.post(
        base, json={"login": manager.user.email, "role": "agent"}, headers=owner.headers
    )
    assert r.status_code == 409 and r.json["code"] == "already_staff"
    r = client.post(base, json={"login": manager.user.email, "role": "boss"}, headers=owner.headers)
    assert r.status_code == 422
    r = client.patch(f"{base}/{owner.user.id}", json={"role": "agent"}, headers=owner.headers)
    assert r.status_code == 409 and r.json["code"] == "last_owner"
    r = client.delete(f"{base}/{owner.user.id}", headers=owner.headers)
    assert r.status_code == 409
    r = client.patch(f"{base}/{manager.user.id}", json={"role": "owner"}, headers=owner.headers)
    assert r.status_code == 200
    assert client.delete(f"{base}/{owner.user.id}", headers=manager.headers).status_code == 204
    assert [s["user_id"] for s in client.get(base, headers=manager.headers).json] == [
        manager.user.id
    ]
    assert client.get(base, headers=owner.headers).status_code == 403


def test_store_profile_is_public_and_hides_inactive_stores(client, merchant):
    r = client.get(f"/api/v1/stores/{merchant.id}")
    assert r.status_code == 200 and r.json["name"] == "Test Store" and r.json["extensions"] == {}
    Merchant.update(is_active=False).execute()
    assert client.get(f"/api/v1/stores/{merchant.id}").status_code == 404
    assert client.get("/api/v1/stores/999").status_code == 404


def test_store_profile_lists_the_plugins_the_store_has_on(app, client, merchant, enable_plugin):
    before = client.get(f"/api/v1/stores/{merchant.id}").json["plugins"]
    assert "coupons" not in before
    with enable_plugin("coupons", merchant):
        after = client.get(f"/api/v1/stores/{merchant.id}").json["plugins"]
        assert "coupons" in after and after == sorted(after)
    assert client.get(f"/api/v1/stores/{merchant.id}").json["plugins"] == before
