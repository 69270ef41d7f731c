"""One-time verification codes: sign in (or sign up) and reset a password with a code sent by
e-mail or SMS, instead of a password.

A code is six digits, lives ``VERIFICATION_CODE_TTL_SECONDS`` (600), works once, and is kept
only as an HMAC-SHA256 keyed with the app's secret (a bare hash of six digits would be
reversed in a million tries). Asking for a new code retires the recipient's earlier ones for
the same purpose. Each code takes ``VERIFICATION_CODE_MAX_TRIES`` (5) wrong guesses and is then
dead, so guessing one is one chance in 200,000; asking for codes is rate-limited per
recipient and per address (:mod:`mallkit.core.accounts.limits`).

Nothing here tells anyone whether an account exists: a code request answers the same either
way, a sign-in code is sent either way (signing in with it creates the account), and a
password-reset code is sent only when the account exists — the answer, and the work done
(one HMAC, one insert), are the same.

Codes are delivered by whichever plugin answers ``send_verification_code`` (the notifications
plugin), after the code's transaction commits and outside it. A code is never queued in the
task table: it would sit there in clear; a failed send is logged and the person asks again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets

import peewee as pw
from flask import current_app

from mallkit.core.accounts import auth, two_factor
from mallkit.core.accounts.models import User
from mallkit.core.accounts.service import check_password_policy, normalise_login, register
from mallkit.core.db import BaseModel, on_commit, transaction, utcnow
from mallkit.core.errors import Unauthorized, ValidationError
from mallkit.core.plugins import get_host

log = logging.getLogger("mallkit.accounts.codes")

SIGN_IN, RESET_PASSWORD = "sign_in", "reset_password"
PURPOSES = (SIGN_IN, RESET_PASSWORD)
CODE_DIGITS = 6

DEFAULTS = {
    "VERIFICATION_CODE_TTL_SECONDS": 600,
    "VERIFICATION_CODE_MAX_TRIES": 5,
}


class VerificationCode(BaseModel):
    """A one-time code sent to ``recipient`` (``email:a@b.c`` or ``phone:139...``).

    ``code_hash``: HMAC-SHA256 of the code, keyed with the app's secret, over the recipient,
    purpose and code. ``used_at`` is set when it is spent or retired by a newer code;
    ``tries`` counts wrong guesses.
    """

    recipient = pw.CharField(max_length=300)
    purpose = pw.CharField(max_length=20)
    code_hash = pw.CharField(max_length=64)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)
    tries = pw.IntegerField(default=0)

    class Meta:
        table_name = "verification_code"
        indexes = ((("recipient", "purpose", "created_at"), False), (("expires_at",), False))


def _setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


def recipient_of(login: str) -> tuple[str, str, str]:
    """``(channel, address, recipient key)`` for what a person typed: ``("email", "a@b.c",
    "email:a@b.c")`` or ``("sms", "139...", "phone:139...")``."""
    field, value = normalise_login(login)
    return ("email" if field == "email" else "sms"), value, f"{field}:{value}"


def _digest(recipient: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"verification-code\0{recipient}\0{purpose}\0{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _account(recipient: str) -> User | None:
    field, value = recipient.split(":", 1)
    return User.get_or_none(getattr(User, field) == value)


def request_code(login: str, purpose: str, *, locale: str = "zh-CN") -> dt.datetime:
    """Issue a code for ``purpose`` to the e-mail or phone ``login`` and have it sent after
    commit. Returns when it expires — the same answer whether or not the account exists."""
    if purpose not in PURPOSES:
        raise ValidationError("unknown purpose", errors={"purpose": [f"One of {PURPOSES}."]})
    channel, address, recipient = recipient_of(login)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = utcnow()
    expires_at = now + dt.timedelta(seconds=_setting("VERIFICATION_CODE_TTL_SECONDS"))
    with transaction():
        account = _account(recipient)
        if account is not None and not account.is_active:
            account = None
        send = purpose == SIGN_IN or account is not None
        VerificationCode.update(used_at=now).where(
            (VerificationCode.recipient == recipient)
            & (VerificationCode.purpose == purpose)
            & VerificationCode.used_at.is_null()
        ).execute()
        # Written even when nothing is sent, so both answers cost the same.
        VerificationCode.create(
            recipient=recipient,
            purpose=purpose,
            code_hash=_digest(recipient, purpose, code if send else secrets.token_hex(8)),
            created_at=now,
            expires_at=expires_at,
        )
        if send:
            on_commit(lambda: deliver(channel, address, code, purpose, expires_at, locale))
    return expires_at


def deliver(
    channel: str, address: str, code: str, purpose: str, expires_at: dt.datetime, locale: str
) -> bool:
    """Hand the code to the first plugin that sends it (``send_verification_code``)."""
    try:
        sent = get_host().hook.send_verification_code(
            channel=channel,
            recipient=address,
            code=code,
            purpose=purpose,
            expires_at=expires_at,
            locale=locale,
        )
    except Exception:
        log.exception("sending a %s verification code by %s failed", purpose, channel)
        return False
    if not sent:
        log.warning("no plugin sends verification codes by %s (%s)", channel, purpose)
    return bool(sent)


def _spend(recipient: str, purpose: str, code: str) -> None:
    """Spend the recipient's live code for ``purpose`` or raise ``invalid_code``; a wrong
    guess is counted against the code (and committed) before the error is raised; the right
    one takes a try too."""
    if not (
        isinstance(code, str) and code.isascii() and code.isdigit() and len(code) == CODE_DIGITS
    ):
        raise Unauthorized("the code is wrong or has expired", code="invalid_code")
    now = utcnow()
    spent = 0
    with transaction():
        live = (
            VerificationCode.select()
            .where(
                (VerificationCode.recipient == recipient)
                & (VerificationCode.purpose == purpose)
                & VerificationCode.used_at.is_null()
                & (VerificationCode.expires_at > now)
                & (VerificationCode.tries < _setting("VERIFICATION_CODE_MAX_TRIES"))
            )
            .order_by(VerificationCode.created_at.desc(), VerificationCode.id.desc())
            .first()
        )
        # A guess takes a try before it is compared, as a compare-and-set on the count:
        # guesses racing each other get the code's tries between them, not each.
        tried = live is not None and (
            VerificationCode.update(tries=VerificationCode.tries + 1)
            .where(
                (VerificationCode.id == live.id)
                & VerificationCode.used_at.is_null()
                & (VerificationCode.tries < _setting("VERIFICATION_CODE_MAX_TRIES"))
            )
            .execute()
        )
        if tried and hmac.compare_digest(live.code_hash, _digest(recipient, purpose, code)):
            # Compare-and-set: of two requests racing with the right code, one spends it.
            spent = (
                VerificationCode.update(used_at=now)
                .where((VerificationCode.id == live.id) & VerificationCode.used_at.is_null())
                .execute()
            )
    if spent != 1:
        raise Unauthorized("the code is wrong or has expired", code="invalid_code")


def sign_in(login: str, code: str, *, otp: str | None = None, name: str = "") -> User:
    """The account for ``login`` after spending a sign-in code; an e-mail or phone with no
    account gets one (signing up by code: it has no password until a reset code sets one).
    Accounts with two-factor sign-in on still need ``otp``."""
    _channel, _address, recipient = recipient_of(login)
    _spend(recipient, SIGN_IN, code)
    user = _account(recipient)
    if user is None:
        field, value = recipient.split(":", 1)
        user = register(**{field: value}, password=None, name=name)
    if not user.is_active:
        raise Unauthorized("the code is wrong or has expired", code="invalid_code")
    two_factor.check_sign_in(user, otp)
    User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
    return user


def reset_password(login: str, code: str, new_password: str) -> None:
    """Set a new password after spending a password-reset code; every token is revoked. The
    password policy is checked against the login typed, account or not, so a weak password
    is refused the same way for both."""
    _channel, address, recipient = recipient_of(login)
    check_password_policy(new_password, address)
    _spend(recipient, RESET_PASSWORD, code)
    user = _account(recipient)
    if user is None or not user.is_active:
        raise Unauthorized("the code is wrong or has expired", code="invalid_code")
    check_password_policy(new_password, user.email, user.phone)
    with transaction():
        User.update(password_hash=auth.hash_password(new_password)).where(
            User.id == user.id
        ).execute()
        auth.revoke_all(user)
