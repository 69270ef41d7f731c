"""The audit log over the API: owners read their store's, platform admins everyone's."""

from __future__ import annotations

from mallkit.core.audit import record


def seed(merchant, other_merchant, owner):
    record(
        "product.update",
        actor_id=owner.user.id,
        merchant_id=merchant.id,
        target_type="product",
        target_id=7,
        before={"price": 100},
        after={"price": 90},
    )
    record(
        "stock.adjust",
        actor_id=owner.user.id,
        merchant_id=merchant.id,
        target_type="sku",
        target_id=3,
    )
    record(
        "product.update",
        actor_id=None,
        merchant_id=other_merchant.id,
        target_type="product",
        target_id=8,
    )


def test_an_owner_reads_their_stores_log_with_filters(client, merchant, other_merchant, owner):
    seed(merchant, other_merchant, owner)
    base = f"/api/v1/merchants/{merchant.id}/audit-log"
    r = client.get(base, headers=owner.headers)
    actions = [a["action"] for a in r.json]
    assert r.status_code == 200 and actions[:2] == ["stock.adjust", "product.update"]
    assert actions.count("product.update") == 1  # not the other store's
    r = client.get(f"{base}?action=product.update&target_id=7", headers=owner.headers)
    assert [(a["before"], a["after"]) for a in r.json] == [({"price": 100}, {"price": 90})]
    assert r.json[0]["at"].endswith("+00:00")
    r = client.get(f"{base}?since=2999-01-01T00:00:00Z", headers=owner.headers)
    assert r.json == []


def test_others_cannot_read_it(client, merchant, other_merchant, owner, buyer):
    seed(merchant, other_merchant, owner)
    base = f"/api/v1/merchants/{merchant.id}/audit-log"
    assert client.get(base, headers=buyer.headers).status_code == 403
    assert client.get(base, headers=other_merchant.owner_account.headers).status_code == 403
    assert client.get(base).status_code == 401
    assert client.get("/api/v1/admin/audit-log", headers=owner.headers).status_code == 403


def test_a_platform_admin_reads_everything(client, merchant, other_merchant, owner, admin):
    seed(merchant, other_merchant, owner)
    r = client.get("/api/v1/admin/audit-log", headers=admin.headers)
    assert len(r.json) >= 3
    r = client.get(
        f"/api/v1/admin/audit-log?merchant_id={other_merchant.id}", headers=admin.headers
    )
    assert [a["target_id"] for a in r.json if a["action"] == "product.update"] == ["8"]
