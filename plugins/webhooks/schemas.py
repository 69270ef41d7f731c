"""Request and response schemas of the webhook routes, and the payload of every event type
(listed in the OpenAPI document through ``GET /webhooks/events``)."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime


class WebhookEndpointIn(Schema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=500))
    description = fields.String(load_default="", validate=validate.Length(max=200))
    event_types = fields.List(
        fields.String(validate=validate.Length(max=50)),
        required=True,
        validate=validate.Length(min=1, max=20),
    )


class WebhookEndpointPatch(Schema):
    url = fields.String(validate=validate.Length(min=8, max=500))
    description = fields.String(validate=validate.Length(max=200))
    event_types = fields.List(
        fields.String(validate=validate.Length(max=50)), validate=validate.Length(min=1, max=20)
    )
    enabled = fields.Boolean(
        metadata={
            "description": "true again resets the failure count",
            "description_zh": "重新设为 true 时清零连续失败次数",
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
        load_default=None, validate=validate.OneOf(["pending", "succeeded", "failed"])
    )


class WebhookDeliveryOut(Schema):
    id = fields.Integer()
    endpoint_id = fields.Integer()
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
