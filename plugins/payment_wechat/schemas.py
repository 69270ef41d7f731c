"""The per-merchant configuration of WeChat Pay (secrets encrypted at rest and masked)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate, validates

from mallkit.core.plugin_api import check_gateway

# The provider's own endpoints; anything else must be allowed by the platform
# (PAYMENT_GATEWAYS), never just typed in by a merchant.
OFFICIAL_GATEWAYS = ("https://api.mch.weixin.qq.com", "https://api2.mch.weixin.qq.com")

PEM = validate.Regexp(r"(?s)^\s*-----BEGIN [A-Z ]+-----.+-----END [A-Z ]+-----\s*$")


class WeChatConfig(Schema):
    mchid = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9]{8,12}$"),
        metadata={"label": "Merchant id (mchid)", "label_zh": "商户号"},
    )
    appid = fields.String(
        required=True,
        validate=validate.Regexp(r"^wx[0-9A-Za-z]{16}$"),
        metadata={"label": "AppID", "label_zh": "应用 ID（AppID）"},
    )
    merchant_serial = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9A-Fa-f]{8,40}$"),
        metadata={
            "label": "Certificate serial",
            "label_zh": "商户 API 证书序列号",
            "description": "Serial of the merchant API certificate",
            "description_zh": "商户 API 证书序列号",
        },
    )
    private_key = fields.String(
        required=True,
        validate=PEM,
        metadata={
            "label": "API private key",
            "label_zh": "商户 API 私钥",
            "secret": True,
            "description": "apiclient_key.pem",
            "description_zh": "商户 API 私钥（apiclient_key.pem）",
        },
    )
    apiv3_key = fields.String(
        required=True,
        validate=validate.Length(equal=32),
        metadata={"label": "APIv3 key", "label_zh": "APIv3 密钥", "secret": True},
    )
    wechatpay_public_key_id = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(PUB_KEY_ID_[0-9A-Za-z_]{1,60})?$"),
        metadata={"label": "WeChat Pay public key id", "label_zh": "微信支付公钥 ID"},
    )
    wechatpay_public_key = fields.String(
        load_default="",
        validate=validate.Length(max=4000),
        metadata={"label": "WeChat Pay public key", "label_zh": "微信支付公钥"},
    )
    platform_certificates = fields.List(
        fields.String(validate=PEM),
        load_default=list,
        validate=validate.Length(max=5),
        metadata={
            "label": "Platform certificates",
            "label_zh": "平台证书",
            "description": "Platform certificates (certificate mode), PEM",
            "description_zh": "微信支付平台证书（平台证书模式），PEM 格式",
        },
    )
    gateway_url = fields.Url(
        load_default="https://api.mch.weixin.qq.com",
        require_tld=False,
        schemes={"http", "https"},
        metadata={"label": "Gateway URL", "label_zh": "网关地址"},
    )
    notify_base_url = fields.Url(
        load_default="",
        require_tld=False,
        schemes={"http", "https"},
        metadata={
            "label": "Notification base URL",
            "label_zh": "支付通知基础地址",
            "description": "Public base URL for notifications (default: the app's)",
            "description_zh": "接收支付通知的公网基础地址（默认使用本应用的地址）",
        },
    )
    h5_app_name = fields.String(
        load_default="mallkit",
        validate=validate.Length(max=64),
        metadata={"label": "H5 app name", "label_zh": "H5 应用名称"},
    )
    h5_app_url = fields.String(
        load_default="",
        validate=validate.Length(max=256),
        metadata={"label": "H5 site URL", "label_zh": "H5 网站地址"},
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
