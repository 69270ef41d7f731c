"""Request and response schemas of the invoices API."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema

KINDS = validate.OneOf(["personal", "company"])
MEDIA = validate.OneOf(["electronic", "paper"])


class TitleIn(Schema):
    kind = fields.String(required=True, validate=KINDS)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    tax_number = fields.String(load_default="", validate=validate.Length(max=20))
    email = fields.Email(load_default=None, allow_none=True)


class TitleOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    tax_number = fields.String()
    email = fields.String()
    created_at = fields.DateTime()


class CheckoutInvoiceIn(Schema):
    """``merchants[].plugins.invoices`` at checkout: a saved title or one given inline."""

    title_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    title = fields.Nested(TitleIn, load_default=None)
    email = fields.Email(load_default=None, allow_none=True)
    medium = fields.String(load_default="electronic", validate=MEDIA)


class InvoiceRequestIn(CheckoutInvoiceIn):
    order_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class IssueFormIn(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    carrier = fields.String(load_default="", validate=validate.Length(max=64))
    tracking_number = fields.String(load_default="", validate=validate.Length(max=64))


class IssueUploadIn(Schema):
    """The multipart body of issue and reversal: the PDF in ``file``, the other fields as
    form fields (read with :class:`IssueFormIn`; listed here for the API document)."""

    file = Upload(
        load_default=None,
        metadata={
            "label": "Invoice PDF",
            "label_zh": "发票文件（PDF）",
            "description": "The PDF (e-invoice)",
            "description_zh": "发票 PDF 文件（电子发票）",
        },
    )
    number = fields.String(
        load_default=None,
        metadata={
            "label": "Invoice number",
            "label_zh": "发票号码",
            "description": "Invoice number",
            "description_zh": "发票号码",
        },
    )
    carrier = fields.String(
        load_default=None,
        metadata={
            "label": "Carrier",
            "label_zh": "快递公司",
            "description": "Paper invoice",
            "description_zh": "纸质发票时填写",
        },
    )
    tracking_number = fields.String(
        load_default=None,
        metadata={
            "label": "Tracking number",
            "label_zh": "运单号",
            "description": "Paper invoice",
            "description_zh": "纸质发票时填写",
        },
    )


class InvoiceListArgs(Schema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["requested", "issued", "reversal_required", "reversed", "cancelled"]
        ),
        # the others are the console's shared status texts (待开票, 已开票, 已红冲, 已取消)
        metadata={
            "choices": {"reversal_required": "Reversal due"},
            "choices_zh": {"reversal_required": "待红冲"},
        },
    )
    overdue = fields.Boolean(
        load_default=False, metadata={"label": "Overdue only", "label_zh": "仅看已超时"}
    )


class PdfArgs(Schema):
    kind = fields.String(load_default="issue", validate=validate.OneOf(["issue", "reversal"]))
    round = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "Default: the current", "description_zh": "默认：当前这一轮"},
    )


class InvoiceOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    order_id = fields.Integer()
    title_kind = fields.String()
    title_name = fields.String()
    tax_number = fields.String()
    email = fields.String()
    medium = fields.String()
    status = fields.String()
    provider = fields.String()
    number = fields.String()
    amount = fields.Integer(
        allow_none=True, metadata={"description": "Minor units", "description_zh": "单位：分"}
    )
    carrier = fields.String()
    tracking_number = fields.String()
    reversal_number = fields.String()
    reversal_reason = fields.String()
    requested_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    issued_at = fields.DateTime(allow_none=True)
    reversed_at = fields.DateTime(allow_none=True)
    round = fields.Integer(
        metadata={
            "description": "1, then one more per issue after a reversal",
            "description_zh": "首次为 1，每次红冲后重开加 1",
        }
    )
    history = fields.List(
        fields.Dict(),
        metadata={"description": "Earlier rounds", "description_zh": "此前各轮的记录"},
    )


class InvoiceStatsOut(Schema):
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    overdue = fields.Integer()
