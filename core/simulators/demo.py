"""Wire both gateway simulators into ``mallkit demo``: they are mounted under ``/_sim/`` of
the demo server, get fresh keys at every start, and the demo store's WeChat Pay and Alipay
plugins are (re)configured against them, so a newcomer can pay a demo order end to end on
one machine — open the ``code_url`` / ``qr_code`` / ``pay_url`` and press "pay"."""

from __future__ import annotations

import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from mallkit.core.simulators.alipay import AlipaySimulator
from mallkit.core.simulators.wechat import WeChatPaySimulator

WECHAT_PATH = "/_sim/wechat"
ALIPAY_PATH = "/_sim/alipay"
LADDER_SPEED = 60.0  # WeChat's 24-hour retry ladder in 24 minutes


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def attach(
    app: Flask, base_url: str, merchant_name: str, banner: list[str] | None = None
) -> list[str]:
    """Mount the simulators on ``app`` and configure the named merchant's payment plugins
    against them; return the demo banner (``banner`` without its "left off" notes for these
    plugins) followed by a line per configured plugin."""
    from mallkit.core import plugin_settings
    from mallkit.core.errors import MallkitError
    from mallkit.core.merchants.models import Merchant

    base_url = base_url.rstrip("/")
    wechat, alipay = WeChatPaySimulator(), AlipaySimulator()
    wechat.public_url, alipay.public_url = base_url + WECHAT_PATH, base_url + ALIPAY_PATH
    for sim in (wechat, alipay):
        sim.outbox.speed = LADDER_SPEED
        sim.outbox.start()
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {WECHAT_PATH: wechat, ALIPAY_PATH: alipay})

    mch_private, mch_public = _key_pair()
    serial = secrets.token_hex(20).upper()
    apiv3_key = secrets.token_urlsafe(24)[:32]
    wechat.add_merchant("1900007291", "wxd678efh567hg6787", mch_public, serial, apiv3_key)
    app_private, app_public = _key_pair()
    alipay.add_app("2021000117600000", app_public, "2088102177296610")
    configs = {
        "payment_wechat": {
            "mchid": "1900007291",
            "appid": "wxd678efh567hg6787",
            "merchant_serial": serial,
            "private_key": mch_private,
            "apiv3_key": apiv3_key,
            "wechatpay_public_key_id": wechat.public_key_id,
            "wechatpay_public_key": wechat.public_key_pem,
            "gateway_url": wechat.public_url,
            "notify_base_url": base_url,
        },
        "payment_alipay": {
            "app_id": "2021000117600000",
            "app_private_key": app_private,
            "alipay_public_key": alipay.public_key_pem,
            "seller_id": "2088102177296610",
            "gateway_url": alipay.public_url + "/gateway.do",
            "notify_base_url": base_url,
        },
    }
    lines = [
        line
        for line in banner or ()
        if not any(line.startswith(f"plugin {name} left off") for name in configs)
    ]
    with app.app_context():
        merchant = Merchant.get_or_none(Merchant.name == merchant_name)
        host = app.extensions["mallkit"].plugins
        for name, config in configs.items():
            if merchant is None or name not in host.plugins:
                continue
            try:
                plugin_settings.enable(merchant, name, config)
            except MallkitError as exc:
                lines.append(f"{name} not configured: {exc.message}")
                continue
            path = WECHAT_PATH if name == "payment_wechat" else ALIPAY_PATH
            lines.append(f"{name:<15} against the simulator at {base_url}{path}")
    return lines
