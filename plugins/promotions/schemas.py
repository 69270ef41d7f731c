"""Request and response schemas of the promotion endpoints."""

from __future__ import annotations

from marshmallow import Schema as PlainSchema
from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.promotions.models import (
    SCOPES,
    SCOPES_EN,
    SCOPES_ZH,
    TYPES,
    TYPES_EN,
    TYPES_ZH,
)
from mallkit.plugins.promotions.service import summary

SCOPE_IDS = fields.List(
    fields.Integer(validate=validate.Range(min=1)),
    validate=validate.Length(max=500),
    metadata={
        "label": "Products, SKUs or categories (ids)",
        "label_zh": "适用商品、SKU 或分类（ID）",
    },
)


class PromotionsConfig(PlainSchema):
    """Per-merchant settings of the promotions plugin."""

    stack_with_coupons = fields.Boolean(
        load_default=True,
        metadata={
            "label": "Combine with coupons",
            "label_zh": "可与优惠券叠加",
            "description": "满减/满折 combine with a coupon (off: the promotion wins)",
            "description_zh": "满减/满折可与优惠券叠加使用（关闭时只享受促销优惠）",
        },
    )


TYPE_NAMES = {"choices": TYPES_EN, "choices_zh": TYPES_ZH}
SCOPE_NAMES = {"choices": SCOPES_EN, "choices_zh": SCOPES_ZH}


class PromotionIn(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"label": "Promotion name", "label_zh": "活动名称"},
    )
    type = fields.String(
        required=True,
        validate=validate.OneOf(TYPES),
        metadata={**TYPE_NAMES, "label": "Type", "label_zh": "活动类型"},
    )
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    priority = fields.Integer(
        load_default=0,
        validate=validate.Range(min=-1000, max=1000),
        metadata={"label": "Priority", "label_zh": "优先级"},
    )
    scope = fields.String(
        load_default="all",
        validate=validate.OneOf(SCOPES),
        metadata={**SCOPE_NAMES, "label": "Applies to", "label_zh": "适用范围"},
    )
    scope_ids = SCOPE_IDS
    rules = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={
            "label": "Rules",
            "label_zh": "活动规则",
            "description": "Shape per type: see docs/plugins/promotions.md",
            "description_zh": "各类型的规则格式见 docs/plugins/promotions.md",
        },
    )
    stock = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=10_000_000),
        metadata={"label": "Stock (0: no cap)", "label_zh": "活动库存（0 不限）"},
    )
    per_user = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=10_000),
        metadata={"label": "Per buyer (0: no cap)", "label_zh": "每人限购（0 不限）"},
    )
    segment_id = fields.Integer(
        allow_none=True,
        metadata={
            "label": "Segment id",
            "label_zh": "参与人群 ID",
            "description": "Only buyers in this segment (membership); null: everyone",
            "description_zh": "仅限该人群的买家参与（会员插件）；null 表示所有人",
        },
    )


class PromotionPatch(Schema):
    name = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"label": "Promotion name", "label_zh": "活动名称"},
    )
    status = fields.String(validate=validate.OneOf(("active", "stopped")))
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()
    priority = fields.Integer(
        validate=validate.Range(min=-1000, max=1000),
        metadata={"label": "Priority", "label_zh": "优先级"},
    )
    scope = fields.String(
        validate=validate.OneOf(SCOPES),
        metadata={**SCOPE_NAMES, "label": "Applies to", "label_zh": "适用范围"},
    )
    scope_ids = SCOPE_IDS
    rules = fields.Dict(keys=fields.String(), metadata={"label": "Rules", "label_zh": "活动规则"})
    stock = fields.Integer(
        validate=validate.Range(min=0, max=10_000_000),
        metadata={"label": "Stock (0: no cap)", "label_zh": "活动库存（0 不限）"},
    )
    per_user = fields.Integer(
        validate=validate.Range(min=0, max=10_000),
        metadata={"label": "Per buyer (0: no cap)", "label_zh": "每人限购（0 不限）"},
    )
    segment_id = fields.Integer(
        allow_none=True,
        metadata={
            "label": "Segment id",
            "label_zh": "参与人群 ID",
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
    type = fields.String(
        validate=validate.OneOf(TYPES),
        metadata={**TYPE_NAMES, "label": "Type", "label_zh": "活动类型"},
    )
