"""Request and response schemas of the coupon endpoints."""

from __future__ import annotations

from marshmallow import Schema as PlainSchema
from marshmallow import ValidationError, fields, validate, validates_schema

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.coupons.models import (
    SCOPES,
    SCOPES_EN,
    SCOPES_ZH,
    TYPES,
    VALIDITY_EN,
    VALIDITY_ZH,
)

MONEY = validate.Range(min=0, max=100_000_000)
SCOPE_IDS = fields.List(
    fields.Integer(validate=validate.Range(min=1)),
    validate=validate.Length(max=500),
    metadata={"label": "Products or categories (ids)", "label_zh": "适用商品或分类（ID）"},
)


class CouponsConfig(PlainSchema):
    """Per-merchant settings of the coupons plugin."""

    one_per_order = fields.Boolean(
        load_default=True,
        metadata={
            "label": "One coupon per order",
            "label_zh": "每单限用一张",
            "description": "At most one coupon per order",
            "description_zh": "每单最多用一张券",
        },
    )
    return_on_full_refund = fields.Boolean(
        load_default=False,
        metadata={
            "label": "Return on a full refund",
            "label_zh": "全额退款退还优惠券",
            "description": "Give the coupon back when a paid order is fully refunded",
            "description_zh": "已付款订单全额退款时退回优惠券",
        },
    )
    return_on_aftersale = fields.Boolean(
        load_default=False,
        metadata={
            "label": "Return on after-sale refunds",
            "label_zh": "售后退款退还优惠券",
            "description": "Give the coupon back when after-sale cases refund every line it "
            "discounted (the aftersales plugin)",
            "description_zh": "售后退款覆盖该券优惠的每一行商品时退回优惠券（售后插件）",
        },
    )


class TemplateIn(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"label": "Coupon name", "label_zh": "优惠券名称"},
    )
    type = fields.String(
        required=True,
        validate=validate.OneOf(TYPES),
        metadata={"label": "Coupon type", "label_zh": "优惠券类型"},
    )
    threshold = fields.Integer(
        load_default=0,
        validate=MONEY,
        metadata={"label": "Minimum spend", "label_zh": "使用门槛（满）"},
    )
    amount = fields.Integer(
        load_default=0, validate=MONEY, metadata={"label": "Amount off", "label_zh": "优惠金额"}
    )
    rate = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=100),
        metadata={
            "label": "Rate paid (%)",
            "label_zh": "折扣（实付 %）",
            "description": "Percentage of the price paid (85 = 15% off), discount coupons",
            "description_zh": "折扣券的实付比例（85 即 8.5 折）",
        },
    )
    cap = fields.Integer(
        load_default=0,
        validate=MONEY,
        metadata={"label": "Most off (0: no cap)", "label_zh": "最高优惠（0 不限）"},
    )
    scope = fields.String(
        load_default="all",
        validate=validate.OneOf(SCOPES),
        metadata={
            "choices": SCOPES_EN,
            "choices_zh": SCOPES_ZH,
            "label": "Applies to",
            "label_zh": "适用范围",
        },
    )
    scope_ids = SCOPE_IDS
    validity = fields.String(
        load_default="fixed",
        validate=validate.OneOf(("fixed", "relative")),
        metadata={
            "choices": VALIDITY_EN,
            "choices_zh": VALIDITY_ZH,
            "label": "Validity",
            "label_zh": "有效期类型",
        },
    )
    starts_at = UtcDateTime(load_default=None, allow_none=True)
    ends_at = UtcDateTime(load_default=None, allow_none=True)
    valid_days = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=3650),
        metadata={"label": "Valid days after claiming", "label_zh": "领取后有效天数"},
    )
    total = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=10_000_000),
        metadata={"label": "Total", "label_zh": "发放总量"},
    )
    per_user = fields.Integer(
        load_default=1,
        validate=validate.Range(min=0, max=1000),
        metadata={"label": "Per buyer", "label_zh": "每人限领"},
    )
    per_day = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=1000),
        metadata={"label": "Per buyer per day", "label_zh": "每人每日限领"},
    )
    claimable = fields.Boolean(
        load_default=True,
        metadata={"label": "In the coupon centre", "label_zh": "可在领券中心领取"},
    )
    new_user_gift = fields.Boolean(
        load_default=False, metadata={"label": "New-user gift", "label_zh": "新人礼包"}
    )


class TemplatePatch(Schema):
    name = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"label": "Coupon name", "label_zh": "优惠券名称"},
    )
    status = fields.String(validate=validate.OneOf(("active", "stopped")))
    claimable = fields.Boolean(
        metadata={"label": "In the coupon centre", "label_zh": "可在领券中心领取"}
    )
    new_user_gift = fields.Boolean(metadata={"label": "New-user gift", "label_zh": "新人礼包"})
    total = fields.Integer(
        validate=validate.Range(min=1, max=10_000_000),
        metadata={"label": "Total", "label_zh": "发放总量"},
    )


class TemplateOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    name = fields.String()
    type = fields.String()
    threshold = fields.Integer()
    amount = fields.Integer()
    rate = fields.Integer()
    cap = fields.Integer()
    scope = fields.String()
    scope_ids = fields.List(fields.Integer())
    validity = fields.String()
    starts_at = fields.DateTime(allow_none=True)
    ends_at = fields.DateTime(allow_none=True)
    valid_days = fields.Integer()
    total = fields.Integer()
    issued = fields.Integer()
    per_user = fields.Integer()
    per_day = fields.Integer()
    claimable = fields.Boolean()
    new_user_gift = fields.Boolean()
    status = fields.String()


class CentreQuery(Schema):
    product_id = fields.Integer(validate=validate.Range(min=1))


class CouponOut(Schema):
    id = fields.Integer()
    template_id = fields.Integer()
    merchant_id = fields.Integer()
    channel = fields.String()
    rules = fields.Dict()
    status = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    claimed_at = fields.DateTime()
    order_id = fields.Integer(allow_none=True)
    used_at = fields.DateTime(allow_none=True)


class MyCouponsQuery(Schema):
    status = fields.String(validate=validate.OneOf(("unused", "used", "expired")))
    merchant_id = fields.Integer(validate=validate.Range(min=1))


class RedeemIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\s*[A-Za-z0-9]{6,32}\s*$"))


class IssueIn(Schema):
    user_ids = fields.List(
        fields.Integer(validate=validate.Range(min=1)),
        validate=validate.Length(min=1, max=500),
        metadata={"label": "Buyer ids", "label_zh": "买家 ID（列表）"},
    )
    segment_id = fields.Integer(
        metadata={
            "label": "Segment id",
            "label_zh": "人群 ID",
            "description": "Issue to every buyer of a segment (membership) instead",
            "description_zh": "改为发给某个人群的全部买家（会员插件）",
        }
    )

    @validates_schema
    def _one_target(self, data, **kwargs):
        if ("user_ids" in data) == ("segment_id" in data):
            raise ValidationError("Give user_ids or segment_id.", field_name="user_ids")


class CodesIn(Schema):
    count = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"label": "Number of codes", "label_zh": "生成数量"},
    )


class CodesOut(Schema):
    codes = fields.List(fields.String())


class CouponStatsOut(Schema):
    template_id = fields.Integer()
    issued = fields.Integer()
    claimed = fields.Integer()
    used = fields.Integer()
    orders = fields.Integer()
    sales = fields.Integer()
