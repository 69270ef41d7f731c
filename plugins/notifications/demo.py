"""The demo's notifications: a local SMS gateway simulator mounted under ``/_sim/sms``; e-mail
goes to ``NOTIFY_SMTP_HOST`` when one is set, and is off in the demo store otherwise (the
demo's banner says where to look)."""

from __future__ import annotations

from typing import Any

from mallkit.core.plugin_api import configure_plugin, simkit
from mallkit.plugins.notifications.simulator import SmsSimulator


def attach(app: Any, merchant: Any, base_url: str) -> list[str]:
    simulator = SmsSimulator()
    simkit.mount(app, "/_sim/sms", simulator)
    app.config.setdefault("NOTIFY_SMS_URL", f"{base_url}/_sim/sms/send")
    app.extensions["notifications.sms_simulator"] = simulator
    settings: dict[str, Any] = {"sms_quiet_hours": ""}
    lines = [f"SMS simulator: {base_url}/_sim/sms/messages (texts the demo sent)"]
    if not app.config.get("NOTIFY_SMTP_HOST"):
        # Without a mail server every e-mail would fail (and say so in the log): the demo
        # store sends by SMS and in-app until one is set.
        settings["channels"] = ["sms", "inbox"]
        lines.append(
            "E-mail: off in the demo store until MALLKIT_NOTIFY_SMTP_HOST/PORT name a server "
            "(SMS and in-app messages meanwhile)"
        )
    configure_plugin(merchant, "notifications", settings)
    return lines
