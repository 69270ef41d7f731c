"""The demo's webhook: a local receiver mounted at ``/_sim/webhook-receiver`` (the platform
allows that one local address) and a store endpoint pointing at it for order events."""

from __future__ import annotations

from typing import Any

from mallkit.core.plugin_api import simkit
from mallkit.plugins.webhooks import service, signing, targets
from mallkit.plugins.webhooks.models import Endpoint
from mallkit.plugins.webhooks.receiver import Receiver

PATH = "/_sim/webhook-receiver"


def attach(app: Any, merchant: Any, base_url: str) -> list[str]:
    url = f"{base_url}{PATH}"
    with app.app_context():
        allowed = targets.allowed_prefixes()
    app.config["WEBHOOK_ALLOWED_TARGETS"] = [*allowed, url]
    endpoint = Endpoint.get_or_none((Endpoint.merchant_id == merchant.id) & (Endpoint.url == url))
    if endpoint is None:
        endpoint, secret = service.create_endpoint(
            merchant.id,
            {
                "url": url,
                "description": "demo receiver",
                "event_types": sorted(t for t in service.EVENT_TYPES if t.startswith("order.")),
            },
            actor_id=None,
        )
    else:
        secret = signing.secret_for(endpoint.id, endpoint.secret_salt)
    receiver = Receiver(secret)
    simkit.mount(app, PATH, receiver)
    app.extensions["webhooks.demo_receiver"] = receiver
    return [f"webhooks        order events → {url} (what arrived, checked: GET {url})"]
