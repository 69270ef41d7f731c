"""Request and response schemas of the analytics API."""

from __future__ import annotations

import datetime as dt

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.analytics.models import SOURCES, STOREFRONT_KINDS

ID = validate.Range(min=1, max=2**31 - 1)
OPAQUE = validate.Regexp(r"^([A-Za-z0-9_.:-]{8,64})?$", error="8–64 letters, digits or _ . : -")


class EventIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(STOREFRONT_KINDS))
    at = UtcDateTime(
        load_default=None,
        metadata={
            "description": "When it happened (at most 7 days ago); default: now",
            "description_zh": "发生时间（最早 7 天前）；默认为当前时间",
        },
    )
    product_id = fields.Integer(load_default=None, strict=True, validate=ID)
    ad_id = fields.Integer(
        load_default=None,
        strict=True,
        validate=ID,
        metadata={
            "description": "Ad events: the creative",
            "description_zh": "广告事件：对应的广告素材",
        },
    )
    placement = fields.String(load_default="", validate=validate.Length(max=32))
    source = fields.String(load_default="direct", validate=validate.OneOf(SOURCES))
    utm_source = fields.String(load_default="", validate=validate.Length(max=100))
    utm_medium = fields.String(load_default="", validate=validate.Length(max=100))
    utm_campaign = fields.String(load_default="", validate=validate.Length(max=100))
    share_code = fields.String(load_default="", validate=validate.Length(max=32))
    query = fields.String(
        load_default="",
        validate=validate.Length(max=64),
        metadata={"description": "Search terms", "description_zh": "搜索关键词"},
    )


class EventBatchIn(Schema):
    device_id = fields.String(
        load_default="",
        validate=OPAQUE,
        metadata={
            "description": "The storefront's opaque device id; required when signed out",
            "description_zh": "店铺前台的匿名设备 ID；未登录时必填",
        },
    )
    events = fields.List(
        fields.Nested(EventIn), required=True, validate=validate.Length(min=1, max=50)
    )


class AcceptedOut(Schema):
    accepted = fields.Integer()


# Days a report or an aggregation may name: a range's default start (end − 29) and the day
# after its end (where it stops, in store time) must exist in the calendar.
DAY = validate.Range(min=dt.date(1970, 1, 1), max=dt.date(2999, 12, 31))


class RangeArgs(Schema):
    start = fields.Date(
        load_default=None,
        validate=DAY,
        metadata={
            "description": "First day (store time); default: end − 29",
            "description_zh": "开始日期（店铺时区）；默认为结束日期前 29 天",
        },
    )
    end = fields.Date(
        load_default=None,
        validate=DAY,
        metadata={
            "description": "Last day; default: yesterday",
            "description_zh": "结束日期；默认为昨天",
        },
    )


class SalesArgs(RangeArgs):
    period = fields.String(load_default="day", validate=validate.OneOf(("day", "week", "month")))


class ProductsArgs(RangeArgs):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class CsvArgs(RangeArgs):
    period = fields.String(load_default="day", validate=validate.OneOf(("day", "week", "month")))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class ChartArgs(CsvArgs):
    lang = fields.String(
        load_default="en",
        validate=validate.OneOf(("en", "zh")),
        metadata={
            "description": "The chart's words (title, series, sources): en or zh",
            "description_zh": "图表文字（标题、数据系列、来源）的语言：en 或 zh",
        },
    )


class PlatformArgs(CsvArgs):
    merchant_id = fields.Integer(
        load_default=None,
        validate=ID,
        metadata={"description": "One store only", "description_zh": "仅看这一家店铺"},
    )


class AggregateIn(Schema):
    start = fields.Date(required=True, validate=DAY)
    end = fields.Date(required=True, validate=DAY)


class AggregatedOut(Schema):
    days = fields.List(fields.Date())


class ReportOut(Schema):
    """A report: its range, totals, rows (what the CSV holds) and further sections (fields
    per report in docs/plugins/analytics.md)."""

    report = fields.String()
    start = fields.Date()
    end = fields.Date()
    timezone = fields.String()
    currency = fields.String()
    totals = fields.Dict()
    rows = fields.List(fields.Dict())
    sections = fields.Dict()


class DayFiguresOut(Schema):
    day = fields.Date()
    sales = fields.Integer()
    orders = fields.Integer()
    buyers = fields.Integer()
    visitors = fields.Integer()
    conversion = fields.Float()
    average_order_value = fields.Integer()


class DashboardOut(Schema):
    today = fields.Nested(DayFiguresOut)
    yesterday = fields.Nested(DayFiguresOut)
    change = fields.Dict(
        metadata={
            "description": "Today against yesterday as fractions; null when yesterday was 0",
            "description_zh": "今日较昨日的变化比例（小数）；昨日为 0 时为 null",
        }
    )
    timezone = fields.String()
    currency = fields.String()


class CategoryUnitsOut(Schema):
    category_id = fields.Integer()
    units = fields.Integer()


class CustomerOut(Schema):
    user_id = fields.Integer()
    orders = fields.Integer()
    spend = fields.Integer()
    first_order_day = fields.Date(allow_none=True)
    last_order_day = fields.Date(allow_none=True)
    last_seen_day = fields.Date(allow_none=True)
    region = fields.String()
    level = fields.String()
    favourite_categories = fields.List(fields.Nested(CategoryUnitsOut))


class SeriesOut(Schema):
    title = fields.String()
    values = fields.List(fields.Integer())


class ChartOut(Schema):
    chart = fields.String()
    type = fields.String(
        metadata={
            "description": "line, bar or horizontal_bar",
            "description_zh": "line 折线图、bar 柱状图或 horizontal_bar 条形图",
        }
    )
    title = fields.String()
    money = fields.Boolean(
        metadata={
            "description": "Values are fen (the SVG shows yuan)",
            "description_zh": "数值单位为分（SVG 中显示为元）",
        }
    )
    x_labels = fields.List(fields.String())
    series = fields.List(fields.Nested(SeriesOut))


class RecommendationOut(Schema):
    product_id = fields.Integer()
    name = fields.String()
    price = fields.Integer(
        metadata={"description": "The lowest SKU price (fen)", "description_zh": "SKU 最低价（分）"}
    )
    image_url = fields.String()
    reason = fields.String(
        metadata={
            "description": "related, best_seller or popular",
            "description_zh": "related 相关推荐、best_seller 热销或 popular 人气",
        }
    )
