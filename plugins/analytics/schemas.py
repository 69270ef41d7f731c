"""Request and response schemas of the analytics API."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.analytics.models import SOURCES, STOREFRONT_KINDS

ID = validate.Range(min=1, max=2**31 - 1)
OPAQUE = validate.Regexp(r"^([A-Za-z0-9_.:-]{8,64})?$", error="8–64 letters, digits or _ . : -")


class EventIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(STOREFRONT_KINDS))
    at = UtcDateTime(
        load_default=None,
        metadata={"description": "When it happened (at most 7 days ago); default: now"},
    )
    product_id = fields.Integer(load_default=None, strict=True, validate=ID)
    ad_id = fields.Integer(
        load_default=None,
        strict=True,
        validate=ID,
        metadata={"description": "Ad events: the creative"},
    )
    placement = fields.String(load_default="", validate=validate.Length(max=32))
    source = fields.String(load_default="direct", validate=validate.OneOf(SOURCES))
    utm_source = fields.String(load_default="", validate=validate.Length(max=100))
    utm_medium = fields.String(load_default="", validate=validate.Length(max=100))
    utm_campaign = fields.String(load_default="", validate=validate.Length(max=100))
    share_code = fields.String(load_default="", validate=validate.Length(max=32))
    query = fields.String(
        load_default="", validate=validate.Length(max=64), metadata={"description": "Search terms"}
    )


class EventBatchIn(Schema):
    device_id = fields.String(
        load_default="",
        validate=OPAQUE,
        metadata={"description": "The storefront's opaque device id; required when signed out"},
    )
    events = fields.List(
        fields.Nested(EventIn), required=True, validate=validate.Length(min=1, max=50)
    )


class AcceptedOut(Schema):
    accepted = fields.Integer()


class RangeArgs(Schema):
    start = fields.Date(load_default=None, metadata={"description": "First day (store time)"})
    end = fields.Date(load_default=None, metadata={"description": "Last day; default: yesterday"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class SalesArgs(RangeArgs):
    period = fields.String(load_default="day", validate=validate.OneOf(("day", "week", "month")))


class ProductsArgs(RangeArgs):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class ChartArgs(Schema):
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)
    period = fields.String(load_default="day", validate=validate.OneOf(("day", "week", "month")))
    format = fields.String(load_default="svg", validate=validate.OneOf(("svg", "json")))


class PlatformArgs(RangeArgs):
    merchant_id = fields.Integer(load_default=None, validate=ID)
    period = fields.String(load_default="day", validate=validate.OneOf(("day", "week", "month")))


class AggregateIn(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class AggregatedOut(Schema):
    days = fields.List(fields.Date())


class RecommendationArgs(Schema):
    pass


class ReportOut(Schema):
    """A report: its range, totals and rows (fields per report in docs/plugins/analytics.md)."""

    class Meta:
        unknown = "include"

    report = fields.String()
    start = fields.Date()
    end = fields.Date()
    timezone = fields.String()
    currency = fields.String()
    totals = fields.Dict()
    rows = fields.List(fields.Dict())
