"""Webhook tables (mallkit.plugins.webhooks.models), frozen as they were when written."""

import datetime as dt

import peewee as pw


def _now():
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Endpoint(pw.Model):
    merchant_id = pw.IntegerField(null=True, index=True)
    url = pw.CharField(max_length=500)
    description = pw.CharField(max_length=200, default="")
    event_types = pw.TextField(default="[]")
    enabled = pw.BooleanField(default=True)
    secret_salt = pw.CharField(max_length=64)
    previous_salt = pw.CharField(max_length=64, null=True)
    previous_until = pw.DateTimeField(null=True)
    failures = pw.IntegerField(default=0)
    disabled_reason = pw.CharField(max_length=200, default="")
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=_now)
    updated_at = pw.DateTimeField(default=_now)

    class Meta:
        table_name = "webhook_endpoint"


class Delivery(pw.Model):
    endpoint_id = pw.IntegerField()
    merchant_id = pw.IntegerField(null=True)
    event_type = pw.CharField(max_length=50)
    event_key = pw.CharField(max_length=200)
    message_id = pw.CharField(max_length=64, unique=True)
    body = pw.TextField()
    status = pw.CharField(max_length=10, default="pending")
    attempts = pw.IntegerField(default=0)
    response_status = pw.IntegerField(null=True)
    response_excerpt = pw.CharField(max_length=500, default="")
    last_error = pw.CharField(max_length=500, default="")
    created_at = pw.DateTimeField(default=_now)
    last_attempt_at = pw.DateTimeField(null=True)
    delivered_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "webhook_delivery"
        indexes = (
            (("endpoint_id", "event_key"), True),
            (("endpoint_id", "id"), False),
        )


MODELS = [Endpoint, Delivery]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
