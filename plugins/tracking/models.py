"""Tracking tables: each tracked parcel (a core ``Shipment``) and its trail events."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, utcnow


class TrackedShipment(BaseModel):
    """A shipment being tracked through a carrier. ``status``: ``pending`` until the first
    event, then the latest event's status."""

    shipment_id = pw.IntegerField(unique=True)
    order_id = pw.IntegerField(index=True)
    merchant_id = pw.IntegerField()
    carrier = pw.CharField(max_length=32)  # the tracking carrier's code ("sim")
    company = pw.CharField(max_length=64)  # the courier shipped with (Shipment.carrier)
    number = pw.CharField(max_length=64)
    callback_url = pw.CharField(max_length=500, default="")
    status = pw.CharField(max_length=20, default="pending")
    subscribed_at = pw.DateTimeField(null=True)
    last_event_at = pw.DateTimeField(null=True)
    delivered_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "tracking_shipment"
        indexes = ((("merchant_id", "number"), False),)


class TrackingEvent(BaseModel):
    """One event of a parcel's trail, stored once (``key`` unique per parcel)."""

    tracked_id = pw.IntegerField()
    key = pw.CharField(max_length=64)
    status = pw.CharField(max_length=20)
    description = pw.CharField(max_length=255, default="")
    location = pw.CharField(max_length=100, default="")
    occurred_at = pw.DateTimeField()
    received_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "tracking_event"
        indexes = ((("tracked_id", "key"), True),)
