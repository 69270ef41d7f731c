"""Notification tables: the delivery log (one row per message and channel, which is also the
in-app inbox), merchants' templates, people's opt-outs, and campaigns."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

QUEUED, SENDING, SENT, FAILED, SKIPPED = "queued", "sending", "sent", "failed", "skipped"
STATUSES = (QUEUED, SENDING, SENT, FAILED, SKIPPED)
CHANNELS = ("email", "sms", "inbox")
# for a column listing channels (a list's items are not badges: the console names them here)
CHANNEL_NAMES = {"email": ("邮件", "E-mail"), "sms": ("短信", "SMS"), "inbox": ("站内信", "In-app")}
TRANSACTIONAL, MARKETING = "transactional", "marketing"
CATEGORIES = (TRANSACTIONAL, MARKETING)


class Message(BaseModel):
    """One message of one event to one recipient on one channel: the delivery log.

    ``event_key`` names the occurrence (``order_paid:17``); with ``channel`` and
    ``recipient`` (``user:5`` or the address for staff contacts) it is unique, so an event
    fanned out twice still makes one message. ``status``: ``queued`` → ``sending`` → ``sent``;
    back to ``queued`` after a failed attempt (``last_error``), ``failed`` when attempts are
    spent or the error is permanent, ``skipped`` when nothing was to be sent (opted out, no
    address: ``last_error`` says why). In-app messages (``channel == "inbox"``) are the
    inbox: ``read_at`` is set when their reader opens them.
    """

    merchant_id = pw.IntegerField(null=True)
    user_id = pw.IntegerField(null=True)
    event = pw.CharField(max_length=50)
    event_key = pw.CharField(max_length=200)
    channel = pw.CharField(max_length=10)
    recipient = pw.CharField(max_length=300)
    address = pw.CharField(max_length=300, default="")
    category = pw.CharField(max_length=16, default=TRANSACTIONAL)
    campaign_id = pw.IntegerField(null=True)
    locale = pw.CharField(max_length=16, default="zh-CN")
    subject = pw.CharField(max_length=300, default="")
    body = pw.TextField(default="")
    link = pw.CharField(max_length=500, default="")
    status = pw.CharField(max_length=10, default=QUEUED)
    attempts = pw.IntegerField(default=0)
    last_error = pw.CharField(max_length=500, default="")
    provider_ref = pw.CharField(max_length=100, default="")
    segments = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=utcnow)
    send_after = pw.DateTimeField(default=utcnow)
    sent_at = pw.DateTimeField(null=True)
    read_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "notification_message"
        indexes = (
            (("event_key", "channel", "recipient"), True),
            (("user_id", "channel", "id"), False),
            (("merchant_id", "id"), False),
            (("user_id", "category", "created_at"), False),
            (("channel", "status", "created_at"), False),  # the retention purge's range
        )


class Template(BaseModel):
    """A store's own wording of one event on one channel in one locale (the built-in one
    applies where a store has none). ``enabled`` False stops that event on that channel."""

    merchant_id = pw.IntegerField()
    event = pw.CharField(max_length=50)
    channel = pw.CharField(max_length=10)
    locale = pw.CharField(max_length=16)
    subject = pw.CharField(max_length=300, default="")
    body = pw.TextField()
    enabled = pw.BooleanField(default=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "notification_template"
        indexes = ((("merchant_id", "event", "channel", "locale"), True),)


class OptOut(BaseModel):
    """A person does not want ``category`` messages on ``channel``."""

    user_id = pw.IntegerField()
    channel = pw.CharField(max_length=10)
    category = pw.CharField(max_length=16)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "notification_opt_out"
        indexes = ((("user_id", "channel", "category"), True),)


class Campaign(BaseModel):
    """A store's marketing message to a segment of its buyers.

    ``kind``: ``once`` (at ``run_at``, or at once), ``birthday`` (daily: buyers whose
    birthday is today, in the store's time zone) or ``winback`` (daily: buyers whose last
    paid order was ``dormant_days`` ago). ``audience``: ``{"segment_id": n}`` (membership's
    segments) or simple filters ``{"min_orders", "min_spent", "dormant_days"}``.
    ``coupon_template_id``: a coupon each recipient is given (through ``grant_coupon``).
    """

    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    kind = pw.CharField(max_length=10, default="once")
    audience = JSONField(default=dict)
    channels = JSONField(default=list)
    subject = pw.CharField(max_length=300, default="")
    body = pw.TextField()
    coupon_template_id = pw.IntegerField(null=True)
    run_at = pw.DateTimeField(null=True)
    status = pw.CharField(max_length=10, default="scheduled")  # scheduled|active|sent|stopped
    sent_count = pw.IntegerField(default=0)
    capped_count = pw.IntegerField(default=0)
    last_run_at = pw.DateTimeField(null=True)
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "notification_campaign"
