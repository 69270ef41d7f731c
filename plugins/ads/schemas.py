"""Request and response schemas of the ads API."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.ads.models import (
    LINK_TYPES,
    LINK_TYPES_EN,
    LINK_TYPES_ZH,
    PLACEMENTS,
    PLACEMENTS_EN,
)

IMAGE = validate.Regexp(r"^(https?://|/)\S{1,490}$", error="An http(s) URL or a /media path.")

# Field labels and hints, shared by the create and the change schema (the console shows them
# on the fields, in its language: docs/console.md).
PLACEMENT_HINT = {
    "label": "Placement",
    "label_zh": "广告位",
    "description": "home_banner: home page carousel (5 slots), list_slot: between list rows (2),"
    " product_detail: a product's page (1), search_top: above search results (1)",
    "description_zh": "home_banner 首页轮播（5 个位置），list_slot 列表页广告位（2 个），"
    "product_detail 商品详情页广告位（1 个），search_top 搜索结果顶部（1 个）",
    "choices": PLACEMENTS_EN,
    "choices_zh": PLACEMENTS,
}
IMAGE_HINT = {
    "label": "Image",
    "label_zh": "广告图片",
    "description": "The picture: an http(s) URL or a /media/... path",
    "description_zh": "广告图片：http(s) 链接或 /media/... 路径",
}
LINK_TYPE_HINT = {
    "label": "Link type",
    "label_zh": "跳转类型",
    "description": "Where a tap leads: a product, a category or a web page (url)",
    "description_zh": "点击后跳转到：商品（product）、分类（category）或网页（url）",
    "choices": LINK_TYPES_EN,
    "choices_zh": LINK_TYPES_ZH,
}
LINK_TARGET_HINT = {
    "label": "Link target",
    "label_zh": "跳转目标",
    "description": "A product or category id of the store, or an http(s) URL",
    "description_zh": "本店的商品 ID 或分类 ID，或 http(s) 链接",
}
ENDS_HINT = {"description": "Empty: no end", "description_zh": "留空表示长期投放"}
PRIORITY_HINT = {
    "label": "Priority",
    "label_zh": "展示优先级",
    "description": "Higher is shown first (-1000 to 1000)",
    "description_zh": "数值越大越靠前展示（-1000 至 1000）",
}
ENABLED_HINT = {
    "description": "Served within its schedule; off: never served",
    "description_zh": "开启后在排期内投放；关闭则不展示",
}
SEGMENTS_HINT = {
    "label": "Segments",
    "label_zh": "投放人群",
    "description": "Buyer segment ids (any of them), e.g. [3]; empty: everyone",
    "description_zh": "投放的买家人群 ID（满足任一即可），如 [3]；留空表示所有人",
}
LEVELS_HINT = {
    "label": "Member levels",
    "label_zh": "投放会员等级",
    "description": 'Member levels (membership\'s level names), e.g. ["金卡"]; empty: everyone',
    "description_zh": '投放的会员等级（会员插件中的等级名称），如 ["金卡"]；留空表示所有人',
}
REGIONS_HINT = {
    "label": "Regions",
    "label_zh": "投放地区",
    "description": 'Provinces, e.g. ["上海市", "浙江省"]; empty: everywhere',
    "description_zh": '投放的省份，如 ["上海市", "浙江省"]；留空表示全部地区',
}


class CreativeIn(Schema):
    placement = fields.String(
        required=True, validate=validate.OneOf(list(PLACEMENTS)), metadata=PLACEMENT_HINT
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=100))
    image_url = fields.String(required=True, validate=IMAGE, metadata=IMAGE_HINT)
    link_type = fields.String(
        required=True, validate=validate.OneOf(LINK_TYPES), metadata=LINK_TYPE_HINT
    )
    link_target = fields.String(
        required=True, validate=validate.Length(min=1, max=500), metadata=LINK_TARGET_HINT
    )
    starts_at = UtcDateTime(
        metadata={"description": "Default: now", "description_zh": "默认为当前时间"}
    )
    ends_at = UtcDateTime(allow_none=True, load_default=None, metadata=ENDS_HINT)
    priority = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(min=-1000, max=1000),
        metadata=PRIORITY_HINT,
    )
    enabled = fields.Boolean(load_default=True, metadata=ENABLED_HINT)
    segments = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata=SEGMENTS_HINT,
    )
    levels = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata=LEVELS_HINT,
    )
    regions = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        validate=validate.Length(max=50),
        metadata=REGIONS_HINT,
    )


class CreativePatch(Schema):
    title = fields.String(validate=validate.Length(min=1, max=100))
    image_url = fields.String(validate=IMAGE, metadata=IMAGE_HINT)
    link_type = fields.String(validate=validate.OneOf(LINK_TYPES), metadata=LINK_TYPE_HINT)
    link_target = fields.String(validate=validate.Length(min=1, max=500), metadata=LINK_TARGET_HINT)
    starts_at = UtcDateTime()
    ends_at = UtcDateTime(allow_none=True, metadata=ENDS_HINT)
    priority = fields.Integer(
        strict=True, validate=validate.Range(min=-1000, max=1000), metadata=PRIORITY_HINT
    )
    enabled = fields.Boolean(metadata=ENABLED_HINT)
    segments = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1)),
        validate=validate.Length(max=50),
        metadata=SEGMENTS_HINT,
    )
    levels = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(max=50),
        metadata=LEVELS_HINT,
    )
    regions = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(max=50),
        metadata=REGIONS_HINT,
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
