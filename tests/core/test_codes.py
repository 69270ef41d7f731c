"""One-time verification codes: sign in / sign up and password reset by a code sent by
e-mail or SMS (core/accounts/codes.py), delivered through ``send_verification_code``."""

from __future__ import annotations

import threading

import pytest

from mallkit.core import db as dbm
from mallkit.core.accounts import codes
from mallkit.core.accounts.codes import VerificationCode
from mallkit.core.accounts.models import AccessToken, User
from mallkit.core.errors import Unauthorized
from tests.sample_plugins import code_catcher


@pytest.fixture
def mailbox(app):
    code_catcher.SENT.clear()
    app.extensions["mallkit"].plugins.register(code_catcher)
    yield code_catcher.SENT
    code_catcher.SENT.clear()


def ask(client, login, purpose, **extra):
    return client.post("/api/v1/auth/codes", json={"login": login, "purpose": purpose, **extra})


def last_code(mailbox, recipient):
    return [m["code"] for m in mailbox if m["recipient"] == recipient][-1]


def test_signing_in_by_code_creates_the_account_and_the_code_works_once(client, mailbox):
    r = ask(client, "New@Example.com", "sign_in", locale="en")
    assert r.status_code == 202, r.json
    (sent,) = mailbox
    assert sent["channel"] == "email" and sent["recipient"] == "new@example.com"
    assert sent["purpose"] == "sign_in" and sent["locale"] == "en" and len(sent["code"]) == 6
    r = client.post(
        "/api/v1/auth/codes/sign-in",
        json={"login": "new@example.com", "code": sent["code"], "name": "Neo"},
    )
    assert r.status_code == 200, r.json
    assert r.json["user"]["email"] == "new@example.com" and r.json["user"]["name"] == "Neo"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['token']}"})
    assert me.status_code == 200
    again = client.post(
        "/api/v1/auth/codes/sign-in", json={"login": "new@example.com", "code": sent["code"]}
    )
    assert again.status_code == 401 and again.json["code"] == "invalid_code"
    assert User.select().where(User.email == "new@example.com").count() == 1


def test_sms_codes_go_to_the_normalised_phone_and_sign_in_an_existing_account(
    client, mailbox, buyer
):
    User.update(phone="13912345678").where(User.id == buyer.user.id).execute()
    assert ask(client, "139-1234 5678", "sign_in").status_code == 202
    (sent,) = mailbox
    assert sent["channel"] == "sms" and sent["recipient"] == "13912345678"
    r = client.post(
        "/api/v1/auth/codes/sign-in", json={"login": "13912345678", "code": sent["code"]}
    )
    assert r.status_code == 200 and r.json["user"]["id"] == buyer.user.id


def test_a_reset_code_answers_the_same_for_unknown_accounts_and_sends_nothing(
    client, mailbox, buyer
):
    known = ask(client, buyer.user.email, "reset_password")
    unknown = ask(client, "nobody@example.com", "reset_password")
    assert known.status_code == unknown.status_code == 202
    assert known.json["message"] == unknown.json["message"]
    assert set(known.json) == set(unknown.json)
    assert [m["recipient"] for m in mailbox] == [buyer.user.email]
    # a guess for the unknown account is refused like a wrong code
    r = client.post(
        "/api/v1/auth/codes/reset-password",
        json={"login": "nobody@example.com", "code": "123456", "new_password": "Fresh-pass-92"},
    )
    assert r.status_code == 401 and r.json["code"] == "invalid_code"


def test_a_reset_code_sets_the_password_and_signs_out_everywhere(client, mailbox, buyer):
    ask(client, buyer.user.email, "reset_password")
    code = last_code(mailbox, buyer.user.email)
    weak = client.post(
        "/api/v1/auth/codes/reset-password",
        json={"login": buyer.user.email, "code": code, "new_password": "password"},
    )
    assert weak.status_code == 422 and weak.json["code"] == "weak_password"
    r = client.post(
        "/api/v1/auth/codes/reset-password",
        json={"login": buyer.user.email, "code": code, "new_password": "Fresh-pass-92"},
    )
    assert r.status_code == 204, r.json
    assert client.get("/api/v1/me", headers=buyer.headers).status_code == 401
    assert (
        AccessToken.select()
        .where((AccessToken.user == buyer.user.id) & AccessToken.revoked_at.is_null())
        .count()
        == 0
    )
    login = client.post(
        "/api/v1/auth/login", json={"login": buyer.user.email, "password": "Fresh-pass-92"}
    )
    assert login.status_code == 200
    # a sign-in code is not a reset code and the other way round
    ask(client, buyer.user.email, "reset_password")  # within the minute: refused (429)
    assert VerificationCode.select().where(VerificationCode.used_at.is_null()).count() == 0


def test_codes_are_kept_only_as_keyed_hashes(client, mailbox, app):
    ask(client, "hash@example.com", "sign_in")
    code = mailbox[-1]["code"]
    (row,) = VerificationCode.select()
    assert row.recipient == "email:hash@example.com"
    assert code not in row.code_hash and len(row.code_hash) == 64
    import hashlib

    assert row.code_hash != hashlib.sha256(code.encode()).hexdigest()


def test_a_code_dies_after_five_wrong_tries_and_when_it_expires(app, mailbox):
    with app.test_request_context():
        codes.request_code("tries@example.com", "sign_in")
        code = mailbox[-1]["code"]
        wrong = f"{(int(code) + 1) % 1000000:06d}"
        for _ in range(5):
            with pytest.raises(Unauthorized):
                codes.sign_in("tries@example.com", wrong)
        with pytest.raises(Unauthorized):
            codes.sign_in("tries@example.com", code)
        assert VerificationCode.get().tries == 5

        codes.request_code("late@example.com", "sign_in")
        code = mailbox[-1]["code"]
        VerificationCode.update(expires_at=dbm.utcnow()).where(
            VerificationCode.recipient == "email:late@example.com"
        ).execute()
        with pytest.raises(Unauthorized):
            codes.sign_in("late@example.com", code)


def test_a_new_code_retires_the_earlier_one_and_purposes_do_not_mix(app, mailbox, buyer):
    with app.test_request_context():
        codes.request_code(buyer.user.email, "sign_in")
        first = mailbox[-1]["code"]
        codes.request_code(buyer.user.email, "sign_in")
        second = mailbox[-1]["code"]
        if first != second:
            with pytest.raises(Unauthorized):
                codes.sign_in(buyer.user.email, first)
        with pytest.raises(Unauthorized):
            codes.reset_password(buyer.user.email, second, "Fresh-pass-92")
        assert codes.sign_in(buyer.user.email, second).id == buyer.user.id


def test_asking_is_limited_per_recipient_and_per_address(client, mailbox, app):
    app.config["CODE_ADDRESS_RATE_LIMIT"] = "4 per hour"
    assert ask(client, "limited@example.com", "sign_in").status_code == 202
    r = ask(client, "limited@example.com", "reset_password")
    assert r.status_code == 429
    assert len(mailbox) == 1
    statuses = [ask(client, f"a{i}@example.com", "sign_in").status_code for i in range(4)]
    assert statuses == [202, 202, 202, 429]  # with the first request above: four an hour


def test_wrong_codes_are_limited_per_address(client, mailbox, app):
    app.config["CODE_CHECK_RATE_LIMIT"] = "2 per 10 minutes"
    for _ in range(2):
        r = client.post(
            "/api/v1/auth/codes/sign-in", json={"login": "x@example.com", "code": "000000"}
        )
        assert r.status_code == 401
    r = client.post("/api/v1/auth/codes/sign-in", json={"login": "x@example.com", "code": "0"})
    assert r.status_code == 429


def test_two_requests_racing_with_the_right_code_spend_it_once(app, mailbox, buyer):
    with app.test_request_context():
        codes.request_code(buyer.user.email, "sign_in")
    code = mailbox[-1]["code"]
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def spend() -> None:
        with app.test_request_context(), dbm.database.connection_context():
            barrier.wait(timeout=60)
            try:
                codes.sign_in(buyer.user.email, code)
                outcomes.append("signed in")
            except Unauthorized:
                outcomes.append("refused")

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 3 + ["signed in"]


def test_without_a_sending_plugin_a_code_is_still_stored_and_nothing_fails(client):
    r = ask(client, "quiet@example.com", "sign_in")
    assert r.status_code == 202
    assert VerificationCode.select().count() == 1


def test_the_retention_purge_removes_codes_a_day_after_they_expired(app, mailbox):
    import datetime as dt

    from mallkit.core.retention import purge

    with app.test_request_context():
        codes.request_code("old@example.com", "sign_in")
        codes.request_code("new@example.com", "sign_in")
    VerificationCode.update(expires_at=dbm.utcnow() - dt.timedelta(days=2)).where(
        VerificationCode.recipient == "email:old@example.com"
    ).execute()
    with app.app_context():
        assert purge()["verification_codes"] == 1
    assert [c.recipient for c in VerificationCode.select()] == ["email:new@example.com"]


def test_wrong_guesses_racing_get_five_tries_between_them_not_five_each(app, mailbox):
    with app.test_request_context():
        codes.request_code("race@example.com", "sign_in")
    code = mailbox[-1]["code"]
    guesses = [f"{(int(code) + n) % 1000000:06d}" for n in range(1, 13)]
    barrier = threading.Barrier(len(guesses))
    outcomes: list[str] = []

    def guess(wrong: str) -> None:
        with app.test_request_context(), dbm.database.connection_context():
            barrier.wait(timeout=60)
            try:
                codes.sign_in("race@example.com", wrong)
                outcomes.append("signed in")
            except Unauthorized:
                outcomes.append("refused")

    threads = [threading.Thread(target=guess, args=(g,)) for g in guesses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["refused"] * len(guesses)
    # Each guess compared is a try counted first: never more than five, however they race.
    assert VerificationCode.get().tries == 5
    with app.test_request_context(), pytest.raises(Unauthorized):
        codes.sign_in("race@example.com", code)  # the code is dead
