"""``mallkit demo``: mount this plugin's Alipay simulator under ``/_sim/alipay`` of the demo
server, with fresh keys at every start, and configure the demo store against it, so a
newcomer can pay a demo order end to end on one machine (open the ``pay_url`` or
``qr_code`` and press "pay")."""

from __future__ import annotations

from mallkit.core.plugin_api import MallkitError, configure_plugin, simkit
from mallkit.plugins.payment_alipay.simulator import AlipaySimulator

PATH = "/_sim/alipay"
LADDER_SPEED = 60.0  # Alipay's 25-hour retry ladder in 25 minutes


def attach(app, merchant, base_url: str) -> list[str]:
    """Mount the simulator on ``app`` and (re)configure ``merchant``'s plugin against it."""
    base_url = base_url.rstrip("/")
    sim = AlipaySimulator()
    simkit.mount_simulator(app, sim, base_url, PATH, LADDER_SPEED)
    private, public = simkit.rsa_key_pair()
    sim.add_app("2021000117600000", public, "2088102177296610")
    config = {
        "app_id": "2021000117600000",
        "app_private_key": private,
        "alipay_public_key": sim.public_key_pem,
        "seller_id": "2088102177296610",
        "gateway_url": sim.public_url + "/gateway.do",
        "notify_base_url": base_url,
        # page and wap pay come back to the demo storefront's result page (docs/storefront.md)
        "return_url": base_url + "/shop/pay/result",
    }
    try:
        with app.app_context():
            configure_plugin(merchant, "payment_alipay", config)
    except MallkitError as exc:
        return [f"payment_alipay not configured: {exc.message}"]
    return [f"payment_alipay  against the simulator at {sim.public_url}"]
