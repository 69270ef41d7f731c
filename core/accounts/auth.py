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
import secrets

from flask import current_app, request
from werkzeug.security import check_password_hash, generate_password_hash

from mallkit.core.accounts.merchants.models import StaffMember
from mallkit.core.accounts.models import AccessToken, User
from mallkit.core.db import utcnow
from mallkit.core.errors import Forbidden, Unauthorized

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


def revoke_token(token: str) -> None:
    AccessToken.update(revoked_at=utcnow()).where(
        (AccessToken.token_hash == _digest(token)) & AccessToken.revoked_at.is_null()
    ).execute()


def revoke_all(user: User) -> int:
    """Log out everywhere: revoke every live token of ``user``."""
    return (
        AccessToken.update(revoked_at=utcnow())
        .where((AccessToken.user == user) & AccessToken.revoked_at.is_null())
        .execute()
    )


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_token() -> str | None:
    return _bearer()


def current_user(optional: bool = False) -> User | None:
    """The signed-in user of this request (memoised), or ``None`` when ``optional``."""
    if "mallkit.user" in request.environ:
        user = request.environ["mallkit.user"]
    else:
        user = None
        token = _bearer()
        if token:
            row = (
                AccessToken.select(AccessToken, User)
                .join(User)
                .where(AccessToken.token_hash == _digest(token))
                .first()
            )
            now = utcnow()
            if (
                row is not None
                and row.revoked_at is None
                and row.expires_at > now
                and row.user.is_active
            ):
                user = row.user
        request.environ["mallkit.user"] = user
    if user is None and not optional:
        raise Unauthorized("a valid bearer token is required", code="unauthorized")
    return user


def require_user() -> User:
    user = current_user()
    assert user is not None
    return user


def require_admin() -> User:
    user = require_user()
    if not user.is_platform_admin:
        raise Forbidden("platform admins only", code="admin_required")
    return user


def staff_role(user: User, merchant_id: int) -> str | None:
    row = (
        StaffMember.select(StaffMember.role)
        .where((StaffMember.user == user.id) & (StaffMember.merchant == merchant_id))
        .tuples()
        .first()
    )
    return row[0] if row else None


def require_staff(merchant_id: int, *roles: str) -> User:
    """The caller, who must be staff of ``merchant_id`` (with one of ``roles`` when given)
    or a platform admin."""
    user = require_user()
    if user.is_platform_admin:
        return user
    role = staff_role(user, merchant_id)
    if role is None:
        raise Forbidden("you are not staff of this merchant", code="not_merchant_staff")
    if roles and role not in roles:
        raise Forbidden(
            f"this needs the role {' or '.join(roles)}; you are {role}", code="role_required"
        )
    return user
