"""The password policy and sign-in answers that do not tell whether an account exists."""

from __future__ import annotations

import pytest

from mallkit.core.accounts import auth, service
from mallkit.core.accounts.models import User
from mallkit.core.errors import ValidationError


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short1!", "At least 8 characters."),
        ("        ", "Not only spaces."),
        ("!!!!!!!!", "At least 5 different characters."),
        ("88888888", "At least 5 different characters."),
        ("password1", "One of the most common passwords; choose another."),
        ("Password1", "One of the most common passwords; choose another."),
        ("qq123456", "One of the most common passwords; choose another."),
        ("li.hua.2024@example.com", "Not your e-mail address or phone number."),
        ("li.hua.2024", "Not your e-mail address or phone number."),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(app, password, problem):
    with pytest.raises(ValidationError) as refused:
        service.register(email="li.hua.2024@example.com", password=password)
    assert refused.value.code == "weak_password"
    assert problem in refused.value.errors["password"]
    assert User.select().count() == 0


def test_a_phone_number_is_not_its_own_password(app):
    with pytest.raises(ValidationError):
        service.register(phone="139-1234-5678", password="13912345678")


def test_good_passwords_pass(app):
    for i, password in enumerate(("correct horse battery", "woaini-1314!", "Zk3#pq9!x")):
        service.register(email=f"u{i}@example.com", password=password)
    assert User.select().count() == 3


def test_changing_to_a_weak_password_is_refused(client, buyer):
    r = client.post(
        "/api/v1/me/password",
        json={"old_password": buyer.password, "new_password": "password1"},
        headers=buyer.headers,
    )
    assert r.status_code == 422 and r.json["code"] == "weak_password"


def test_an_unknown_login_costs_a_password_check_too(client, buyer, monkeypatch):
    checked = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: checked.append(h) or real(h, p))
    unknown = client.post("/api/v1/auth/login", json={"login": "no@x.io", "password": "x" * 9})
    wrong = client.post("/api/v1/auth/login", json={"login": buyer.user.email, "password": "x" * 9})
    assert unknown.status_code == wrong.status_code == 401 and unknown.json == wrong.json
    assert len(checked) == 2  # one hash checked for each, the unknown one against a dummy
