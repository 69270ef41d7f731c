"""Request and response schemas of the FAQ API."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema

POSITION = fields.Integer(
    load_default=0,
    strict=True,
    validate=validate.Range(min=0, max=9999),
    metadata={"label": "Position", "label_zh": "排序"},
)


class FaqCategoryIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    position = POSITION


class FaqCategoryOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer(
        allow_none=True,
        metadata={"description": "null: the platform's", "description_zh": "null 表示属于平台"},
    )
    name = fields.String()
    position = fields.Integer()


class FaqEntryIn(Schema):
    question = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"label": "Question", "label_zh": "问题"},
    )
    answer = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"label": "Answer", "label_zh": "答案"},
    )
    category_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"label": "Category id", "label_zh": "分类 ID"},
    )
    position = POSITION
    published = fields.Boolean(
        load_default=True, metadata={"label": "Published", "label_zh": "发布"}
    )


class FaqEntryPatch(Schema):
    question = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"label": "Question", "label_zh": "问题"}
    )
    answer = fields.String(
        validate=validate.Length(min=1, max=5000), metadata={"label": "Answer", "label_zh": "答案"}
    )
    category_id = fields.Integer(
        allow_none=True, strict=True, metadata={"label": "Category id", "label_zh": "分类 ID"}
    )
    position = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=9999),
        metadata={"label": "Position", "label_zh": "排序"},
    )
    published = fields.Boolean(metadata={"label": "Published", "label_zh": "发布"})


class FaqEntryOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer(
        allow_none=True,
        metadata={"description": "null: the platform's", "description_zh": "null 表示属于平台"},
    )
    category_id = fields.Integer(allow_none=True)
    question = fields.String()
    answer = fields.String()
    position = fields.Integer()
    published = fields.Boolean()
    updated_at = fields.DateTime()


class FaqEntryArgs(Schema):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"label": "Search", "label_zh": "关键词"},
    )
    category_id = fields.Integer(
        load_default=None, metadata={"label": "Category id", "label_zh": "分类 ID"}
    )
    include_platform = fields.Boolean(
        load_default=False, metadata={"label": "Include the platform's", "label_zh": "包含平台问答"}
    )


class ProductCareIn(Schema):
    warranty_months = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=120)
    )
    warranty = fields.String(load_default="", validate=validate.Length(max=2000))
    repair = fields.String(load_default="", validate=validate.Length(max=2000))


class ProductCareOut(Schema):
    product_id = fields.Integer()
    warranty_months = fields.Integer()
    warranty = fields.String()
    repair = fields.String()
    updated_at = fields.DateTime()
