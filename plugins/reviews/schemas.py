"""Request and response schemas of the reviews API."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema

RATING = validate.Range(min=1, max=5)
PHOTOS = fields.List(
    fields.String(validate=validate.Length(min=1, max=500)),
    load_default=list,
    validate=validate.Length(max=9),
    metadata={
        "description": "URLs returned by the photo upload (at most 9)",
        "description_zh": "上传图片后返回的地址（最多 9 张）",
    },
)


class ReviewIn(Schema):
    order_line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    rating = fields.Integer(
        required=True,
        strict=True,
        validate=RATING,
        metadata={"description": "Description ★", "description_zh": "描述相符评分（星）"},
    )
    service_rating = fields.Integer(required=True, strict=True, validate=RATING)
    logistics_rating = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=RATING,
        metadata={
            "description": "Required when the order was shipped, refused otherwise",
            "description_zh": "订单已发货时必填，否则不可填写",
        },
    )
    text = fields.String(load_default="", validate=validate.Length(max=2000))
    photos = PHOTOS
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=20)),
        load_default=list,
        validate=validate.Length(max=10),
    )
    anonymous = fields.Boolean(load_default=False)


class ReviewFollowUpIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    photos = PHOTOS


class ReviewReplyIn(Schema):
    text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"label": "Reply", "label_zh": "回复内容"},
    )


class ReviewHideIn(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"label": "Reason", "label_zh": "隐藏原因"},
    )


class ReviewPhotoIn(Schema):
    file = Upload(required=True)


class ReviewPhotoOut(Schema):
    url = fields.String()
    kind = fields.String()
    size = fields.Integer()


class ProductReviewsArgs(Schema):
    with_photos = fields.Boolean(load_default=False)
    rating = fields.Integer(load_default=None, validate=RATING)


class StoreReviewsArgs(Schema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(["visible", "hidden"]),
        metadata={
            "choices": {"visible": "Shown", "hidden": "Hidden"},
            "choices_zh": {"visible": "显示中", "hidden": "已隐藏"},
        },
    )
    product_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"label": "Product id", "label_zh": "商品 ID"},
    )
    rating = fields.Integer(
        load_default=None, validate=RATING, metadata={"label": "Rating", "label_zh": "评分"}
    )
    replied = fields.Boolean(load_default=None, metadata={"label": "Replied", "label_zh": "已回复"})


class AwaitingReviewOut(Schema):
    """A received line the buyer has not reviewed yet."""

    order_id = fields.Integer()
    order_line_id = fields.Integer()
    product_id = fields.Integer()
    product_name = fields.String()
    sku_name = fields.String()
    image_url = fields.String()
    completed_at = fields.DateTime(allow_none=True)
    auto_review_at = fields.DateTime(
        allow_none=True,
        metadata={
            "description": "When the automatic 5★ review is due",
            "description_zh": "自动五星好评的时间",
        },
    )


class ReviewOut(Schema):
    """A review as the storefront shows it (an anonymous buyer's name is hidden)."""

    id = fields.Integer()
    product_id = fields.Integer()
    sku_name = fields.String()
    buyer = fields.String(
        metadata={
            "description": "Masked name, or 匿名用户",
            "description_zh": "脱敏后的昵称，或“匿名用户”",
        }
    )
    rating = fields.Integer()
    service_rating = fields.Integer()
    logistics_rating = fields.Integer(allow_none=True)
    text = fields.String()
    photos = fields.List(fields.String())
    tags = fields.List(fields.String())
    anonymous = fields.Boolean()
    auto = fields.Boolean()
    reply = fields.String()
    replied_at = fields.DateTime(allow_none=True)
    followup_text = fields.String()
    followup_photos = fields.List(fields.String())
    followup_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class OwnReviewOut(ReviewOut):
    """A review as its writer and the store's staff see it."""

    order_id = fields.Integer()
    order_line_id = fields.Integer()
    status = fields.String()
    hidden_reason = fields.String()


class ReviewSummaryOut(Schema):
    count = fields.Integer()
    average = fields.Float(
        allow_none=True,
        metadata={"description": "Stars, one decimal", "description_zh": "星级，保留一位小数"},
    )
    good_rate = fields.Integer(
        allow_none=True,
        metadata={"description": "% of 4★ and 5★", "description_zh": "四星和五星评价的占比（%）"},
    )
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer())
    with_photos = fields.Integer()
    tags = fields.List(fields.Dict())


class ReviewStatsOut(ReviewSummaryOut):
    hidden = fields.Integer()
    unreplied = fields.Integer()
