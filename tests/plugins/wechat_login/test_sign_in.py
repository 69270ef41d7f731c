"""Sign in with WeChat: mini-program (code2session, WeChat-verified phone) and H5 (OAuth2
code, SMS-verified phone), binding an existing account by its phone or creating one; the
answer is the same bearer token as /auth/login. Refusals change nothing."""

from __future__ import annotations

import threading
import urllib.parse

from mallkit.core.accounts.models import User
from mallkit.plugins.wechat_login.models import WeChatIdentity
from tests.plugins.wechat_login.conftest import H5, MINI, h5_code

BASE = "/api/v1/auth/wechat"


def me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_new_mini_program_user_proves_a_phone_and_gets_a_new_account(client, sim):
    r = client.post(f"{BASE}/miniprogram", json={"code": sim.login_code(MINI, "alice")})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "phone_required" and r.json["ticket"] and "token" not in r.json
    assert WeChatIdentity.select().count() == 0  # nothing stored before the phone is proven

    # the same in one step: wx.login() and the getPhoneNumber button together
    users = User.select().count()
    r = client.post(
        f"{BASE}/miniprogram",
        json={"code": sim.login_code(MINI, "alice"), "phone_code": sim.phone_code("13700000001")},
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "signed_in" and r.json["user"]["phone"] == "13700000001"
    assert User.select().count() == users + 1
    assert me(client, r.json["token"]).json["id"] == r.json["user"]["id"]
    (identity,) = WeChatIdentity.select()
    assert (identity.appid, identity.openid) == (MINI, sim.openid(MINI, "alice"))
    assert identity.unionid == sim.unionid("alice") and identity.last_login_at is not None

    # next time wx.login() alone signs in to the same account
    r = client.post(f"{BASE}/miniprogram", json={"code": sim.login_code(MINI, "alice")})
    assert r.json["status"] == "signed_in" and r.json["user"]["id"] == identity.user_id


def test_an_existing_account_is_bound_by_its_verified_phone(client, sim, buyer):
    User.update(phone="13700000002").where(User.id == buyer.user.id).execute()
    users = User.select().count()
    r = client.post(
        f"{BASE}/miniprogram",
        json={"code": sim.login_code(MINI, "bob"), "phone_code": sim.phone_code("13700000002")},
    )
    assert r.status_code == 200 and r.json["user"]["id"] == buyer.user.id
    assert User.select().count() == users
    # the password still works, the two tokens are alike
    r2 = client.post(
        "/api/v1/auth/login", json={"login": buyer.user.email, "password": "secret-pass-1"}
    )
    assert me(client, r2.json["token"]).json["id"] == me(client, r.json["token"]).json["id"]


def test_h5_sign_in_proves_the_phone_by_sms_then_recognises_the_person_everywhere(
    client, sim, mailbox
):
    url = client.get(
        f"{BASE}/h5/authorize-url",
        query_string={"redirect_uri": "https://shop.example/shop/wechat", "state": "s1"},
    )
    assert url.status_code == 200, url.json
    parts = urllib.parse.urlsplit(url.json["url"])
    query = urllib.parse.parse_qs(parts.query)
    assert url.json["url"].startswith(sim.public_url + "/connect/oauth2/authorize?")
    assert query["appid"] == [H5] and query["scope"] == ["snsapi_userinfo"]
    assert parts.fragment == "wechat_redirect"

    r = client.post(f"{BASE}/h5", json={"code": h5_code(sim, "carol", "小红")})
    assert r.status_code == 200 and r.json["status"] == "phone_required"
    ticket = r.json["ticket"]
    assert (
        client.post(
            "/api/v1/auth/codes", json={"login": "13700000003", "purpose": "sign_in"}
        ).status_code
        == 202
    )
    code = [m["code"] for m in mailbox if m["recipient"] == "13700000003"][-1]
    wrong = client.post(
        f"{BASE}/bind",
        json={
            "ticket": ticket,
            "phone": "13700000003",
            "code": "000000" if code != "000000" else "111111",
        },
    )
    assert wrong.status_code == 401 and WeChatIdentity.select().count() == 0
    r = client.post(f"{BASE}/bind", json={"ticket": ticket, "phone": "13700000003", "code": code})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "signed_in" and r.json["user"]["name"] == "小红"
    account = r.json["user"]["id"]

    # the same person in the mini-program: one unionid, the same account, no phone asked
    r = client.post(f"{BASE}/miniprogram", json={"code": sim.login_code(MINI, "carol")})
    assert r.json["status"] == "signed_in" and r.json["user"]["id"] == account
    assert WeChatIdentity.select().where(WeChatIdentity.user_id == account).count() == 2
    r = client.post(f"{BASE}/h5", json={"code": h5_code(sim, "carol")})
    assert r.json["status"] == "signed_in" and r.json["user"]["id"] == account


def test_refusals_change_nothing(client, sim, app):
    before = (User.select().count(), WeChatIdentity.select().count())
    code = sim.login_code(MINI, "dave")
    assert client.post(f"{BASE}/miniprogram", json={"code": code}).status_code == 200
    used = client.post(f"{BASE}/miniprogram", json={"code": code})  # a code works once
    assert used.status_code == 401 and used.json["code"] == "invalid_wechat_code"
    r = client.post(f"{BASE}/miniprogram", json={"code": "made-up"})
    assert r.status_code == 401 and r.json["code"] == "invalid_wechat_code"
    r = client.post(f"{BASE}/h5", json={"code": sim.login_code(MINI, "dave")})  # another app's
    assert r.status_code == 401
    r = client.post(
        f"{BASE}/miniprogram", json={"code": sim.login_code(MINI, "dave"), "phone_code": "forged"}
    )
    assert r.status_code == 401
    for body in ({}, {"code": ""}, {"code": 5}, {"code": "x", "extra": 1}):
        assert client.post(f"{BASE}/miniprogram", json=body).status_code == 422, body
    r = client.post(
        f"{BASE}/bind", json={"ticket": "forged", "phone": "13700000004", "code": "123456"}
    )
    assert r.status_code == 401 and r.json["code"] == "invalid_wechat_ticket"
    ticket = client.post(f"{BASE}/miniprogram", json={"code": sim.login_code(MINI, "dave")}).json[
        "ticket"
    ]
    r = client.post(f"{BASE}/bind", json={"ticket": ticket})
    assert r.status_code == 422
    r = client.get(
        f"{BASE}/h5/authorize-url", query_string={"redirect_uri": "https://evil.example/steal"}
    )
    assert r.status_code == 422 and "redirect_uri" in r.json["errors"]
    assert (User.select().count(), WeChatIdentity.select().count()) == before
    # wrong app credentials at the platform: WeChat refuses, the buyer is told
    app.config["WECHAT_MINIPROGRAM_SECRET"] = "wrong"
    r = client.post(f"{BASE}/miniprogram", json={"code": sim.login_code(MINI, "dave")})
    assert r.status_code == 401
    # not configured: the routes say so
    app.config["WECHAT_MINIPROGRAM_APPID"] = ""
    r = client.post(f"{BASE}/miniprogram", json={"code": "x"})
    assert r.status_code == 404 and r.json["code"] == "wechat_login_not_configured"


def test_two_factor_accounts_and_rebinding_are_refused(client, sim, buyer, other_buyer):
    from mallkit.core.db import utcnow

    User.update(phone="13700000005").where(User.id == buyer.user.id).execute()
    r = client.post(
        f"{BASE}/miniprogram",
        json={"code": sim.login_code(MINI, "erin"), "phone_code": sim.phone_code("13700000005")},
    )
    assert r.json["status"] == "signed_in"
    # another WeChat user proving the same phone: the account already has a WeChat user
    r = client.post(
        f"{BASE}/miniprogram",
        json={"code": sim.login_code(MINI, "frank"), "phone_code": sim.phone_code("13700000005")},
    )
    assert r.status_code == 409 and r.json["code"] == "account_has_other_wechat"
    # an account with two-factor sign-in: WeChat alone is not enough
    User.update(totp_enabled_at=utcnow()).where(User.id == buyer.user.id).execute()
    r = client.post(f"{BASE}/miniprogram", json={"code": sim.login_code(MINI, "erin")})
    assert r.status_code == 403 and r.json["code"] == "two_factor_account"


def test_simultaneous_first_sign_ins_of_one_person_bind_once(client, sim, app):
    codes = [sim.login_code(MINI, "grace") for _ in range(6)]
    phones = [sim.phone_code("13700000006") for _ in range(6)]
    answers = []

    def sign_in(code, phone_code):
        with app.app_context(), app.test_client() as c:
            r = c.post(f"{BASE}/miniprogram", json={"code": code, "phone_code": phone_code})
            answers.append((r.status_code, (r.json or {}).get("user", {}).get("id")))

    threads = [
        threading.Thread(target=sign_in, args=pair) for pair in zip(codes, phones, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [200] * 6, answers
    assert len({user for _, user in answers}) == 1
    assert User.select().where(User.phone == "13700000006").count() == 1
    assert WeChatIdentity.select().count() == 1


def test_a_refused_account_is_not_bound_to_the_wechat_user_who_proved_its_phone(
    client, sim, buyer, other_buyer
):
    from mallkit.core.db import utcnow

    User.update(phone="13700000008", totp_enabled_at=utcnow()).where(
        User.id == buyer.user.id
    ).execute()
    User.update(phone="13700000009", is_active=False).where(
        User.id == other_buyer.user.id
    ).execute()
    for person, phone, status, code in (
        ("hank", "13700000008", 403, "two_factor_account"),
        ("ivan", "13700000009", 401, "account_disabled"),
    ):
        r = client.post(
            f"{BASE}/miniprogram",
            json={"code": sim.login_code(MINI, person), "phone_code": sim.phone_code(phone)},
        )
        assert (r.status_code, r.json["code"]) == (status, code)
        ticket = client.post(
            f"{BASE}/miniprogram", json={"code": sim.login_code(MINI, person)}
        ).json["ticket"]
        r = client.post(
            f"{BASE}/bind", json={"ticket": ticket, "phone_code": sim.phone_code(phone)}
        )
        assert (r.status_code, r.json["code"]) == (status, code)
    assert WeChatIdentity.select().count() == 0  # nothing bound by a refused sign-in
