"""Request and response schemas of the notification routes."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.notifications.models import CHANNELS, STATUSES
from mallkit.plugins.notifications.templates import LOCALES, STORE_EVENTS


class NotifyInboxItemOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer(allow_none=True)
    event = fields.String()
    subject = fields.String(metadata={"description": "The title", "description_zh": "标题"})
    body = fields.String(
        metadata={
            "description": "Plain text: escape it to display it",
            "description_zh": "纯文本，显示前需转义",
        }
    )
    created_at = UtcDateTime()
    read_at = UtcDateTime(allow_none=True)


class NotifyUnreadOut(Schema):
    unread = fields.Integer()


class NotifyMarkedOut(Schema):
    marked = fields.Integer()


def _categories():
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(["transactional", "marketing"])),
        values=fields.Boolean(),
    )


class NotifyPreferencesIn(Schema):
    email = _categories()
    sms = _categories()
    inbox = _categories()


class NotifyPreferencesOut(Schema):
    email = fields.Dict(keys=fields.String(), values=fields.Boolean())
    sms = fields.Dict(keys=fields.String(), values=fields.Boolean())
    inbox = fields.Dict(keys=fields.String(), values=fields.Boolean())


class NotifyUnsubscribeIn(Schema):
    token = fields.String(required=True, validate=validate.Length(min=3, max=100))


class NotifyUnsubscribedOut(Schema):
    message = fields.String()


class NotifyTemplateIn(Schema):
    subject = fields.String(load_default="", validate=validate.Length(max=300))
    body = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    enabled = fields.Boolean(load_default=True)


class NotifyTemplateOut(Schema):
    event = fields.String()
    channel = fields.String()
    locale = fields.String()
    subject = fields.String()
    body = fields.String()
    enabled = fields.Boolean()
    custom = fields.Boolean(
        metadata={
            "description": "The store's own wording",
            "description_zh": "是否为店铺自定义的文案",
        }
    )


class NotifyPreviewIn(Schema):
    event = fields.String(required=True, validate=validate.OneOf(STORE_EVENTS))
    subject = fields.String(load_default="", validate=validate.Length(max=300))
    body = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class NotifyPreviewOut(Schema):
    subject = fields.String()
    body = fields.String()
    context = fields.Dict(
        metadata={
            "description": "The sample values it was rendered with",
            "description_zh": "渲染预览所用的示例数据",
        }
    )


class NotifyMessageArgs(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    event = fields.String(load_default=None, validate=validate.Length(max=50))
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))


class NotifyMessageOut(Schema):
    id = fields.Integer()
    event = fields.String()
    event_key = fields.String()
    channel = fields.String()
    user_id = fields.Integer(allow_none=True)
    address = fields.String()
    category = fields.String()
    campaign_id = fields.Integer(allow_none=True)
    subject = fields.String()
    body = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_error = fields.String()
    segments = fields.Integer()
    created_at = UtcDateTime()
    send_after = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True)


class NotifyCampaignIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(
        load_default="once", validate=validate.OneOf(["once", "birthday", "winback"])
    )
    audience = fields.Dict(
        load_default=dict,
        metadata={
            "description": '{"segment_id": n} (membership segments) or filters '
            '{"min_orders", "min_spent", "dormant_days"}',
            "description_zh": '{"segment_id": n}（会员人群），'
            '或筛选条件 {"min_orders", "min_spent", "dormant_days"}',
        },
    )
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        load_default=lambda: ["inbox"],
        validate=validate.Length(min=1),
    )
    subject = fields.String(load_default="", validate=validate.Length(max=300))
    body = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    coupon_template_id = fields.Integer(load_default=None, allow_none=True)
    run_at = UtcDateTime(load_default=None, allow_none=True)


class NotifyCampaignOut(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    audience = fields.Dict()
    channels = fields.List(fields.String())
    subject = fields.String()
    body = fields.String()
    coupon_template_id = fields.Integer(allow_none=True)
    run_at = UtcDateTime(allow_none=True)
    status = fields.String()
    sent_count = fields.Integer()
    capped_count = fields.Integer()
    last_run_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


LOCALE_FIELD = validate.OneOf(LOCALES)
