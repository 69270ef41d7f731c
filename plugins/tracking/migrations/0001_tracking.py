"""Tracking tables (mallkit.plugins.tracking.models), frozen as they were when written."""

import peewee as pw


class TrackedShipment(pw.Model):
    shipment_id = pw.IntegerField(unique=True)
    order_id = pw.IntegerField(index=True)
    merchant_id = pw.IntegerField()
    carrier = pw.CharField(max_length=32)
    company = pw.CharField(max_length=64)
    number = pw.CharField(max_length=64)
    callback_url = pw.CharField(max_length=500, default="")
    status = pw.CharField(max_length=20, default="pending")
    subscribed_at = pw.DateTimeField(null=True)
    last_event_at = pw.DateTimeField(null=True)
    delivered_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "tracking_shipment"
        indexes = ((("merchant_id", "number"), False),)


class TrackingEvent(pw.Model):
    tracked_id = pw.IntegerField()
    key = pw.CharField(max_length=64)
    status = pw.CharField(max_length=20)
    description = pw.CharField(max_length=255, default="")
    location = pw.CharField(max_length=100, default="")
    occurred_at = pw.DateTimeField()
    received_at = pw.DateTimeField()

    class Meta:
        table_name = "tracking_event"
        indexes = ((("tracked_id", "key"), True),)


MODELS = [TrackedShipment, TrackingEvent]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
