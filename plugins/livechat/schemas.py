"""Settings, request and response schemas of the live-chat API."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema as PlainSchema
from marshmallow import ValidationError, fields, validate, validates_schema

from mallkit.core.plugin_api import Schema, UtcDateTime

HHMM = validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="A time as HH:MM (00:00-23:59).")


class AutoReply(PlainSchema):
    keyword = fields.String(required=True, validate=validate.Length(min=1, max=30))
    reply = fields.String(required=True, validate=validate.Length(min=1, max=500))


class LivechatConfig(PlainSchema):
    """A store's chat settings (all optional)."""

    max_length = fields.Integer(
        load_default=1000,
        validate=validate.Range(min=1, max=5000),
        metadata={"label": "Message length limit", "label_zh": "单条消息字数上限"},
    )
    messages_per_minute = fields.Integer(
        load_default=30,
        validate=validate.Range(min=1, max=600),
        metadata={"label": "Messages per minute", "label_zh": "每分钟消息上限"},
    )
    presence_timeout = fields.Integer(
        load_default=60,
        validate=validate.Range(min=10, max=3600),
        metadata={
            "label": "Offline after (seconds)",
            "label_zh": "离线判定（秒）",
            "description": "seconds without a heartbeat before staff count as offline",
            "description_zh": "客服多少秒没有心跳即视为离线",
        },
    )
    auto_replies = fields.List(
        fields.Nested(AutoReply),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"label": "Auto replies", "label_zh": "自动回复"},
    )
    office_hours_start = fields.String(
        load_default=None,
        allow_none=True,
        validate=HHMM,
        metadata={"label": "Office hours from", "label_zh": "接待开始时间"},
    )
    office_hours_end = fields.String(
        load_default=None,
        allow_none=True,
        validate=HHMM,
        metadata={"label": "Office hours until", "label_zh": "接待结束时间"},
    )
    off_hours_message = fields.String(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"label": "Off-hours message", "label_zh": "非接待时间回复"},
    )
    off_hours_repeat_minutes = fields.Integer(
        load_default=60,
        validate=validate.Range(min=1, max=24 * 60),
        metadata={
            "label": "Off-hours message every (minutes)",
            "label_zh": "非接待时间回复间隔（分钟）",
        },
    )

    @validates_schema
    def _hours_together(self, data, **kwargs):
        if (data.get("office_hours_start") is None) != (data.get("office_hours_end") is None):
            raise ValidationError(
                "Give both office_hours_start and office_hours_end, or neither.",
                "office_hours_end",
            )


class MessageIn(Schema):
    kind = fields.String(load_default="text", validate=validate.OneOf(("text", "product", "order")))
    text = fields.String(load_default=None, validate=validate.Length(max=20000))
    product_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    order_id = fields.Integer(load_default=None, validate=validate.Range(min=1))
    client_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class MessageOut(Schema):
    id = fields.Integer()
    conversation_id = fields.Integer()
    seq = fields.Integer()
    sender_id = fields.Integer(allow_none=True)
    sender_role = fields.String(
        metadata={
            "description": "buyer | staff | system",
            "description_zh": "buyer 买家 | staff 客服 | system 系统",
        }
    )
    kind = fields.String(
        metadata={
            "description": "text | image | product | order | system",
            "description_zh": "text 文字 | image 图片 | product 商品 | order 订单 | system 系统",
        }
    )
    text = fields.String(
        metadata={"description": "HTML-escaped", "description_zh": "已做 HTML 转义"}
    )
    payload = fields.Dict(allow_none=True)
    client_id = fields.String(allow_none=True)
    created_at = fields.String()


class HistoryArgs(Schema):
    before = fields.Integer(load_default=None, validate=validate.Range(min=1))
    after = fields.Integer(load_default=None, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @validates_schema
    def _one_direction(self, data, **kwargs):
        if data.get("before") is not None and data.get("after") is not None:
            raise ValidationError("Use before or after, not both.", "after")


class HistoryOut(Schema):
    items = fields.List(fields.Nested(MessageOut))
    next_before = fields.Integer(
        allow_none=True,
        metadata={
            "description": "pass as before= for older messages",
            "description_zh": "作为 before= 参数传入以加载更早的消息",
        },
    )


class ConversationOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    buyer_id = fields.Integer()
    buyer_name = fields.String()
    status = fields.String(
        metadata={
            "description": "queued | assigned | closed",
            "description_zh": "queued 排队中 | assigned 已分配 | closed 已结束",
        }
    )
    agent_id = fields.Integer(allow_none=True)
    last_agent_id = fields.Integer(allow_none=True)
    priority = fields.Integer()
    last_seq = fields.Integer()
    buyer_read_seq = fields.Integer()
    staff_read_seq = fields.Integer()
    buyer_unread = fields.Integer()
    staff_unread = fields.Integer()
    last_message_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class ReadIn(Schema):
    up_to = fields.Integer(required=True, validate=validate.Range(min=0))


class ImageIn(Schema):
    file = Upload(required=True)


class InboxArgs(Schema):
    box = fields.String(
        load_default="all",
        validate=validate.OneOf(("assigned", "queue", "all")),
        metadata={
            "choices": {"assigned": "Mine", "queue": "In the queue", "all": "All"},
            "choices_zh": {"assigned": "我接待的", "queue": "排队中", "all": "全部"},
            "label": "Conversations",
            "label_zh": "会话范围",
        },
    )
    q = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=50),
        metadata={"label": "Search", "label_zh": "搜索"},
    )


class PresenceIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("online", "away", "offline")))


class AgentOut(Schema):
    user_id = fields.Integer()
    name = fields.String()
    status = fields.String(
        metadata={
            "description": "online | away | offline (no heartbeat)",
            "description_zh": "online 在线 | away 离开 | offline 离线（无心跳）",
        }
    )
    seen_at = UtcDateTime(allow_none=True)
    assigned = fields.Integer(
        metadata={
            "description": "open conversations assigned",
            "description_zh": "已分配的进行中会话数",
        }
    )


class TransferIn(Schema):
    agent_id = fields.Integer(required=True, validate=validate.Range(min=1))
    from_agent_id = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the agent you saw (409 if it changed); default: current",
            "description_zh": "你看到的当前客服（若已变更则返回 409）；默认为当前客服",
        },
    )


class CannedReplyIn(Schema):
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"label": "Title", "label_zh": "快捷回复标题"},
    )
    text = fields.String(
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"label": "Text", "label_zh": "回复内容"},
    )


class CannedReplyOut(Schema):
    id = fields.Integer()
    title = fields.String()
    text = fields.String()
