"""Two-factor sign-in (TOTP), stores requiring it of staff roles, platform admins requiring
it, and the staff address allow-list."""

from __future__ import annotations

import pyotp

from mallkit.core.accounts.models import AccessToken, User


def login(client, account, **extra):
    return client.post(
        "/api/v1/auth/login",
        json={"login": account.user.email, "password": account.password, **extra},
    )


def turn_on(client, account):
    setup = client.post("/api/v1/me/2fa/setup", headers=account.headers).json
    totp = pyotp.TOTP(setup["secret"])
    assert setup["otpauth_uri"].startswith("otpauth://totp/") and "<svg" in setup["qr_svg"]
    r = client.post("/api/v1/me/2fa/enable", json={"code": totp.now()}, headers=account.headers)
    assert r.status_code == 200, r.json
    return totp, r.json["recovery_codes"]


def next_code(totp):
    """A code of a step not used yet (the current one was spent turning it on)."""
    import time

    return totp.at(time.time() + totp.interval)


def test_turning_it_on_then_signing_in_needs_a_code_once(client, buyer):
    other_session = login(client, buyer).json["token"]
    totp, codes = turn_on(client, buyer)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert User.get_by_id(buyer.user.id).totp_secret not in (None, "")
    assert totp.secret not in User.get_by_id(buyer.user.id).totp_secret  # stored encrypted
    # other sessions are signed out; this one stays
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {other_session}"}).status_code
        == 401
    )
    assert client.get("/api/v1/me", headers=buyer.headers).status_code == 200

    r = login(client, buyer)
    assert r.status_code == 401 and r.json["code"] == "otp_required"
    r = login(client, buyer, otp="000000")
    assert r.status_code == 401 and r.json["code"] == "invalid_otp"
    code = next_code(totp)
    assert login(client, buyer, otp=code).status_code == 200
    again = login(client, buyer, otp=code)  # the same code never works twice
    assert again.status_code == 401 and again.json["code"] == "invalid_otp"
    # a recovery code works once
    assert login(client, buyer, otp=codes[0]).status_code == 200
    assert login(client, buyer, otp=codes[0]).status_code == 401
    status = client.get("/api/v1/me/2fa", headers=buyer.headers).json
    assert status == {"enabled": True, "recovery_codes_left": 9}


def test_a_wrong_password_never_reveals_whether_a_code_is_needed(client, buyer):
    turn_on(client, buyer)
    r = client.post(
        "/api/v1/auth/login", json={"login": buyer.user.email, "password": "wrong-pass-99"}
    )
    assert r.status_code == 401 and r.json["code"] == "invalid_credentials"


def test_turning_it_off_needs_the_password_and_a_code(client, buyer):
    totp, codes = turn_on(client, buyer)
    r = client.post(
        "/api/v1/me/2fa/disable",
        json={"password": "nope-nope-1", "code": codes[1]},
        headers=buyer.headers,
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/me/2fa/disable",
        json={"password": buyer.password, "code": codes[1]},
        headers=buyer.headers,
    )
    assert r.status_code == 204
    assert login(client, buyer).status_code == 200


def test_a_store_can_require_two_factors_of_a_role(client, merchant, owner, buyer):
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/staff",
        json={"login": buyer.user.email, "role": "manager"},
        headers=owner.headers,
    )
    assert r.status_code in (200, 201), r.json
    url = f"/api/v1/merchants/{merchant.id}/security"
    r = client.put(
        url, json={"two_factor_roles": ["owner"], "staff_ip_allowlist": []}, headers=owner.headers
    )
    assert r.status_code == 422 and r.json["code"] == "lockout"  # not on for the owner yet
    r = client.put(
        url, json={"two_factor_roles": ["manager"], "staff_ip_allowlist": []}, headers=owner.headers
    )
    assert r.status_code == 200
    r = client.get(f"/api/v1/merchants/{merchant.id}/products", headers=buyer.headers)
    assert r.status_code == 403 and r.json["code"] == "two_factor_required"
    turn_on(client, buyer)
    assert (
        client.get(f"/api/v1/merchants/{merchant.id}/products", headers=buyer.headers).status_code
        == 200
    )


def test_staff_work_only_from_the_allowed_addresses(client, merchant, owner):
    url = f"/api/v1/merchants/{merchant.id}/security"
    body = {"two_factor_roles": [], "staff_ip_allowlist": ["203.0.113.0/24"]}
    r = client.put(url, json=body, headers=owner.headers)
    assert r.status_code == 422 and "staff_ip_allowlist" in r.json["errors"]  # would lock out
    r = client.put(
        url, json=body, headers=owner.headers, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert r.status_code == 200
    products = f"/api/v1/merchants/{merchant.id}/products"
    r = client.get(products, headers=owner.headers, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert r.status_code == 403 and r.json["code"] == "ip_not_allowed"
    r = client.get(products, headers=owner.headers, environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert r.status_code == 200
    bad = client.put(
        url,
        json={"two_factor_roles": [], "staff_ip_allowlist": ["not-a-net"]},
        headers=owner.headers,
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert bad.status_code == 422


def test_platform_admins_must_use_two_factors_when_required(app, client, admin):
    app.config["REQUIRE_ADMIN_2FA"] = True
    r = client.get("/api/v1/admin/audit-log", headers=admin.headers)
    assert r.status_code == 403 and r.json["code"] == "two_factor_required"
    turn_on(client, admin)
    assert client.get("/api/v1/admin/audit-log", headers=admin.headers).status_code == 200
    assert AccessToken.select().count() >= 1


def test_a_code_of_digits_outside_ascii_is_a_wrong_code(client, buyer):
    turn_on(client, buyer)
    r = login(client, buyer, otp="١٢٣٤٥٦")  # Arabic-Indic digits: str.isdigit() says yes
    assert r.status_code == 401 and r.json["code"] == "invalid_otp"
