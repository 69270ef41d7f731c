"""Merchant tables: the store with its settings, and staff memberships with roles."""

from __future__ import annotations

import peewee as pw

from mallkit.core.accounts.models import User
from mallkit.core.db import BaseModel, JSONField, utcnow

STAFF_ROLES = ("owner", "manager", "agent")


class Merchant(BaseModel):
    """A store on the platform. Created by a platform admin."""

    name = pw.CharField(max_length=100)
    logo_url = pw.CharField(max_length=500, default="")
    contact_name = pw.CharField(max_length=100, default="")
    contact_phone = pw.CharField(max_length=32, default="")
    contact_email = pw.CharField(max_length=254, default="")
    address = pw.CharField(max_length=255, default="")
    description = pw.TextField(default="")
    currency = pw.CharField(max_length=3, default="CNY")
    timezone = pw.CharField(max_length=64, default="Asia/Shanghai")
    is_active = pw.BooleanField(default=True)
    # Bumped on every change of the merchant's plugin set or plugin config; each process
    # compares it (one indexed read per request) with the version its cached view was built at.
    plugin_settings_version = pw.IntegerField(default=0)
    # Staff security (PUT /merchants/{id}/security): roles that must sign in with two
    # factors, and the addresses (CIDR) staff may work from; empty = anywhere.
    two_factor_roles = JSONField(default=list)
    staff_ip_allowlist = JSONField(default=list)
    created_at = pw.DateTimeField(default=utcnow)


class StaffMember(BaseModel):
    """A user working for a merchant as owner, manager or (customer-service) agent."""

    merchant = pw.ForeignKeyField(Merchant, backref="staff", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    role = pw.CharField(max_length=16, choices=[(r, r) for r in STAFF_ROLES])
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("merchant", "user"), True),)
