"""payment_wechat: WeChat Pay API v3 for direct merchants — Native (QR), JSAPI /
mini-program, H5 and App payments, query, close, refunds and verified, decrypted
notifications. Implemented with ``cryptography`` only; see docs/plugins/payments.md.

The plugin owns no tables: attempts, refunds and the payment log are the core's.
"""

from __future__ import annotations

from mallkit.core.plugin_api import PluginMeta, ValidationError
from mallkit.hookspecs import hookimpl
from mallkit.plugins.payment_wechat import protocol
from mallkit.plugins.payment_wechat.schemas import WeChatConfig
from mallkit.plugins.payment_wechat.service import CHANNEL, platform_keys

meta = PluginMeta(
    name="payment_wechat",
    version="1.0.0",
    title="WeChat Pay",
    description="WeChat Pay API v3 (direct merchant): Native, JSAPI, H5 and App.",
    mallkit=">=0.1,<1",
    config_schema=WeChatConfig,
    level="merchant",
    category="payment",
    title_zh="微信支付",
    description_zh="微信支付 API v3（直连商户）：Native、JSAPI、H5 和 App 支付。",
)


@hookimpl
def register_payment_channels():
    return [CHANNEL]


@hookimpl
def validate_plugin_config(merchant, plugin, config):
    """Key material must parse: the merchant private key, the WeChat Pay public key and the
    platform certificates; at least one WeChat Pay key to verify with."""
    if plugin != meta.name:
        return
    errors: dict[str, list[str]] = {}
    try:
        protocol.load_private_key(config["private_key"])
    except (ValueError, TypeError):
        errors["private_key"] = ["Not a PEM RSA private key."]
    if bool(config.get("wechatpay_public_key")) != bool(config.get("wechatpay_public_key_id")):
        errors["wechatpay_public_key_id"] = ["Give the public key together with its id."]
    try:
        keys = platform_keys(config)
    except (ValueError, TypeError):
        errors["wechatpay_public_key"] = ["Not a PEM RSA public key or certificate."]
        keys = {"?": None}
    if not keys:
        errors["wechatpay_public_key"] = ["A WeChat Pay public key or certificate is required."]
    if errors:
        raise ValidationError("invalid WeChat Pay configuration", errors=errors)


@hookimpl
def extend_demo(app, merchant, base_url):
    """Mount the WeChat Pay simulator and point the demo store at it."""
    # Imported here so that only ``mallkit demo`` loads the simulator.
    from mallkit.plugins.payment_wechat import demo

    return demo.attach(app, merchant, base_url)
