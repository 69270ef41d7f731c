"""Response schemas of the tracking API."""

from __future__ import annotations

from marshmallow import fields

from mallkit.core.plugin_api import Schema, UtcDateTime


class TrailEventOut(Schema):
    status = fields.String(
        metadata={
            "description": "collected, in_transit, out_for_delivery, delivered, exception",
            "description_zh": "collected 已揽收、in_transit 运输中、out_for_delivery 派送中、"
            "delivered 已签收、exception 异常",
        }
    )
    description = fields.String()
    location = fields.String()
    occurred_at = UtcDateTime()


class ShipmentTrailOut(Schema):
    shipment_id = fields.Integer()
    carrier = fields.String(
        metadata={
            "description": "The courier the store shipped with",
            "description_zh": "店铺发货所用的快递公司",
        }
    )
    tracking_number = fields.String()
    shipped_at = UtcDateTime()
    tracked = fields.Boolean()
    status = fields.String(
        allow_none=True,
        metadata={
            "description": "pending, or the latest event's status",
            "description_zh": "pending（暂无轨迹），或最新一条轨迹的状态",
        },
    )
    delivered_at = UtcDateTime(allow_none=True)
    events = fields.List(
        fields.Nested(TrailEventOut),
        metadata={"description": "Newest first", "description_zh": "按时间倒序，最新的在前"},
    )


class TrackedShipmentOut(Schema):
    shipment_id = fields.Integer()
    order_id = fields.Integer()
    carrier = fields.String()
    company = fields.String()
    number = fields.String()
    status = fields.String()
    subscribed_at = UtcDateTime(allow_none=True)
    last_event_at = UtcDateTime(allow_none=True)
    delivered_at = UtcDateTime(allow_none=True)
