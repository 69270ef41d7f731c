"""Request and response schemas of the after-sale API, and the plugin's settings."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema as PlainSchema
from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.aftersales.models import REASONS, STATUSES, TYPES, TYPES_EN, TYPES_ZH

TEXT = validate.Length(max=1000)
PHOTOS = fields.List(
    fields.String(validate=validate.Length(max=500)),
    load_default=list,
    validate=validate.Length(max=9),
)


class ReturnAddress(PlainSchema):
    recipient = fields.String(required=True, validate=validate.Length(min=1, max=64))
    phone = fields.String(required=True, validate=validate.Length(min=5, max=32))
    province = fields.String(required=True, validate=validate.Length(min=1, max=32))
    city = fields.String(required=True, validate=validate.Length(min=1, max=32))
    district = fields.String(load_default="", validate=validate.Length(max=32))
    detail = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AftersalesConfig(PlainSchema):
    """Per-merchant settings of the aftersales plugin."""

    window_days = fields.Integer(
        load_default=15,
        validate=validate.Range(min=0, max=365),
        metadata={
            "label": "Application window (days)",
            "label_zh": "售后申请期限（天）",
            "description": "Days after completion a buyer may still apply",
            "description_zh": "订单完成后买家可申请售后的天数",
        },
    )
    approve_within_hours = fields.Integer(
        load_default=48,
        validate=validate.Range(min=0, max=30 * 24),
        metadata={
            "label": "Auto-approve after (hours)",
            "label_zh": "超时自动同意（小时）",
            "description": "Approve automatically when staff do not act (0: never)",
            "description_zh": "商家超过此小时数未处理则自动同意（0 表示不自动同意）",
        },
    )
    ship_back_days = fields.Integer(
        load_default=7,
        validate=validate.Range(min=1, max=60),
        metadata={
            "label": "Ship-back deadline (days)",
            "label_zh": "买家寄回期限（天）",
            "description": "Close an approved return the buyer does not ship back",
            "description_zh": "退货申请同意后，买家超过此天数未寄回则关闭售后单",
        },
    )
    refund_on_receipt = fields.Boolean(
        load_default=True,
        metadata={
            "label": "Refund on receipt",
            "label_zh": "收到退货自动退款",
            "description": "Refund a return as soon as it is received",
            "description_zh": "确认收到退货后立即退款",
        },
    )
    restock_returns = fields.Boolean(
        load_default=True,
        metadata={
            "label": "Restock returns",
            "label_zh": "退货商品重新入库",
            "description": "Returned goods go back into stock",
            "description_zh": "退回的商品重新入库",
        },
    )
    reasons = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=lambda: list(REASONS),
        validate=validate.Length(min=1, max=30),
        metadata={"label": "Reasons buyers pick", "label_zh": "售后原因选项"},
    )
    return_address = fields.Nested(
        ReturnAddress,
        load_default=None,
        allow_none=True,
        metadata={"label": "Return address", "label_zh": "退货地址"},
    )


class CaseIn(Schema):
    order_id = fields.Integer(required=True, validate=validate.Range(min=1))
    order_line_id = fields.Integer(required=True, validate=validate.Range(min=1))
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    amount = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=100_000_000),
        metadata={
            "description": "Refund asked for (minor units); default the line's share",
            "description_zh": "申请退款金额（分）；默认为该商品行的实付金额",
        },
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=64))
    description = fields.String(load_default="", validate=TEXT)
    evidence = PHOTOS


class CaseFilterIn(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(
        validate=validate.OneOf(TYPES),
        metadata={
            "choices": TYPES_EN,
            "choices_zh": TYPES_ZH,
            "label": "Type",
            "label_zh": "售后类型",
        },
    )
    order_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"label": "Order id", "label_zh": "订单 ID"}
    )
    buyer_id = fields.Integer(validate=validate.Range(min=1))
    reason = fields.String(validate=validate.Length(max=64))


class ParcelIn(Schema):
    carrier = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"label": "Carrier", "label_zh": "快递公司"},
    )
    tracking_number = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9-]{4,64}$"),
        metadata={"label": "Tracking number", "label_zh": "运单号"},
    )


class CaseReasonIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=255))


class DecisionNoteIn(Schema):
    text = fields.String(
        load_default="",
        validate=validate.Length(max=255),
        metadata={"label": "Note", "label_zh": "处理说明"},
    )


class CaseMessageIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    images = PHOTOS


class AftersaleStatsIn(Schema):
    since = UtcDateTime()
    until = UtcDateTime()


class EvidenceUploadIn(Schema):
    file = Upload(required=True)


class EvidenceUploadOut(Schema):
    url = fields.String()
    kind = fields.String()
    size = fields.Integer()


class CaseMessageOut(Schema):
    id = fields.Integer()
    author_type = fields.String()
    author_id = fields.Integer(allow_none=True)
    text = fields.String()
    images = fields.List(fields.String())
    event = fields.String()
    created_at = fields.DateTime()


class CaseRefundOut(Schema):
    number = fields.String()
    status = fields.String()
    amount = fields.Integer()


class CaseLineOut(Schema):
    product_name = fields.String()
    sku_name = fields.String()
    image_url = fields.String()
    quantity = fields.Integer()
    pay_amount = fields.Integer()
    refunded_amount = fields.Integer()


class CaseOut(Schema):
    id = fields.Integer()
    number = fields.String()
    merchant_id = fields.Integer()
    order_id = fields.Integer()
    order_line_id = fields.Integer()
    buyer_id = fields.Integer()
    type = fields.String()
    status = fields.String()
    quantity = fields.Integer()
    amount = fields.Integer()
    currency = fields.String()
    reason = fields.String()
    description = fields.String()
    evidence = fields.List(fields.String())
    decision_note = fields.String()
    decided_by = fields.String()
    return_address = fields.Dict(allow_none=True)
    return_carrier = fields.String()
    return_tracking = fields.String()
    reship_carrier = fields.String()
    reship_tracking = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    approved_at = fields.DateTime(allow_none=True)
    shipped_back_at = fields.DateTime(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class CaseDetailOut(CaseOut):
    line = fields.Nested(CaseLineOut)
    refund = fields.Nested(CaseRefundOut, allow_none=True)
    messages = fields.List(fields.Nested(CaseMessageOut))


class AftersaleReasonsOut(Schema):
    reasons = fields.List(fields.String())
    window_days = fields.Integer()
    return_address = fields.Dict(allow_none=True)


class AftersaleStatsOut(Schema):
    since = fields.DateTime()
    until = fields.DateTime()
    cases = fields.Integer()
    paid_orders = fields.Integer()
    rate = fields.Float(
        metadata={
            "description": "Cases per paid order of the period",
            "description_zh": "期间内售后单数与已付款订单数之比",
        }
    )
    refunded_amount = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
