"""payment_alipay: Alipay over the open platform's ``gateway.do`` with RSA2 — page pay (PC),
wap pay (H5), precreate (QR), query, close, refunds with ``out_request_no``, refund query,
verified async notifications and return URLs. Implemented with ``cryptography`` only; see
docs/plugins/payments.md.

The plugin owns no tables: attempts, refunds and the payment log are the core's.
"""

from __future__ import annotations

from mallkit.core.plugin_api import PluginMeta, ValidationError
from mallkit.hookspecs import hookimpl
from mallkit.plugins.payment_alipay import protocol
from mallkit.plugins.payment_alipay.api import blp
from mallkit.plugins.payment_alipay.schemas import AlipayConfig
from mallkit.plugins.payment_alipay.service import CHANNEL

meta = PluginMeta(
    name="payment_alipay",
    version="1.0.0",
    title="Alipay",
    description="Alipay open platform (RSA2): page pay, wap pay and precreate (QR).",
    mallkit=">=0.1,<1",
    config_schema=AlipayConfig,
    level="merchant",
    category="payment",
    title_zh="支付宝",
    description_zh="支付宝开放平台（RSA2）：电脑网站支付、手机网站支付和当面付扫码。",
)


@hookimpl
def register_payment_channels():
    return [CHANNEL]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def validate_plugin_config(merchant, plugin, config):
    """The app private key and the Alipay public key must parse."""
    if plugin != meta.name:
        return
    errors: dict[str, list[str]] = {}
    try:
        protocol.load_private_key(config["app_private_key"])
    except (ValueError, TypeError):
        errors["app_private_key"] = ["Not an RSA private key (PEM or base64)."]
    try:
        protocol.load_public_key(config["alipay_public_key"])
    except (ValueError, TypeError):
        errors["alipay_public_key"] = ["Not an RSA public key (PEM or base64)."]
    if errors:
        raise ValidationError("invalid Alipay configuration", errors=errors)


@hookimpl
def extend_demo(app, merchant, base_url):
    """Mount the Alipay simulator and point the demo store at it."""
    # Imported here so that only ``mallkit demo`` loads the simulator.
    from mallkit.plugins.payment_alipay import demo

    return demo.attach(app, merchant, base_url)
