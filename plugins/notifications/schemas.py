"""Request and response schemas of the notification routes."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.notifications.models import CHANNELS, STATUSES
from mallkit.plugins.notifications.templates import EVENT_NAMES, LOCALES, STORE_EVENTS


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
    subject = fields.String(
        load_default="",
        validate=validate.Length(max=300),
        metadata={
            "description": "The e-mail subject or in-app title (SMS has none); a template like "
            "the body",
            "description_zh": "邮件主题或站内信标题（短信没有标题）；与正文一样是模板",
        },
    )
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4000),
        metadata={
            "description": "The text, a Jinja2 template of the event's values "
            "({{ order.number }}, {{ order.total|yuan }}); checked with a sample when saved",
            "description_zh": "正文，Jinja2 模板，可引用事件的数据"
            "（{{ order.number }}、{{ order.total|yuan }}）；保存时用示例数据校验",
        },
    )
    enabled = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Off: this event sends nothing on this channel",
            "description_zh": "关闭后，此事件不再通过该渠道发送",
        },
    )


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
    event = fields.String(
        required=True,
        validate=validate.OneOf(STORE_EVENTS),
        metadata={
            "description": "The event whose sample values the wording is rendered with",
            "description_zh": "用哪个事件的示例数据渲染",
            "choices": {e: EVENT_NAMES[e][1] for e in STORE_EVENTS},
            "choices_zh": {e: EVENT_NAMES[e][0] for e in STORE_EVENTS},
        },
    )
    subject = fields.String(
        load_default="",
        validate=validate.Length(max=300),
        metadata={
            "description": "The subject or title to render (a template)",
            "description_zh": "要渲染的主题或标题（模板）",
        },
    )
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4000),
        metadata={
            "description": "The text to render (a template); nothing is saved",
            "description_zh": "要渲染的正文（模板）；预览不会保存",
        },
    )


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
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(STATUSES),
        metadata={
            "description": "Delivery status: queued, sending, sent, failed, skipped",
            "description_zh": "发送状态：排队中、发送中、已发送、失败、已跳过",
        },
    )
    event = fields.String(
        load_default=None,
        validate=validate.Length(max=50),
        metadata={
            "description": "The event, e.g. order_shipped or campaign",
            "description_zh": "事件，如 order_shipped（订单发货）或 campaign（营销活动）",
        },
    )
    channel = fields.String(
        load_default=None,
        validate=validate.OneOf(CHANNELS),
        metadata={
            "description": "e-mail, SMS or in-app",
            "description_zh": "邮件、短信或站内信",
        },
    )


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
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "label": "Campaign name",
            "label_zh": "活动名称",
            "description": "The campaign's name, for the store's staff",
            "description_zh": "活动名称，仅店铺员工可见",
        },
    )
    kind = fields.String(
        load_default="once",
        validate=validate.OneOf(["once", "birthday", "winback"]),
        metadata={
            "label": "Kind",
            "label_zh": "营销类型",
            "description": "once: at run_at, else now; birthday: every day at 10:00 store "
            "time, to buyers whose birthday it is; winback: every day, to buyers whose last "
            "paid order was dormant_days (90) days ago",
            "description_zh": "once 单次：在发送时间发送，不填则立即发送；birthday 生日关怀："
            "每天店铺时间 10:00 发给当天生日的买家；winback 召回：每天发给最近一次付款订单"
            "在 dormant_days（默认 90）天前的买家",
        },
    )
    audience = fields.Dict(
        load_default=dict,
        metadata={
            "label": "Audience",
            "label_zh": "目标人群",
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
        metadata={
            "label": "Channels",
            "label_zh": "发送渠道",
            "description": 'Channels to send on, a list of "email", "sms", "inbox" '
            '(default ["inbox"])',
            "description_zh": '发送渠道列表："email" 邮件、"sms" 短信、"inbox" 站内信'
            '（默认 ["inbox"]）',
        },
    )
    subject = fields.String(
        load_default="",
        validate=validate.Length(max=300),
        metadata={
            "description": "The e-mail subject or in-app title; a template like the body",
            "description_zh": "邮件主题或站内信标题；与正文一样是模板",
        },
    )
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "The text, a template with {{ store.name }}, {{ buyer.name }} and, "
            "with a coupon, {{ coupon.name }}; an unsubscribe link is added",
            "description_zh": "正文，模板可引用 {{ store.name }}、{{ buyer.name }}，"
            "送券时还有 {{ coupon.name }}；消息会附上退订链接",
        },
    )
    coupon_template_id = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={
            "label": "Coupon template id",
            "label_zh": "赠送优惠券（券模板 ID）",
            "description": "A coupon each recipient is given: the id of one of the store's "
            "coupon templates (the coupons plugin); empty: none",
            "description_zh": "给每位收件人发一张优惠券：填店铺优惠券的编号（优惠券插件）；"
            "留空则不送券",
        },
    )
    run_at = UtcDateTime(
        load_default=None, allow_none=True, metadata={"label": "Send at", "label_zh": "发送时间"}
    )


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
