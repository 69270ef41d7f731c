"""Account tables: users, bearer tokens (stored hashed) and the address book."""

from __future__ import annotations

import peewee as pw

from mallkit.core.db import BaseModel, utcnow


class User(BaseModel):
    """A person: buyer, merchant staff or platform admin (roles come from memberships)."""

    email = pw.CharField(max_length=254, null=True, unique=True)
    phone = pw.CharField(max_length=32, null=True, unique=True)
    password_hash = pw.CharField(max_length=255)
    name = pw.CharField(max_length=100, default="")
    avatar_url = pw.CharField(max_length=500, default="")
    birthday = pw.DateField(null=True)
    is_platform_admin = pw.BooleanField(default=False)
    is_active = pw.BooleanField(default=True)
    created_at = pw.DateTimeField(default=utcnow)
    last_login_at = pw.DateTimeField(null=True)
    # Two-factor sign-in (core/accounts/two_factor.py): the TOTP secret, encrypted; set but
    # not enabled while being set up; the last time step accepted (a code works once).
    totp_secret = pw.TextField(null=True)
    totp_enabled_at = pw.DateTimeField(null=True)
    totp_last_step = pw.BigIntegerField(default=0)


class AccessToken(BaseModel):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    user = pw.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(index=True)
    revoked_at = pw.DateTimeField(null=True)
    last_used_at = pw.DateTimeField(null=True)
    user_agent = pw.CharField(max_length=255, default="")


class Address(BaseModel):
    """An entry of a buyer's address book."""

    user = pw.ForeignKeyField(User, backref="addresses", on_delete="CASCADE")
    recipient = pw.CharField(max_length=100)
    phone = pw.CharField(max_length=32)
    country = pw.CharField(max_length=2, default="CN")
    province = pw.CharField(max_length=50)
    city = pw.CharField(max_length=50)
    district = pw.CharField(max_length=50, default="")
    detail = pw.CharField(max_length=255)
    postal_code = pw.CharField(max_length=16, default="")
    is_default = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=utcnow)


class RecoveryCode(BaseModel):
    """A one-time code that stands in for a TOTP code (stored as its SHA-256)."""

    user_id = pw.IntegerField(index=True)
    code_hash = pw.CharField(max_length=64, unique=True)
    used_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "recovery_code"
