"""Sign-in, tokens, roles and who may see what."""

from __future__ import annotations

import datetime as dt

from mallkit.core.accounts.models import AccessToken, Address, User
from mallkit.core.db import utcnow
from mallkit.core.testing import make_account

ADDRESS = {
    "recipient": "张三",
    "phone": "13800000000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "世纪大道 100 号",
}


def test_register_and_login_by_email_or_phone(client):
    r = client.post(
        "/api/v1/auth/register",
        json={
            "email": "Li@Example.com",
            "phone": "138 0013 8000",
            "password": "pass-word-1",
            "name": "李",
        },
    )
    assert r.status_code == 202 and "token" not in r.json  # sign in next
    li = User.get(User.email == "li@example.com")
    assert li.phone == "13800138000" and li.name == "李"
    for login in ("li@example.com", "13800138000"):
        r = client.post("/api/v1/auth/login", json={"login": login, "password": "pass-word-1"})
        assert r.status_code == 200, r.json
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['token']}"})
        assert me.json["name"] == "李"
    assert User.get(User.email == "li@example.com").last_login_at is not None
    # The token is stored hashed only.
    assert all(not t.token_hash.startswith("mk_") for t in AccessToken.select())


def test_register_refuses_duplicates_and_weak_passwords(client):
    body = {"email": "a@example.com", "password": "pass-word-1"}
    first = client.post("/api/v1/auth/register", json=body)
    assert first.status_code == 202
    # an existing account: the very same answer (nobody learns it exists), nothing changed
    r = client.post("/api/v1/auth/register", json={**body, "password": "other-pass-2"})
    assert r.status_code == 202 and r.json == first.json
    login = {"login": "a@example.com", "password": "pass-word-1"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
    r = client.post("/api/v1/auth/register", json={"email": "b@example.com", "password": "short"})
    assert r.status_code == 422 and r.json["code"] == "weak_password"
    r = client.post("/api/v1/auth/register", json={"password": "pass-word-1"})
    assert r.status_code == 422
    assert User.select().count() == 1


def test_bad_password_is_401_with_the_same_message_as_unknown_login(client, buyer):
    wrong = client.post("/api/v1/auth/login", json={"login": buyer.user.email, "password": "x"})
    unknown = client.post("/api/v1/auth/login", json={"login": "no@x.io", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json == unknown.json and wrong.json["code"] == "invalid_credentials"


def login(client, login, password, address="10.0.0.1", **headers):
    return client.post(
        "/api/v1/auth/login",
        json={"login": login, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def test_failures_per_account_and_address_slow_the_guesser_not_the_owner(client, app):
    app.config["LOGIN_PAIR_RATE_LIMIT"] = "3 per minute"
    from mallkit.core.testing import make_account

    owner = make_account(email="owner@x.io")
    for typed in ("13-912345678", "139 1234 5678", "13912345678"):  # one account, as typed
        assert login(client, typed, "bad-guess-1").status_code == 401
    assert login(client, "13912345678", "bad-guess-1").status_code == 429
    for _ in range(3):
        assert login(client, "owner@x.io", "bad-guess-1").status_code == 401
    r = login(client, "Owner@X.io ", owner.password)  # the same account, typed differently
    assert r.status_code == 429 and r.json["code"] == "rate_limited"
    # the owner at another address is not held back
    assert login(client, "owner@x.io", owner.password, "10.0.0.2").status_code == 200


def test_a_known_device_is_not_locked_out_by_others_failures(client, app):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    from mallkit.core.testing import make_account

    owner = make_account(email="owner@x.io")
    device = login(client, "owner@x.io", owner.password, "10.0.0.7").json["device_token"]
    for i in range(3):  # an attacker from many addresses
        assert login(client, "owner@x.io", "bad-guess-1", f"10.9.0.{i}").status_code == 401
    assert login(client, "owner@x.io", owner.password, "10.0.0.8").status_code == 429
    r = login(client, "owner@x.io", owner.password, "10.0.0.8", **{"X-Mallkit-Device": device})
    assert r.status_code == 200
    forged = login(
        client, "owner@x.io", owner.password, "10.0.0.8", **{"X-Mallkit-Device": "0" * 64}
    )
    assert forged.status_code == 429


def test_one_address_spraying_accounts_is_slowed(client, app):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"] = "3 per minute"
    for i in range(3):
        assert login(client, f"u{i}@x.io", "bad-guess-1").status_code == 401
    assert login(client, "u9@x.io", "bad-guess-1").status_code == 429
    assert login(client, "u9@x.io", "bad-guess-1", "10.0.0.2").status_code == 401


def test_wrong_current_passwords_are_limited(client, app, buyer):
    app.config["PASSWORD_CHECK_RATE_LIMIT"] = "2 per minute"
    body = {"old_password": "not-it-at-all", "new_password": "a-new-pass-99"}
    for _ in range(2):
        r = client.post("/api/v1/me/password", json=body, headers=buyer.headers)
        assert r.status_code == 422 and r.json["code"] == "wrong_password"
    r = client.post("/api/v1/me/password", json=body, headers=buyer.headers)
    assert r.status_code == 429


def test_expired_and_revoked_tokens_are_refused(client, buyer):
    assert client.get("/api/v1/me", headers=buyer.headers).status_code == 200
    AccessToken.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    r = client.get("/api/v1/me", headers=buyer.headers)
    assert r.status_code == 401 and r.json["code"] == "unauthorized"
    AccessToken.update(expires_at=utcnow() + dt.timedelta(days=1)).execute()
    assert client.post("/api/v1/auth/logout", headers=buyer.headers).status_code == 204
    assert client.get("/api/v1/me", headers=buyer.headers).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_logout_everywhere_and_password_change_revoke_every_token(client, buyer):
    from mallkit.core.accounts import auth

    second, _ = auth.issue_token(buyer.user)
    assert client.post("/api/v1/auth/logout-all", headers=buyer.headers).status_code == 204
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    )
    third, _ = auth.issue_token(buyer.user)
    h = {"Authorization": f"Bearer {third}"}
    r = client.post(
        "/api/v1/me/password", json={"old_password": "bad", "new_password": "new-pass-2"}, headers=h
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/me/password",
        json={"old_password": buyer.password, "new_password": "new-pass-2"},
        headers=h,
    )
    assert r.status_code == 204
    assert client.get("/api/v1/me", headers=h).status_code == 401
    r = client.post(
        "/api/v1/auth/login", json={"login": buyer.user.email, "password": "new-pass-2"}
    )
    assert r.status_code == 200


def test_profile_update_rejects_unknown_fields_and_writes_nothing(client, buyer):
    r = client.patch(
        "/api/v1/me", json={"name": "新名字", "is_platform_admin": True}, headers=buyer.headers
    )
    assert r.status_code == 422 and "is_platform_admin" in r.json["errors"]
    user = User.get_by_id(buyer.user.id)
    assert user.name != "新名字" and not user.is_platform_admin
    r = client.patch(
        "/api/v1/me", json={"name": "新名字", "birthday": "1990-02-03"}, headers=buyer.headers
    )
    assert r.status_code == 200 and r.json["birthday"] == "1990-02-03"


def test_address_book_is_private_to_its_owner(client, buyer, other_buyer):
    r = client.post("/api/v1/me/addresses", json=ADDRESS, headers=buyer.headers)
    assert r.status_code == 201 and r.json["is_default"] is True
    aid = r.json["id"]
    second = client.post(
        "/api/v1/me/addresses", json={**ADDRESS, "is_default": True}, headers=buyer.headers
    ).json
    listed = client.get("/api/v1/me/addresses", headers=buyer.headers).json
    assert [a["id"] for a in listed] == [second["id"], aid]  # the new default first
    assert [a["is_default"] for a in listed] == [True, False]
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"city": "北京市"}} if method == "patch" else {}
        r = getattr(client, method)(
            f"/api/v1/me/addresses/{aid}", headers=other_buyer.headers, **kwargs
        )
        assert r.status_code == 404, method
    assert client.get("/api/v1/me/addresses", headers=other_buyer.headers).json == []
    assert Address.get_by_id(aid).city == "上海市"
    r = client.post(
        "/api/v1/me/addresses", json={**ADDRESS, "phone": "call me"}, headers=buyer.headers
    )
    assert r.status_code == 422 and "phone" in r.json["errors"]
    assert Address.select().count() == 2
    assert (
        client.delete(f"/api/v1/me/addresses/{second['id']}", headers=buyer.headers).status_code
        == 204
    )
    assert Address.get_by_id(aid).is_default  # the default moves to what is left


def test_roles_and_cross_merchant_access(client, admin, owner, merchant, other_merchant, buyer):
    other_owner = other_merchant.owner_account
    url = f"/api/v1/merchants/{merchant.id}/settings"
    assert client.get(url, headers=owner.headers).status_code == 200
    assert client.get(url, headers=admin.headers).status_code == 200
    for who in (buyer, other_owner):
        r = client.get(url, headers=who.headers)
        assert r.status_code == 403 and r.json["code"] == "not_merchant_staff"
        r = client.patch(url, json={"name": "hijacked"}, headers=who.headers)
        assert r.status_code == 403
    assert client.get("/api/v1/admin/merchants", headers=owner.headers).status_code == 403
    assert client.get("/api/v1/admin/plugins", headers=buyer.headers).status_code == 403
    assert client.get("/api/v1/admin/plugins").status_code == 401


def test_agents_cannot_change_settings_or_staff(client, owner, merchant):
    agent = make_account(email="agent@test.mallkit.dev")
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/staff",
        json={"login": agent.user.email, "role": "agent"},
        headers=owner.headers,
    )
    assert r.status_code == 201
    assert (
        client.get(f"/api/v1/merchants/{merchant.id}/settings", headers=agent.headers).status_code
        == 200
    )
    r = client.patch(
        f"/api/v1/merchants/{merchant.id}/settings", json={"name": "x"}, headers=agent.headers
    )
    assert r.status_code == 403 and r.json["code"] == "role_required"
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/staff",
        json={"login": "admin@test.mallkit.dev", "role": "owner"},
        headers=agent.headers,
    )
    assert r.status_code == 403
    me = client.get("/api/v1/me", headers=agent.headers).json
    assert me["memberships"] == [
        {"merchant_id": merchant.id, "merchant_name": "Test Store", "role": "agent"}
    ]


def test_a_device_token_outside_ascii_is_an_unknown_device(client, app):
    from mallkit.core.testing import make_account

    owner = make_account(email="owner@x.io")
    device = "é" * 64  # a header's bytes read as Latin-1
    r = login(client, "owner@x.io", owner.password, "10.0.0.7", **{"X-Mallkit-Device": device})
    assert r.status_code == 200 and r.json["device_token"] != device
