"""Request and response schemas of the webhook routes, and the payload of every event type
(listed in the OpenAPI document through ``GET /webhooks/events``)."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime

URL_HINT = {
    "label": "Endpoint URL",
    "label_zh": "推送地址",
    "description": "The receiver's https:// address; private, loopback and link-local "
    "addresses are refused",
    "description_zh": "接收推送的 https:// 地址；内网、回环和链路本地地址会被拒绝",
}
NOTE_HINT = {
    "label": "Note",
    "label_zh": "备注",
    "description": "A note for yourselves, e.g. which system receives",
    "description_zh": "备注，例如由哪个系统接收",
}
# Each event type's name in the console, Chinese and English (service.EVENT_TYPES: the same
# keys, a test keeps them so).
EVENT_NAMES = {
    "order.placed": ("下单", "Order placed"),
    "order.paid": ("付款", "Order paid"),
    "order.shipped": ("发货", "Order shipped"),
    "order.completed": ("确认收货", "Order completed"),
    "order.cancelled": ("取消订单", "Order cancelled"),
    "order.refunded": ("退款", "Order refunded"),
    "stock.low": ("库存不足", "Low stock"),
}
TYPES_LABEL = {"label": "Event types", "label_zh": "订阅事件"}
TYPES_HINT = {
    "description": 'A JSON list of event types, e.g. ["order.paid", "order.shipped"]; '
    "the types: " + ", ".join(EVENT_NAMES),
    "description_zh": '订阅的事件类型，JSON 列表，例如 ["order.paid", "order.shipped"]；可选：'
    + "、".join(f"{code}（{zh}）" for code, (zh, _) in EVENT_NAMES.items()),
}
# A delivery's states, named (pending's shared text, 待处理, would say staff must act).
DELIVERY_STATES = {
    "pending": ("待推送", "Pending"),
    "succeeded": ("成功", "Succeeded"),
    "failed": ("失败", "Failed"),
}


class WebhookEndpointIn(Schema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=500), metadata=URL_HINT)
    description = fields.String(
        load_default="", validate=validate.Length(max=200), metadata=NOTE_HINT
    )
    event_types = fields.List(
        fields.String(validate=validate.Length(max=50)),
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={**TYPES_LABEL, **TYPES_HINT},
    )


class WebhookEndpointPatch(Schema):
    url = fields.String(validate=validate.Length(min=8, max=500), metadata=URL_HINT)
    description = fields.String(validate=validate.Length(max=200), metadata=NOTE_HINT)
    event_types = fields.List(
        fields.String(validate=validate.Length(max=50)),
        validate=validate.Length(min=1, max=20),
        metadata={**TYPES_LABEL, **TYPES_HINT},
    )
    enabled = fields.Boolean(
        metadata={
            "description": "On or off; switching it on again resets the failure count",
            "description_zh": "启用或停用；重新启用时清零连续失败次数",
        }
    )


class WebhookEndpointOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer(allow_none=True)
    url = fields.String()
    description = fields.String()
    event_types = fields.List(fields.String())
    enabled = fields.Boolean()
    failures = fields.Integer(
        metadata={
            "description": "Deliveries in a row that failed",
            "description_zh": "连续推送失败的次数",
        }
    )
    disabled_reason = fields.String()
    previous_until = UtcDateTime(
        allow_none=True,
        metadata={
            "description": "Until then the previous secret signs too",
            "description_zh": "在此之前，旧密钥签名同样有效",
        },
    )
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class WebhookEndpointCreatedOut(WebhookEndpointOut):
    secret = fields.String(
        metadata={
            "description": "whsec_...: shown only now; keep it to verify signatures",
            "description_zh": "whsec_...：仅此一次显示，请妥善保存以验证签名",
        }
    )


class WebhookDeliveryArgs(Schema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(list(DELIVERY_STATES)),
        metadata={
            "description": "Pending: being sent or waiting for a retry",
            "description_zh": "待推送：正在推送或等待重试",
            "choices": {k: en for k, (_, en) in DELIVERY_STATES.items()},
            "choices_zh": {k: zh for k, (zh, _) in DELIVERY_STATES.items()},
        },
    )


class WebhookDeliveryFilter(WebhookDeliveryArgs):
    endpoint_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={
            "label": "Endpoint id",
            "label_zh": "推送地址编号",
            "description": "Only this endpoint's deliveries (its id)",
            "description_zh": "只看这个推送地址（编号）的记录",
        },
    )


class WebhookDeliveryOut(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
    merchant_id = fields.Integer(
        metadata={
            "description": "The store whose event it is",
            "description_zh": "事件所属的店铺",
        }
    )
    event_type = fields.String()
    message_id = fields.String(
        metadata={"description": "The webhook-id header", "description_zh": "webhook-id 请求头"}
    )
    body = fields.String(
        metadata={
            "description": "The JSON body as sent",
            "description_zh": "推送时发送的 JSON 正文",
        }
    )
    status = fields.String()
    attempts = fields.Integer()
    response_status = fields.Integer(allow_none=True)
    response_excerpt = fields.String()
    last_error = fields.String()
    created_at = UtcDateTime()
    last_attempt_at = UtcDateTime(allow_none=True)
    delivered_at = UtcDateTime(allow_none=True)


# -- payloads --------------------------------------------------------------------------------


class WebhookOrderData(Schema):
    id = fields.Integer()
    number = fields.String()
    merchant_id = fields.Integer()
    buyer_id = fields.Integer()
    status = fields.String()
    currency = fields.String()
    subtotal = fields.Integer(
        metadata={"description": "Minor units (fen)", "description_zh": "单位：分"}
    )
    discount_total = fields.Integer()
    freight = fields.Integer()
    total = fields.Integer()
    paid_amount = fields.Integer()
    refunded_amount = fields.Integer()
    refund_status = fields.String()


class WebhookRefundData(Schema):
    id = fields.Integer()
    amount = fields.Integer(
        metadata={"description": "Minor units (fen)", "description_zh": "单位：分"}
    )
    full = fields.Boolean(
        metadata={
            "description": "The order is now refunded in full",
            "description_zh": "订单已全额退款",
        }
    )


class WebhookOrderEvent(Schema):
    """Body of ``order.placed``, ``order.paid``, ``order.shipped``, ``order.completed`` and
    ``order.cancelled``."""

    type = fields.String()
    timestamp = fields.String(
        metadata={"description": "ISO 8601, UTC", "description_zh": "ISO 8601 格式，UTC 时间"}
    )
    data = fields.Nested(WebhookOrderData)


class WebhookRefundEventData(WebhookOrderData):
    refund = fields.Nested(WebhookRefundData)


class WebhookRefundEvent(Schema):
    """Body of ``order.refunded``: the order after the refund, and the refund."""

    type = fields.String()
    timestamp = fields.String()
    data = fields.Nested(WebhookRefundEventData)


class WebhookLowStockData(Schema):
    merchant_id = fields.Integer()
    product_id = fields.Integer()
    product_name = fields.String()
    sku_id = fields.Integer()
    sku_code = fields.String()
    stock = fields.Integer()
    threshold = fields.Integer()


class WebhookLowStockEvent(Schema):
    """Body of ``stock.low``."""

    type = fields.String()
    timestamp = fields.String()
    data = fields.Nested(WebhookLowStockData)


class WebhookEventTypeOut(Schema):
    type = fields.String()
    description = fields.String()
    schema = fields.String(
        metadata={
            "description": "The field of `examples` with its body",
            "description_zh": "`examples` 中对应示例正文的字段名",
        }
    )


class WebhookEventsOut(Schema):
    """The event types, and an example body of each kind (their schemas are in the OpenAPI
    document's components)."""

    types = fields.List(fields.Nested(WebhookEventTypeOut))
    signature = fields.String(
        metadata={"description": "How deliveries are signed", "description_zh": "推送的签名方式"}
    )
    order_event = fields.Nested(WebhookOrderEvent)
    refund_event = fields.Nested(WebhookRefundEvent)
    low_stock_event = fields.Nested(WebhookLowStockEvent)
