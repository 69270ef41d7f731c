"""Request and response schemas of the merchant, store and plugin endpoints."""

from __future__ import annotations

import ipaddress

import marshmallow as ma
from marshmallow import fields, validate

from mallkit.core.accounts.merchants.models import STAFF_ROLES
from mallkit.core.api import Schema, UtcDateTime


class MerchantSettingsIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    logo_url = fields.URL(validate=validate.Length(max=500))
    contact_name = fields.String(validate=validate.Length(max=100))
    contact_phone = fields.String(validate=validate.Length(max=32))
    contact_email = fields.Email(validate=validate.Length(max=254))
    address = fields.String(validate=validate.Length(max=255))
    description = fields.String(validate=validate.Length(max=5000))
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    timezone = fields.String(validate=validate.Length(min=1, max=64))


class MerchantCreateIn(MerchantSettingsIn):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    owner_login = fields.String(
        load_default=None, metadata={"description": "E-mail or phone of the owner's account"}
    )


class MerchantStatusIn(Schema):
    is_active = fields.Boolean(
        required=True,
        metadata={"description": "false suspends the store: hidden from buyers, no new orders"},
    )


class MerchantOut(MerchantSettingsIn):
    id = fields.Integer()
    is_active = fields.Boolean()
    created_at = UtcDateTime()


class StoreOut(Schema):
    id = fields.Integer()
    name = fields.String()
    logo_url = fields.String()
    description = fields.String()
    contact_phone = fields.String()
    address = fields.String()
    currency = fields.String()
    extensions = fields.Dict(
        metadata={"description": "Fields added by the store's plugins, keyed by plugin name"}
    )
    plugins = fields.List(
        fields.String(),
        metadata={
            "description": "The plugins the store has on, by name: a storefront shows a "
            "plugin's screens (group buy, live chat ...) only when its name is here"
        },
    )


class StaffIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=3, max=254))
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))


class RoleIn(Schema):
    role = fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))


class StaffOut(Schema):
    user_id = fields.Integer(attribute="user.id")
    name = fields.String(attribute="user.name")
    email = fields.String(attribute="user.email", allow_none=True)
    phone = fields.String(attribute="user.phone", allow_none=True)
    role = fields.String()
    created_at = UtcDateTime()


class PluginOut(Schema):
    name = fields.String()
    version = fields.String()
    title = fields.String()
    description = fields.String()
    title_zh = fields.String(metadata={"description": "The title in Chinese (else the title)"})
    description_zh = fields.String(
        metadata={"description": "The description in Chinese (else the description)"}
    )
    level = fields.String(
        metadata={"description": "platform: on for everyone; merchant: per store"}
    )
    category = fields.String()
    requires = fields.List(fields.String())
    mallkit = fields.String(metadata={"description": "Compatible mallkit versions"})
    distribution = fields.String()
    config_fields = fields.List(fields.String())
    secret_fields = fields.List(fields.String())
    config_schema = fields.Dict(
        allow_none=True,
        metadata={
            "description": "The config schema as JSON Schema (null: takes no configuration); "
            'secret fields carry "x-secret": true'
        },
    )


class MerchantPluginOut(PluginOut):
    enabled = fields.Boolean()
    config = fields.Dict(metadata={"description": "Secret fields are masked"})


class PluginConfigIn(Schema):
    config = fields.Dict(
        load_default=None,
        metadata={
            "description": "Validated by the plugin's schema; a masked secret keeps its saved value"
        },
    )


class PluginConfigRequiredIn(Schema):
    config = fields.Dict(required=True)


class AuditQuery(Schema):
    actor_id = fields.Integer(validate=validate.Range(min=1))
    action = fields.String(validate=validate.Length(max=64))
    target_type = fields.String(validate=validate.Length(max=64))
    target_id = fields.String(validate=validate.Length(max=64))
    since = UtcDateTime()
    until = UtcDateTime()


class AdminAuditQuery(AuditQuery):
    merchant_id = fields.Integer(validate=validate.Range(min=1))


class AuditOut(Schema):
    id = fields.Integer()
    at = UtcDateTime()
    actor_id = fields.Integer(allow_none=True, metadata={"description": "None: the system"})
    merchant_id = fields.Integer(allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    ip = fields.String()


def _network(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ma.ValidationError("An IP address or network (CIDR), e.g. 203.0.113.0/24.") from exc


class SecurityIn(Schema):
    two_factor_roles = fields.List(
        fields.String(validate=validate.OneOf(STAFF_ROLES)),
        required=True,
        validate=validate.Length(max=len(STAFF_ROLES)),
        metadata={"description": "Staff roles that must sign in with two factors"},
    )
    staff_ip_allowlist = fields.List(
        fields.String(validate=[validate.Length(max=43), _network]),
        required=True,
        validate=validate.Length(max=50),
        metadata={"description": "Addresses staff may work from (CIDR); empty = anywhere"},
    )


class SecurityOut(SecurityIn):
    pass
