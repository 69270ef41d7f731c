"""Two-factor sign-in with TOTP (RFC 6238, pyotp): any account may turn it on; a store can
require it of staff roles, and platform admins must use it when ``REQUIRE_ADMIN_2FA`` is on
(the default; the demo and the test kit turn it off). docs/security.md has the policy.

- Set-up: ``setup`` stores a new secret (encrypted with a key derived from the platform
  secret) and answers it with an ``otpauth://`` URI and its QR code; ``enable`` checks a first
  code, turns two factors on, revokes the account's other tokens and answers ten recovery
  codes, shown once and stored hashed.
- Sign-in: with two factors on, ``POST /auth/login`` needs ``otp`` — a current code (each
  accepted once: a time step is never accepted twice) or an unused recovery code. A missing
  code answers ``401 otp_required`` only after the password was right; a wrong one ``401
  invalid_otp``, counted by the sign-in limits like a wrong password.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from mallkit.core.accounts import auth
from mallkit.core.accounts.models import RecoveryCode, User
from mallkit.core.db import transaction, utcnow
from mallkit.core.errors import Conflict, Unauthorized, ValidationError

ISSUER = "mallkit"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"].encode()
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"mallkit totp\0" + secret).digest()))


def _secret_of(user: User) -> str:
    try:
        return _fernet().decrypt(user.totp_secret.encode()).decode()
    except InvalidToken as exc:  # the platform secret changed since
        raise Conflict(
            "the two-factor secret cannot be read; ask an admin to reset it",
            code="totp_unreadable",
        ) from exc


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def setup(user: User) -> dict[str, str]:
    """Start (or restart) setting two factors up: a new secret, not enabled yet."""
    if enabled(user):
        raise Conflict("two-factor sign-in is already on", code="totp_enabled")
    secret = pyotp.random_base32()
    User.update(totp_secret=_fernet().encrypt(secret.encode()).decode(), totp_last_step=0).where(
        User.id == user.id
    ).execute()
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.email or user.phone or str(user.id), issuer_name=ISSUER
    )
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": segno.make(uri).svg_inline(scale=4)}


def _accept_code(user: User, code: str) -> bool:
    """A current TOTP code (this step or the one before or after), accepted once."""
    code = (code or "").strip()
    if not (code.isascii() and code.isdigit() and len(code) == 6) or not user.totp_secret:
        return False
    totp = pyotp.TOTP(_secret_of(user))
    now = utcnow().timestamp()
    for offset in (0, -1, 1):
        at = now + offset * totp.interval
        if secrets.compare_digest(totp.at(at), code):
            step = int(at // totp.interval)
            # a compare-and-set on the last step: the same code never signs in twice
            return bool(
                User.update(totp_last_step=step)
                .where((User.id == user.id) & (User.totp_last_step < step))
                .execute()
            )
    return False


def _accept_recovery(user: User, code: str) -> bool:
    return bool(
        RecoveryCode.update(used_at=utcnow())
        .where(
            (RecoveryCode.user_id == user.id)
            & (RecoveryCode.code_hash == _digest(code))
            & RecoveryCode.used_at.is_null()
        )
        .execute()
    )


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.delete().where(RecoveryCode.user_id == user.id).execute()
    codes = [
        "-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    RecoveryCode.insert_many(
        [{"user_id": user.id, "code_hash": _digest(c), "created_at": utcnow()} for c in codes]
    ).execute()
    return codes


def enable(user: User, code: str, keep_token: str | None) -> list[str]:
    """Turn two factors on with a first code; revoke the account's other tokens; answer the
    recovery codes (the only time they exist in clear)."""
    with transaction():
        user = User.get_by_id(user.id)
        if enabled(user):
            raise Conflict("two-factor sign-in is already on", code="totp_enabled")
        if not user.totp_secret:
            raise Conflict("start with POST /me/2fa/setup", code="totp_not_set_up")
        if not _accept_code(user, code):
            raise ValidationError(
                "the code is not right",
                code="invalid_otp",
                errors={"code": ["Wrong or expired code."]},
            )
        User.update(totp_enabled_at=utcnow()).where(User.id == user.id).execute()
        auth.revoke_all(user, except_token=keep_token)
        return _new_recovery_codes(user)


def disable(user: User, password: str, code: str) -> None:
    with transaction():
        user = User.get_by_id(user.id)
        if not enabled(user):
            raise Conflict("two-factor sign-in is off", code="totp_disabled")
        if not auth.verify_password(user, password):
            raise ValidationError(
                "the password is wrong",
                code="wrong_password",
                errors={"password": ["Wrong password."]},
            )
        if not (_accept_code(user, code) or _accept_recovery(user, code)):
            raise ValidationError(
                "the code is not right",
                code="invalid_otp",
                errors={"code": ["Wrong or expired code."]},
            )
        User.update(totp_secret=None, totp_enabled_at=None, totp_last_step=0).where(
            User.id == user.id
        ).execute()
        RecoveryCode.delete().where(RecoveryCode.user_id == user.id).execute()


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    with transaction():
        user = User.get_by_id(user.id)
        if not enabled(user):
            raise Conflict("two-factor sign-in is off", code="totp_disabled")
        if not _accept_code(user, code):
            raise ValidationError(
                "the code is not right",
                code="invalid_otp",
                errors={"code": ["Wrong or expired code."]},
            )
        return _new_recovery_codes(user)


def check_sign_in(user: User, otp: str | None) -> None:
    """After the password was right: the second factor, when the account has it on."""
    if not enabled(user):
        return
    if not otp:
        raise Unauthorized("enter the code from your authenticator app", code="otp_required")
    with transaction():
        if not (_accept_code(user, otp) or _accept_recovery(user, otp)):
            raise Unauthorized("the code is not right", code="invalid_otp")


def recovery_codes_left(user: User) -> int:
    return (
        RecoveryCode.select()
        .where((RecoveryCode.user_id == user.id) & RecoveryCode.used_at.is_null())
        .count()
    )
