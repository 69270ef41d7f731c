"""Request and response schemas of the ads API."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.ads.models import LINK_TYPES, PLACEMENTS

IMAGE = validate.Regexp(r"^(https?://|/)\S{1,490}$", error="An http(s) URL or a /media path.")


class CreativeIn(Schema):
    placement = fields.String(required=True, validate=validate.OneOf(list(PLACEMENTS)))
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    image_url = fields.String(required=True, validate=IMAGE)
    link_type = fields.String(required=True, validate=validate.OneOf(LINK_TYPES))
    link_target = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={
            "description": "A product or category id of the store, or an http(s) URL",
            "description_zh": "本店的商品 ID 或分类 ID，或 http(s) 链接",
        },
    )
    starts_at = UtcDateTime(
        metadata={"description": "Default: now", "description_zh": "默认为当前时间"}
    )
    ends_at = UtcDateTime(allow_none=True, load_default=None)
    priority = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=-1000, max=1000)
    )
    enabled = fields.Boolean(load_default=True)
    segments = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "Buyer segments (any); empty: everyone",
            "description_zh": "投放的买家人群（满足任一即可）；留空表示所有人",
        },
    )
    levels = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "Member levels (membership's level names); empty: everyone",
            "description_zh": "投放的会员等级（会员插件中的等级名称）；留空表示所有人",
        },
    )
    regions = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={
            "description": "Provinces (上海市 ...); empty: everywhere",
            "description_zh": "投放的省份（上海市……）；留空表示全部地区",
        },
    )


class CreativePatch(Schema):
    title = fields.String(validate=validate.Length(min=1, max=100))
    image_url = fields.String(validate=IMAGE)
    link_type = fields.String(validate=validate.OneOf(LINK_TYPES))
    link_target = fields.String(validate=validate.Length(min=1, max=500))
    starts_at = UtcDateTime()
    ends_at = UtcDateTime(allow_none=True)
    priority = fields.Integer(strict=True, validate=validate.Range(min=-1000, max=1000))
    enabled = fields.Boolean()
    segments = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1)),
        validate=validate.Length(max=50),
    )
    levels = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=50)
    )
    regions = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)), validate=validate.Length(max=50)
    )


class CreativeOut(Schema):
    id = fields.Integer()
    placement = fields.String()
    title = fields.String()
    image_url = fields.String()
    link_type = fields.String()
    link_target = fields.String()
    starts_at = UtcDateTime()
    ends_at = UtcDateTime(allow_none=True)
    priority = fields.Integer()
    enabled = fields.Boolean()
    segments = fields.List(fields.Integer())
    levels = fields.List(fields.String())
    regions = fields.List(fields.String())
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class ServeArgs(Schema):
    region = fields.String(
        load_default="",
        validate=validate.Length(max=64),
        metadata={
            "description": "The visitor's region (province); default: the buyer's last",
            "description_zh": "访客所在地区（省份）；默认为买家最近一次的地区",
        },
    )


class LinkOut(Schema):
    type = fields.String()
    target = fields.String()
    path = fields.String()


class TrackOut(Schema):
    ad_id = fields.Integer()
    placement = fields.String()


class ServedOut(Schema):
    id = fields.Integer()
    placement = fields.String()
    placement_name = fields.String()
    title = fields.String()
    image_url = fields.String()
    link = fields.Nested(LinkOut)
    track = fields.Nested(
        TrackOut,
        metadata={
            "description": "Send with ad_impression / ad_click",
            "description_zh": "上报 ad_impression / ad_click 事件时一并发送",
        },
    )
