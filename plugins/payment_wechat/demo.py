"""``mallkit demo``: mount this plugin's WeChat Pay simulator under ``/_sim/wechat`` of the
demo server, with fresh keys at every start, and configure the demo store against it, so a
newcomer can pay a demo order end to end on one machine (open the ``code_url`` and press
"pay")."""

from __future__ import annotations

import secrets

from mallkit.core.plugin_api import MallkitError, configure_plugin, simkit
from mallkit.plugins.payment_wechat.simulator import WeChatPaySimulator

PATH = "/_sim/wechat"
LADDER_SPEED = 60.0  # WeChat's 24-hour retry ladder in 24 minutes


def attach(app, merchant, base_url: str) -> list[str]:
    """Mount the simulator on ``app`` and (re)configure ``merchant``'s plugin against it."""
    base_url = base_url.rstrip("/")
    sim = WeChatPaySimulator()
    simkit.mount_simulator(app, sim, base_url, PATH, LADDER_SPEED)
    private, public = simkit.rsa_key_pair()
    serial = secrets.token_hex(20).upper()
    apiv3_key = secrets.token_urlsafe(24)[:32]
    sim.add_merchant("1900007291", "wxd678efh567hg6787", public, serial, apiv3_key)
    config = {
        "mchid": "1900007291",
        "appid": "wxd678efh567hg6787",
        "merchant_serial": serial,
        "private_key": private,
        "apiv3_key": apiv3_key,
        "wechatpay_public_key_id": sim.public_key_id,
        "wechatpay_public_key": sim.public_key_pem,
        "gateway_url": sim.public_url,
        "notify_base_url": base_url,
    }
    try:
        with app.app_context():
            configure_plugin(merchant, "payment_wechat", config)
    except MallkitError as exc:
        return [f"payment_wechat not configured: {exc.message}"]
    return [f"payment_wechat  against the simulator at {sim.public_url}"]
