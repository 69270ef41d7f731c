"""Request and response schemas of the group-buy API."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime


class GroupActivityIn(Schema):
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"label": "Activity name", "label_zh": "活动名称"},
    )
    product_id = fields.Integer(
        required=True,
        validate=validate.Range(min=1),
        metadata={"label": "Product id", "label_zh": "商品 ID"},
    )
    prices = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[0-9]{1,12}$")),
        values=fields.Integer(strict=True, validate=validate.Range(min=1)),
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "label": "Group prices",
            "label_zh": "拼团价",
            "description": "SKU id → group unit price (minor units)",
            "description_zh": "SKU ID → 拼团单价（分）",
        },
    )
    group_size = fields.Integer(
        required=True,
        validate=validate.Range(min=2, max=100),
        metadata={"label": "Group size", "label_zh": "成团人数"},
    )
    time_limit_minutes = fields.Integer(
        load_default=24 * 60,
        validate=validate.Range(min=1, max=30 * 24 * 60),
        metadata={"label": "Time to fill (minutes)", "label_zh": "成团时限（分钟）"},
    )
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    per_user_limit = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=9999),
        metadata={"label": "Per buyer (units)", "label_zh": "每人限购（件）"},
    )
    per_order_limit = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, max=9999),
        metadata={"label": "Per order (units)", "label_zh": "每单限购（件）"},
    )
    simulate_success = fields.Boolean(
        load_default=False, metadata={"label": "Simulated success", "label_zh": "模拟成团"}
    )
    success_threshold = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=100),
        metadata={"label": "Simulate from (%)", "label_zh": "模拟成团比例（%）"},
    )
    stock = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={"label": "Activity stock", "label_zh": "活动库存"},
    )
    allow_discounts = fields.Boolean(
        load_default=False,
        metadata={"label": "Allow other discounts", "label_zh": "可叠加其他优惠"},
    )


class GroupActivityOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    title = fields.String()
    product_id = fields.Integer()
    prices = fields.Dict()
    group_size = fields.Integer()
    time_limit_minutes = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    per_user_limit = fields.Integer()
    per_order_limit = fields.Integer()
    simulate_success = fields.Boolean()
    success_threshold = fields.Integer()
    stock = fields.Integer(allow_none=True)
    allow_discounts = fields.Boolean()
    status = fields.String()


class GroupMemberOut(Schema):
    name = fields.String(
        metadata={"description": "Masked display name", "description_zh": "脱敏后的昵称"}
    )
    is_leader = fields.Boolean()
    status = fields.String()
    joined_at = fields.DateTime()


class GroupOut(Schema):
    id = fields.Integer()
    activity_id = fields.Integer()
    size = fields.Integer()
    joined = fields.Integer()
    paid = fields.Integer()
    seats_left = fields.Integer()
    status = fields.String()
    simulated = fields.Boolean()
    leader = fields.String(
        metadata={"description": "Masked display name", "description_zh": "脱敏后的昵称"}
    )
    opened_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    seconds_left = fields.Integer()


class GroupDetailOut(GroupOut):
    title = fields.String()
    price = fields.Dict(
        metadata={"description": "SKU id → group unit price", "description_zh": "SKU ID → 拼团单价"}
    )
    members = fields.List(fields.Nested(GroupMemberOut))


class GroupShareOut(Schema):
    code = fields.String()
    url = fields.String()
    group_id = fields.Integer()
    inviter_id = fields.Integer()


class GroupShareDetailOut(GroupShareOut):
    group = fields.Nested(GroupDetailOut)
