"""The per-merchant configuration of Alipay (the app private key encrypted and masked)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate, validates

from mallkit.core.plugin_api import check_gateway

# The provider's own endpoints; anything else must be allowed by the platform
# (PAYMENT_GATEWAYS), never just typed in by a merchant.
OFFICIAL_GATEWAYS = (
    "https://openapi.alipay.com/gateway.do",
    "https://openapi-sandbox.dl.alipaydev.com/gateway.do",
)


class AlipayConfig(Schema):
    app_id = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9]{16}$"),
        metadata={"label": "App id", "label_zh": "应用 ID（APPID）"},
    )
    app_private_key = fields.String(
        required=True,
        validate=validate.Length(min=100, max=4000),
        metadata={
            "label": "App private key",
            "label_zh": "应用私钥",
            "secret": True,
            "description": "PEM or the bare base64 from the console",
            "description_zh": "PEM 格式，或支付宝开放平台控制台给出的纯 base64 字符串",
        },
    )
    alipay_public_key = fields.String(
        required=True,
        validate=validate.Length(min=100, max=2000),
        metadata={
            "label": "Alipay public key",
            "label_zh": "支付宝公钥",
            "description": "PEM or base64",
            "description_zh": "PEM 格式或 base64 字符串",
        },
    )
    seller_id = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(2088[0-9]{12})?$"),
        metadata={
            "label": "Seller PID",
            "label_zh": "商户 PID",
            "description": "The merchant's PID; checked on notifications when set",
            "description_zh": "商户 PID（合作伙伴身份）；填写后会校验异步通知中的商户号",
        },
    )
    gateway_url = fields.Url(
        load_default="https://openapi.alipay.com/gateway.do",
        require_tld=False,
        schemes={"http", "https"},
        metadata={"label": "Gateway URL", "label_zh": "网关地址"},
    )
    notify_base_url = fields.Url(
        load_default="",
        require_tld=False,
        schemes={"http", "https"},
        metadata={"label": "Notification base URL", "label_zh": "异步通知基础地址"},
    )
    return_url = fields.Url(
        load_default="",
        require_tld=False,
        schemes={"http", "https"},
        metadata={"label": "Return URL", "label_zh": "支付完成跳转地址"},
    )
    timeout = fields.Float(
        load_default=10.0,
        validate=validate.Range(min=0.05, max=30),
        metadata={"label": "Timeout (seconds)", "label_zh": "请求超时（秒）"},
    )
    retries = fields.Integer(
        load_default=2,
        validate=validate.Range(min=0, max=5),
        metadata={"label": "Retries", "label_zh": "失败重试次数"},
    )

    @validates("gateway_url")
    def _gateway(self, value, **kwargs):
        check_gateway(value, OFFICIAL_GATEWAYS)
