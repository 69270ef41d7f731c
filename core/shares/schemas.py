"""Schemas of the share-link endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.api import Schema, UtcDateTime
from mallkit.core.shares.models import CHANNELS, CORE_KINDS

Utm = fields.String(load_default="", validate=validate.Length(max=100))
Kind = validate.Regexp(r"^[a-z][a-z0-9_]{0,30}(\.[a-z][a-z0-9_]{0,30})?$")


class ShareIn(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(CORE_KINDS),
        metadata={"description": "product or store (plugins create links to their own kinds)"},
    )
    target_id = fields.Integer(required=True, validate=validate.Range(min=1))
    channel = fields.String(load_default="link", validate=validate.OneOf(CHANNELS))
    utm_source = Utm
    utm_medium = Utm
    utm_campaign = Utm
    expires_at = UtcDateTime(
        load_default=None, metadata={"description": "Optional; the link never expires without"}
    )


class ShareOut(Schema):
    code = fields.String()
    url = fields.String(metadata={"description": "The public link (<base>/s/<code>)"})
    merchant_id = fields.Integer()
    sharer_id = fields.Integer()
    kind = fields.String()
    target_id = fields.Integer()
    channel = fields.String()
    utm_source = fields.String()
    utm_medium = fields.String()
    utm_campaign = fields.String()
    expires_at = UtcDateTime(allow_none=True)
    expired = fields.Boolean()
    created_at = UtcDateTime()


class VisitIn(Schema):
    device_id = fields.String(
        load_default="",
        validate=validate.Regexp(r"^[A-Za-z0-9_.:-]{0,64}$"),
        metadata={"description": "The anonymous visitor's device id (a signed-in user is known)"},
    )


class VisitOut(ShareOut):
    visit_id = fields.Integer()


class FiguresOut(Schema):
    visits = fields.Integer()
    signups = fields.Integer()
    orders = fields.Integer(metadata={"description": "Orders placed through the link(s)"})
    paid_orders = fields.Integer()
    paid_amount = fields.Integer(metadata={"description": "Paid, in minor units"})
    refunded_amount = fields.Integer()


class LinkStatsOut(ShareOut, FiguresOut):
    pass


class SharerStatsOut(FiguresOut):
    sharer_id = fields.Integer()
    name = fields.String()
    links = fields.Integer()


class LinkQuery(Schema):
    kind = fields.String(validate=Kind)
    sharer_id = fields.Integer(validate=validate.Range(min=1))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    utm_campaign = fields.String(validate=validate.Length(max=100))


class SharerQuery(Schema):
    kind = fields.String(validate=Kind)
