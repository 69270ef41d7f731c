"""Sign-in limits (flask-limiter): failed sign-ins and password checks.

The policy (docs/security.md). Only failed attempts count, so a person who types the password
right is never held back by their own earlier successes. Accounts are keyed on the login as
sign-in normalises it (``13-912345678`` and ``13912345678`` are one account).

- **Per account and address** (``LOGIN_PAIR_RATE_LIMIT``, default ``5 per minute;
  10 per 10 minutes; 20 per hour``): escalating windows — a guesser at one address slows
  down fast, while the owner elsewhere is not affected.
- **Per account, any address** (``LOGIN_RATE_LIMIT``, default ``50 per hour``): slows a
  distributed guess. A **known device** — a client that sends the ``X-Mallkit-Device``
  token its last successful sign-in to that account returned — is exempt, so failures by
  others never lock the owner out.
- **Per address, any account** (``LOGIN_ADDRESS_RATE_LIMIT``, default ``100 per 10
  minutes``): slows one address spraying many accounts, high enough that people sharing an
  address (an office, a carrier NAT) do not block each other.
- **Password and code checks of a signed-in account** (``PASSWORD_CHECK_RATE_LIMIT``,
  default ``5 per 10 minutes``): wrong current passwords on ``POST /me/password`` and wrong
  codes on the ``/me/2fa/...`` operations, per account.

- **Verification codes** (:mod:`mallkit.core.accounts.codes`): asking for a code, per
  recipient (``CODE_RECIPIENT_RATE_LIMIT``, default ``1 per minute;5 per hour;10 per day``,
  whatever the address asking) and per address (``CODE_ADDRESS_RATE_LIMIT``, default
  ``20 per hour``); wrong codes per address (``CODE_CHECK_RATE_LIMIT``, default ``30 per 10
  minutes``), besides each code's own five tries.

Counts are kept by the shared :data:`mallkit.core.limits.limiter`.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from flask_limiter.util import get_remote_address

from mallkit.core.accounts.auth import current_user
from mallkit.core.accounts.service import normalise_login
from mallkit.core.errors import MallkitError
from mallkit.core.limits import limiter

DEVICE_HEADER = "X-Mallkit-Device"


def login_key() -> str:
    """The account a sign-in is for, normalised as sign-in does (``-`` when unreadable)."""
    data = request.get_json(silent=True)
    login = data.get("login") if isinstance(data, dict) else None
    if not isinstance(login, str) or not login.strip():
        return "-"
    try:
        field, value = normalise_login(login)
    except MallkitError:
        return "-"
    return f"{field}:{value}"


def device_token(account: str) -> str:
    """What a client keeps after signing in to ``account`` to be known next time."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"known-device\0" + account.encode(), hashlib.sha256).hexdigest()


def _known_device() -> bool:
    sent = request.headers.get(DEVICE_HEADER, "")
    # Bytes: compare_digest refuses text outside ASCII (a header read as Latin-1).
    return bool(sent) and hmac.compare_digest(sent.encode(), device_token(login_key()).encode())


def _failed(response) -> bool:
    return response.status_code == 401


def _wrong_old_password(response) -> bool:
    body = response.get_json(silent=True) or {}
    return response.status_code == 422 and body.get("code") in ("wrong_password", "invalid_otp")


def _config(name: str):
    return lambda: current_app.config[name]


limit_login_pair = limiter.shared_limit(
    _config("LOGIN_PAIR_RATE_LIMIT"),
    scope="login-pair",
    key_func=lambda: f"{login_key()}|{get_remote_address()}",
    deduct_when=_failed,
)
limit_login = limiter.shared_limit(
    _config("LOGIN_RATE_LIMIT"),
    scope="login-account",
    key_func=login_key,
    deduct_when=_failed,
    exempt_when=_known_device,
)
limit_login_address = limiter.shared_limit(
    _config("LOGIN_ADDRESS_RATE_LIMIT"),
    scope="login-address",
    key_func=get_remote_address,
    deduct_when=_failed,
)


def _password_key() -> str:
    user = current_user()
    return f"user:{user.id}" if user else f"address:{get_remote_address()}"


limit_password_check = limiter.shared_limit(
    _config("PASSWORD_CHECK_RATE_LIMIT"),
    scope="password-check",
    key_func=_password_key,
    deduct_when=_wrong_old_password,
)


limit_code_recipient = limiter.shared_limit(
    _config("CODE_RECIPIENT_RATE_LIMIT"), scope="code-recipient", key_func=login_key
)
limit_code_address = limiter.shared_limit(
    _config("CODE_ADDRESS_RATE_LIMIT"), scope="code-address", key_func=get_remote_address
)
limit_code_check = limiter.shared_limit(
    _config("CODE_CHECK_RATE_LIMIT"),
    scope="code-check",
    key_func=get_remote_address,
    deduct_when=_failed,
)
