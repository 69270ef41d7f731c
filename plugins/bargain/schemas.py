"""Request and response schemas of the bargain API."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime


class BargainActivityIn(Schema):
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"label": "Activity name", "label_zh": "活动名称"},
    )
    sku_id = fields.Integer(
        required=True,
        validate=validate.Range(min=1),
        metadata={"label": "SKU id", "label_zh": "砍价商品 SKU ID"},
    )
    start_price = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=2),
        metadata={"label": "Starting price", "label_zh": "起砍价"},
    )
    floor_price = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0),
        metadata={"label": "Floor price", "label_zh": "底价"},
    )
    helpers_needed = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=1000),
        metadata={"label": "Helpers to reach the floor", "label_zh": "砍到底价所需人数"},
    )
    helps_per_user = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=100),
        metadata={"label": "Helps per person", "label_zh": "每人助力次数"},
    )
    helps_per_day = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=1000),
        metadata={"label": "Helps per person per day", "label_zh": "每人每日助力次数"},
    )
    bargains_per_user = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=100),
        metadata={"label": "Bargains per buyer", "label_zh": "每人可发起次数"},
    )
    validity_minutes = fields.Integer(
        load_default=24 * 60,
        validate=validate.Range(min=1, max=30 * 24 * 60),
        metadata={"label": "Bargain lasts (minutes)", "label_zh": "砍价有效期（分钟）"},
    )
    initiator_may_cut = fields.Boolean(
        load_default=False, metadata={"label": "Initiator may cut", "label_zh": "发起人可自砍"}
    )
    floor_only = fields.Boolean(
        load_default=True,
        metadata={"label": "Buy at the floor price only", "label_zh": "砍到底价才能购买"},
    )
    allow_discounts = fields.Boolean(
        load_default=False,
        metadata={"label": "Allow other discounts", "label_zh": "可叠加其他优惠"},
    )
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)


class BargainActivityOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    title = fields.String()
    product_id = fields.Integer()
    sku_id = fields.Integer()
    start_price = fields.Integer()
    floor_price = fields.Integer()
    helpers_needed = fields.Integer()
    helps_per_user = fields.Integer()
    helps_per_day = fields.Integer()
    bargains_per_user = fields.Integer()
    validity_minutes = fields.Integer()
    initiator_may_cut = fields.Boolean()
    floor_only = fields.Boolean()
    allow_discounts = fields.Boolean()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    status = fields.String()


class HelpIn(Schema):
    share = fields.String(load_default=None, validate=validate.Length(min=1, max=32))


class HelpOut(Schema):
    seq = fields.Integer()
    helper = fields.String(
        metadata={"description": "Masked display name", "description_zh": "脱敏后的昵称"}
    )
    amount = fields.Integer()
    price_after = fields.Integer()
    created_at = fields.DateTime()


class BargainOut(Schema):
    id = fields.Integer()
    activity_id = fields.Integer()
    sku_id = fields.Integer()
    start_price = fields.Integer()
    floor_price = fields.Integer()
    current_price = fields.Integer()
    helpers_needed = fields.Integer()
    helps = fields.Integer()
    status = fields.String()
    expires_at = fields.DateTime()
    seconds_left = fields.Integer()
    initiator = fields.String(
        metadata={"description": "Masked display name", "description_zh": "脱敏后的昵称"}
    )
    helpers = fields.List(fields.Nested(HelpOut))


class BargainShareOut(Schema):
    code = fields.String()
    url = fields.String()
    bargain_id = fields.Integer()
    inviter_id = fields.Integer()


class BargainShareDetailOut(BargainShareOut):
    bargain = fields.Nested(BargainOut)
