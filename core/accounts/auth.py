"""Authentication (bearer tokens) and the permission helpers every endpoint uses.

Tokens are random, shown once, stored as SHA-256, expiring and revocable. Who may do what:

- ``require_user()`` — any signed-in user (a buyer acting on their own data);
- ``require_staff(merchant_id, *roles)`` — staff of that merchant (optionally with a role);
  a platform admin passes too;
- ``require_admin()`` — platform admins only.

Data scoping is the caller's job and is always written the same way: a buyer's queries filter
on ``user == current_user``, staff queries on ``merchant == merchant_id`` after
``require_staff(merchant_id)``. Someone else's object answers 404, never 403, so ids cannot be
probed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import json
import secrets

from flask import current_app, request
from werkzeug.security import check_password_hash, generate_password_hash

from mallkit.core.accounts.merchants.models import Merchant, StaffMember
from mallkit.core.accounts.models import AccessToken, User
from mallkit.core.db import Param, Prepared, instance, utcnow
from mallkit.core.errors import Forbidden, MallkitError, Unauthorized

TOKEN_PREFIX = "mk_"


def hash_password(password: str) -> str:
    return generate_password_hash(password)  # scrypt, salted


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_dummy(password: str) -> bool:
    """Spend what checking a real password costs, for a login with no account (never true)."""
    check_password_hash(_dummy_hash(), password)
    return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    user: User, *, ttl_seconds: int | None = None, user_agent: str = ""
) -> tuple[str, dt.datetime]:
    """Create a token for ``user``; return it (the only time it exists in clear) and its
    expiry."""
    ttl = ttl_seconds or int(current_app.config["TOKEN_TTL_SECONDS"])
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(seconds=ttl)
    AccessToken.create(
        user=user, token_hash=_digest(token), expires_at=expires_at, user_agent=user_agent[:255]
    )
    return token, expires_at


def token_answer(user: User) -> dict:
    """A new bearer token for ``user`` as the sign-in routes answer it: ``token``,
    ``expires_at``, ``user`` (``TokenOut``)."""
    token, expires_at = issue_token(user, user_agent=request.headers.get("User-Agent", ""))
    return {"token": token, "expires_at": expires_at, "user": user}


def sign_in_answer(user: User) -> dict:
    """Sign ``user`` in another way than a password or a code (a plugin's: WeChat): their
    last sign-in time is recorded and they get the same bearer token ``/auth/login`` gives."""
    User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
    return token_answer(user)


def revoke_token(token: str) -> None:
    AccessToken.update(revoked_at=utcnow()).where(
        (AccessToken.token_hash == _digest(token)) & AccessToken.revoked_at.is_null()
    ).execute()


def revoke_all(user: User, *, except_token: str | None = None) -> int:
    """Log out everywhere: revoke every live token of ``user`` (but ``except_token``)."""
    where = (AccessToken.user == user) & AccessToken.revoked_at.is_null()
    if except_token:
        where &= AccessToken.token_hash != _digest(except_token)
    return AccessToken.update(revoked_at=utcnow()).where(where).execute()


def bearer_token() -> str | None:
    """The bearer token of this request, as sent."""
    return _bearer()


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_token() -> str | None:
    return _bearer()


_USER_COLUMNS = tuple(User._meta.sorted_fields)
_USER_NAMES = [f.name for f in _USER_COLUMNS]
_TOKEN = Prepared(
    lambda: (
        AccessToken.select(AccessToken.revoked_at, AccessToken.expires_at, *_USER_COLUMNS)
        .join(User)
        .where(AccessToken.token_hash == Param("hash"))
        .limit(1)
    )
)


def current_user(optional: bool = False) -> User | None:
    """The signed-in user of this request (memoised), or ``None`` when ``optional``."""
    if "mallkit.user" in request.environ:
        user = request.environ["mallkit.user"]
    else:
        user = None
        token = _bearer()
        if token:
            row = _TOKEN.one({"hash": _digest(token)})  # on every request: SQL built once
            if row is not None:
                revoked_at, expires_at = row[0], row[1]
                found = instance(User, dict(zip(_USER_NAMES, row[2:], strict=True)))
                if revoked_at is None and expires_at > utcnow() and found.is_active:
                    user = found
        request.environ["mallkit.user"] = user
    if user is None and not optional:
        raise Unauthorized("a valid bearer token is required", code="unauthorized")
    return user


def require_user() -> User:
    user = current_user()
    assert user is not None
    return user


def _admin_checked(user: User) -> User:
    if current_app.config.get("REQUIRE_ADMIN_2FA", True) and user.totp_enabled_at is None:
        raise Forbidden(
            "platform admins must sign in with two factors: turn them on at /me/2fa/setup",
            code="two_factor_required",
        )
    return user


def require_admin() -> User:
    user = require_user()
    if not user.is_platform_admin:
        raise Forbidden("platform admins only", code="admin_required")
    return _admin_checked(user)


def staff_role(user: User, merchant_id: int) -> str | None:
    row = (
        StaffMember.select(StaffMember.role)
        .where((StaffMember.user == user.id) & (StaffMember.merchant == merchant_id))
        .tuples()
        .first()
    )
    return row[0] if row else None


def _address_allowed(address: str, allowlist: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in allowlist)


def require_staff(merchant_id: int, *roles: str, not_staff: MallkitError | None = None) -> User:
    """The caller, who must be staff of ``merchant_id`` (with one of ``roles`` when given)
    or a platform admin; staff also within the store's address allow-list and, for the roles
    the store names, signed in with two factors (docs/security.md). ``not_staff``: what to
    raise instead of ``403 not_merchant_staff`` for a caller who is no staff of the store
    (a ``NotFound``, so another store's rows do not even show they exist)."""
    user = require_user()
    if user.is_platform_admin:
        return _admin_checked(user)
    row = (
        StaffMember.select(StaffMember.role, Merchant.two_factor_roles, Merchant.staff_ip_allowlist)
        .join(Merchant)
        .where((StaffMember.user == user.id) & (StaffMember.merchant == merchant_id))
        .tuples()
        .first()
    )
    if row is None:
        raise not_staff or Forbidden(
            "you are not staff of this merchant", code="not_merchant_staff"
        )
    role, two_factor_roles, allowlist = row
    two_factor_roles = _json_list(two_factor_roles)
    allowlist = _json_list(allowlist)
    if allowlist and not _address_allowed(request.remote_addr or "", allowlist):
        raise Forbidden(
            "this store's staff work from its allowed addresses only", code="ip_not_allowed"
        )
    if role in two_factor_roles and user.totp_enabled_at is None:
        raise Forbidden(
            f"this store requires two-factor sign-in for {role}s: turn it on at /me/2fa/setup",
            code="two_factor_required",
        )
    if roles and role not in roles:
        raise Forbidden(
            f"this needs the role {' or '.join(roles)}; you are {role}", code="role_required"
        )
    return user


def _json_list(value) -> list:
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value or [])
