"""Request and response schemas of the complaints API, and the plugin's settings."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema as PlainSchema
from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.complaints.models import DECISIONS, STATUSES, TYPES


def photos(**metadata) -> fields.List:
    """Up to nine photo URLs; ``metadata``: the field's label (docs/console.md)."""
    return fields.List(
        fields.String(validate=validate.Length(max=500)),
        load_default=list,
        validate=validate.Length(max=9),
        metadata=metadata,
    )


PHOTOS = photos()


class ComplaintsConfig(PlainSchema):
    """Per-merchant settings of the complaints plugin."""

    window_days = fields.Integer(
        load_default=15,
        validate=validate.Range(min=0, max=365),
        metadata={
            "label": "Complaint window (days)",
            "label_zh": "投诉期限（天）",
            "description": "Days after completion a buyer may still complain",
            "description_zh": "订单完成后买家可投诉的天数",
        },
    )
    appeal_hours = fields.Integer(
        load_default=72,
        validate=validate.Range(min=1, max=30 * 24),
        metadata={
            "label": "Appeal deadline (hours)",
            "label_zh": "商家申诉时限（小时）",
            "description": "Hours the merchant has to answer a forwarded complaint",
            "description_zh": "商家答复平台转交投诉的时限（小时）",
        },
    )
    arbitration_sla_hours = fields.Integer(
        load_default=72,
        validate=validate.Range(min=1, max=30 * 24),
        metadata={
            "label": "Platform target (hours)",
            "label_zh": "平台处理时限（小时）",
            "description": "Hours the platform aims to take to forward or decide",
            "description_zh": "平台转交或裁决投诉的目标时限（小时）",
        },
    )


class ComplaintIn(Schema):
    order_id = fields.Integer(required=True, validate=validate.Range(min=1))
    order_line_id = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=1)
    )
    type = fields.String(required=True, validate=validate.OneOf(TYPES))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    evidence = PHOTOS


class AppealIn(Schema):
    text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"label": "Appeal", "label_zh": "申诉说明"},
    )
    evidence = photos(label="Evidence photos", label_zh="凭证图片")


class ComplaintMessageIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    images = PHOTOS


class DecisionIn(Schema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf(DECISIONS),
        metadata={"label": "Decision", "label_zh": "裁决结果"},
    )
    order_line_id = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={"label": "Order line id", "label_zh": "订单商品行 ID"},
    )
    amount = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=100_000_000),
        metadata={
            "label": "Refund amount",
            "label_zh": "退款金额",
            "description": "refund_partial: the amount (minor units)",
            "description_zh": "部分退款（refund_partial）的金额（分）",
        },
    )
    note = fields.String(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"label": "Note", "label_zh": "裁决说明"},
    )


class ComplaintFilterIn(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    type = fields.String(
        validate=validate.OneOf(TYPES), metadata={"label": "Type", "label_zh": "投诉类型"}
    )
    merchant_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"label": "Merchant id", "label_zh": "商家 ID"}
    )
    overdue = fields.Boolean(metadata={"label": "Overdue only", "label_zh": "仅看已超时"})


class ComplaintStatsIn(Schema):
    since = UtcDateTime()
    until = UtcDateTime()


class ComplaintUploadIn(Schema):
    file = Upload(required=True)


class ComplaintUploadOut(Schema):
    url = fields.String()
    kind = fields.String()
    size = fields.Integer()


class ComplaintMessageOut(Schema):
    id = fields.Integer()
    author_type = fields.String()
    author_id = fields.Integer(allow_none=True)
    text = fields.String()
    images = fields.List(fields.String())
    event = fields.String()
    created_at = fields.DateTime()


class ComplaintOut(Schema):
    id = fields.Integer()
    number = fields.String()
    merchant_id = fields.Integer()
    order_id = fields.Integer()
    order_line_id = fields.Integer(allow_none=True)
    buyer_id = fields.Integer()
    type = fields.String()
    description = fields.String()
    evidence = fields.List(fields.String())
    status = fields.String()
    appeal_due_at = fields.DateTime(allow_none=True)
    arbitration_due_at = fields.DateTime(allow_none=True)
    appeal_text = fields.String()
    appeal_evidence = fields.List(fields.String())
    decision = fields.String()
    decision_amount = fields.Integer()
    decision_line_id = fields.Integer(allow_none=True)
    decision_note = fields.String()
    decided_at = fields.DateTime(allow_none=True)
    execution = fields.String()
    case_id = fields.Integer(allow_none=True)
    due_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "When this step is due", "description_zh": "当前环节的截止时间"},
    )
    overdue = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class ComplaintDetailOut(ComplaintOut):
    messages = fields.List(fields.Nested(ComplaintMessageOut))


class ComplaintStatsOut(Schema):
    since = fields.DateTime()
    until = fields.DateTime()
    complaints = fields.Integer()
    paid_orders = fields.Integer()
    rate = fields.Float(
        metadata={
            "description": "Complaints per paid order of the period",
            "description_zh": "期间内投诉数与已付款订单数之比",
        }
    )
    by_type = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_decision = fields.Dict(keys=fields.String(), values=fields.Integer())
    warnings = fields.Integer()
