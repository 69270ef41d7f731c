"""Schemas of the payment and refund endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.api import Schema, UtcDateTime


class PayIn(Schema):
    channel = fields.String(required=True, validate=validate.Length(min=1, max=32))
    method = fields.String(load_default="", validate=validate.Length(max=32))
    params = fields.Dict(
        load_default=dict, metadata={"description": "Channel-specific (e.g. openid for JSAPI)"}
    )


class AttemptOut(Schema):
    id = fields.Integer()
    number = fields.String()
    order_id = fields.Integer()
    channel = fields.String()
    method = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    status = fields.String()
    channel_data = fields.Dict()
    created_at = UtcDateTime()
    paid_at = UtcDateTime(allow_none=True)


class RefundLineIn(Schema):
    line_id = fields.Integer(required=True)
    quantity = fields.Integer(load_default=0, validate=validate.Range(min=0))
    amount = fields.Integer(
        load_default=None,
        validate=validate.Range(min=0),
        metadata={"description": "Default: the line's share for the quantity"},
    )


class RefundIn(Schema):
    lines = fields.List(
        fields.Nested(RefundLineIn),
        load_default=None,
        validate=validate.Length(min=1),
        metadata={"description": "Omit to refund everything left"},
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=255))
    restock = fields.Boolean(load_default=None)


class RefundLineOut(Schema):
    order_line_id = fields.Integer()
    quantity = fields.Integer()
    amount = fields.Integer()


class RefundOut(Schema):
    id = fields.Integer()
    number = fields.String()
    order_id = fields.Integer()
    amount = fields.Integer()
    currency = fields.String()
    status = fields.String()
    reason = fields.String()
    restock = fields.Boolean()
    failure = fields.String()
    created_at = UtcDateTime()
    completed_at = UtcDateTime(allow_none=True)
    lines = fields.List(fields.Nested(RefundLineOut), attribute="lines_list")
