"""Request and response schemas of the feedback API."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema
from mallkit.plugins.feedback.models import (
    CATEGORIES,
    CATEGORIES_EN,
    CATEGORIES_ZH,
    STATUSES_EN,
    STATUSES_ZH,
)

CATEGORY_NAMES = {"choices": CATEGORIES_EN, "choices_zh": CATEGORIES_ZH}


class FeedbackIn(Schema):
    category = fields.String(
        required=True, validate=validate.OneOf(CATEGORIES), metadata=CATEGORY_NAMES
    )
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    photos = fields.List(
        fields.String(validate=validate.Length(min=1, max=500)),
        load_default=list,
        validate=validate.Length(max=9),
    )
    contact = fields.String(load_default="", validate=validate.Length(max=100))


class FeedbackAnswerIn(Schema):
    text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"label": "Answer", "label_zh": "答复内容"},
    )


TAG = validate.And(
    validate.Length(min=1, max=20),
    validate.Regexp(r'^[^%_"\\]+$', error="No %, _, quotes or backslashes."),
)


class FeedbackTagsIn(Schema):
    tags = fields.List(
        fields.String(validate=TAG),
        required=True,
        validate=validate.Length(max=10),
    )


class FeedbackArgs(Schema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(["new", "answered", "closed"]),
        metadata={"choices": STATUSES_EN, "choices_zh": STATUSES_ZH},
    )
    category = fields.String(
        load_default=None,
        validate=validate.OneOf(CATEGORIES),
        metadata={**CATEGORY_NAMES, "label": "Category", "label_zh": "反馈类别"},
    )
    tag = fields.String(
        load_default=None, validate=TAG, metadata={"label": "Tag", "label_zh": "标签"}
    )


class FeedbackPhotoIn(Schema):
    file = Upload(required=True)


class FeedbackPhotoOut(Schema):
    url = fields.String()
    kind = fields.String()
    size = fields.Integer()


class FeedbackOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer(
        allow_none=True,
        metadata={"description": "null: the platform", "description_zh": "null 表示反馈给平台"},
    )
    category = fields.String()
    text = fields.String()
    photos = fields.List(fields.String())
    contact = fields.String()
    status = fields.String()
    answer = fields.String()
    answered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class StaffFeedbackOut(FeedbackOut):
    user_id = fields.Integer()
    tags = fields.List(fields.String())


class FeedbackStatsOut(Schema):
    by_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    total = fields.Integer()
