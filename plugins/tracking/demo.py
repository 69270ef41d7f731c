"""``mallkit demo``: mount the tracking simulator under ``/_sim/tracking``, configure the demo
store against it, and track the store's shipments (the demo buyer's order), whose trail then
plays one event every few seconds while the demo runs."""

from __future__ import annotations

import secrets

from mallkit.core.plugin_api import MallkitError, Order, Shipment, configure_plugin, simkit
from mallkit.plugins.tracking import service
from mallkit.plugins.tracking.models import TrackedShipment
from mallkit.plugins.tracking.simulator import TrackingSimulator

PATH = "/_sim/tracking"
LADDER_SPEED = 60.0  # the retry ladder of hours in minutes
EVENT_EVERY = 20.0  # seconds between a parcel's events


def attach(app, merchant, base_url: str) -> list[str]:
    base_url = base_url.rstrip("/")
    sim = TrackingSimulator()
    simkit.mount_simulator(app, sim, base_url, PATH, LADDER_SPEED)
    key = secrets.token_urlsafe(24)
    sim.add_customer("demo-store", key)
    config = {
        "carrier": "sim",
        "gateway_url": sim.public_url,
        "customer": "demo-store",
        "key": key,
        "callback_base_url": base_url,
    }
    try:
        with app.app_context():
            configure_plugin(merchant, "tracking", config)
            shipments = list(
                Shipment.select()
                .join(Order)
                .where(Order.merchant == merchant.id)
                .order_by(Shipment.id)
            )
            for shipment in shipments:
                existing = TrackedShipment.get_or_none(TrackedShipment.shipment_id == shipment.id)
                if existing is not None:  # a restart: subscribe again at the new simulator
                    TrackedShipment.update(
                        subscribed_at=None, callback_url=service.callback_url(merchant.id, config)
                    ).where(TrackedShipment.id == existing.id).execute()
                    service.schedule_subscription(existing)
                else:
                    service.on_shipment_created(Order.get_by_id(shipment.order_id), shipment)
    except MallkitError as exc:
        return [f"tracking not configured: {exc.message}"]
    sim.autoplay(EVENT_EVERY)
    return [
        f"tracking        {len(shipments)} shipment(s) tracked through the simulator at "
        f"{sim.public_url}; trail: GET {base_url}/api/v1/orders/<id>/tracking"
    ]
