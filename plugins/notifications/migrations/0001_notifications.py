"""Notification tables (mallkit.plugins.notifications.models), frozen as they were when
written."""

import datetime as dt

import peewee as pw


def _now():
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Message(pw.Model):
    merchant_id = pw.IntegerField(null=True)
    user_id = pw.IntegerField(null=True)
    event = pw.CharField(max_length=50)
    event_key = pw.CharField(max_length=200)
    channel = pw.CharField(max_length=10)
    recipient = pw.CharField(max_length=300)
    address = pw.CharField(max_length=300, default="")
    category = pw.CharField(max_length=16, default="transactional")
    campaign_id = pw.IntegerField(null=True)
    locale = pw.CharField(max_length=16, default="zh-CN")
    subject = pw.CharField(max_length=300, default="")
    body = pw.TextField(default="")
    link = pw.CharField(max_length=500, default="")
    status = pw.CharField(max_length=10, default="queued")
    attempts = pw.IntegerField(default=0)
    last_error = pw.CharField(max_length=500, default="")
    provider_ref = pw.CharField(max_length=100, default="")
    segments = pw.IntegerField(default=0)
    created_at = pw.DateTimeField(default=_now)
    send_after = pw.DateTimeField(default=_now)
    sent_at = pw.DateTimeField(null=True)
    read_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "notification_message"
        indexes = (
            (("event_key", "channel", "recipient"), True),
            (("user_id", "channel", "id"), False),
            (("merchant_id", "id"), False),
            (("user_id", "category", "created_at"), False),
        )


class Template(pw.Model):
    merchant_id = pw.IntegerField()
    event = pw.CharField(max_length=50)
    channel = pw.CharField(max_length=10)
    locale = pw.CharField(max_length=16)
    subject = pw.CharField(max_length=300, default="")
    body = pw.TextField()
    enabled = pw.BooleanField(default=True)
    updated_at = pw.DateTimeField(default=_now)

    class Meta:
        table_name = "notification_template"
        indexes = ((("merchant_id", "event", "channel", "locale"), True),)


class OptOut(pw.Model):
    user_id = pw.IntegerField()
    channel = pw.CharField(max_length=10)
    category = pw.CharField(max_length=16)
    created_at = pw.DateTimeField(default=_now)

    class Meta:
        table_name = "notification_opt_out"
        indexes = ((("user_id", "channel", "category"), True),)


class Campaign(pw.Model):
    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    kind = pw.CharField(max_length=10, default="once")
    audience = pw.TextField(default="{}")
    channels = pw.TextField(default="[]")
    subject = pw.CharField(max_length=300, default="")
    body = pw.TextField()
    coupon_template_id = pw.IntegerField(null=True)
    run_at = pw.DateTimeField(null=True)
    status = pw.CharField(max_length=10, default="scheduled")
    sent_count = pw.IntegerField(default=0)
    capped_count = pw.IntegerField(default=0)
    last_run_at = pw.DateTimeField(null=True)
    created_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=_now)

    class Meta:
        table_name = "notification_campaign"


MODELS = [Message, Template, OptOut, Campaign]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
