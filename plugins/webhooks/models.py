"""Webhook tables: endpoints (a store's or the platform's) and deliveries (the log)."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


class Endpoint(BaseModel):
    """An HTTPS address that receives the event types it subscribes to.

    ``merchant_id`` NULL: the platform's, which receives every store's events. The signing
    secret is never stored: it is derived from the app's secret and ``secret_salt``
    (:func:`~mallkit.plugins.webhooks.signing.secret_for`), shown once when made or rotated.
    After a rotation the previous secret also signs until ``previous_until``.
    ``failures`` counts consecutive failed deliveries; at the platform's limit the endpoint is
    disabled (``disabled_reason``).
    """

    merchant_id = pw.IntegerField(null=True, index=True)
    url = pw.CharField(max_length=500)
    description = pw.CharField(max_length=200, default="")
    event_types = JSONField(default=list)
    enabled = pw.BooleanField(default=True)
    secret_salt = pw.CharField(max_length=64)
    previous_salt = pw.CharField(max_length=64, null=True)
    previous_until = pw.DateTimeField(null=True)
    failures = pw.IntegerField(default=0)
    disabled_reason = pw.CharField(max_length=200, default="")
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "webhook_endpoint"


class Delivery(BaseModel):
    """One event sent to one endpoint: ``message_id`` is the ``webhook-id`` header, the same
    on every attempt, so the receiver can drop repeats; unique per endpoint."""

    endpoint_id = pw.IntegerField()
    merchant_id = pw.IntegerField(null=True)
    event_type = pw.CharField(max_length=50)
    event_key = pw.CharField(max_length=200)
    message_id = pw.CharField(max_length=64, unique=True)
    body = pw.TextField()
    status = pw.CharField(max_length=10, default=PENDING)
    attempts = pw.IntegerField(default=0)
    response_status = pw.IntegerField(null=True)
    response_excerpt = pw.CharField(max_length=500, default="")
    last_error = pw.CharField(max_length=500, default="")
    created_at = pw.DateTimeField(default=utcnow, index=True)  # the retention purge's range
    last_attempt_at = pw.DateTimeField(null=True)
    delivered_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "webhook_delivery"
        indexes = (
            (("endpoint_id", "event_key"), True),
            (("endpoint_id", "id"), False),
        )
