"""Request and response schemas of the promotion endpoints."""

from __future__ import annotations

from marshmallow import Schema as PlainSchema
from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.promotions.models import SCOPES, TYPES
from mallkit.plugins.promotions.service import summary

IDS = fields.List(fields.Integer(validate=validate.Range(min=1)), validate=validate.Length(max=500))


class PromotionsConfig(PlainSchema):
    """Per-merchant settings of the promotions plugin."""

    stack_with_coupons = fields.Boolean(
        load_default=True,
        metadata={
            "description": "满减/满折 combine with a coupon (off: the promotion wins)",
            "description_zh": "满减/满折可与优惠券叠加使用（关闭时只享受促销优惠）",
        },
    )


class PromotionIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    priority = fields.Integer(load_default=0, validate=validate.Range(min=-1000, max=1000))
    scope = fields.String(load_default="all", validate=validate.OneOf(SCOPES))
    scope_ids = IDS
    rules = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={
            "description": "Shape per type: see docs/plugins/promotions.md",
            "description_zh": "各类型的规则格式见 docs/plugins/promotions.md",
        },
    )
    stock = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))
    per_user = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000))
    segment_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Only buyers in this segment (membership); null: everyone",
            "description_zh": "仅限该人群的买家参与（会员插件）；null 表示所有人",
        },
    )


class PromotionPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    status = fields.String(validate=validate.OneOf(("active", "stopped")))
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    priority = fields.Integer(validate=validate.Range(min=-1000, max=1000))
    scope = fields.String(validate=validate.OneOf(SCOPES))
    scope_ids = IDS
    rules = fields.Dict(keys=fields.String())
    stock = fields.Integer(validate=validate.Range(min=0, max=10_000_000))
    per_user = fields.Integer(validate=validate.Range(min=0, max=10_000))
    segment_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Only buyers in this segment (membership); null: everyone",
            "description_zh": "仅限该人群的买家参与（会员插件）；null 表示所有人",
        },
    )


class PromotionOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    name = fields.String()
    type = fields.String()
    status = fields.String()
    priority = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    scope = fields.String()
    scope_ids = fields.List(fields.Integer())
    rules = fields.Dict()
    stock = fields.Integer()
    sold = fields.Integer()
    per_user = fields.Integer()
    segment_id = fields.Integer(allow_none=True)
    summary = fields.Function(summary)


class PromotionQuery(Schema):
    status = fields.String(validate=validate.OneOf(("active", "stopped")))
    type = fields.String(validate=validate.OneOf(TYPES))
