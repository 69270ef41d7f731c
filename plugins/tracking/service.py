"""Tracking rules: subscribing parcels, storing trails from pushes and queries, and the
delivery that starts the auto-confirm countdown.

- Every shipment of a store with the plugin is tracked (``on_shipment_created``): a row is
  written in the shipping transaction with the callback URL, and a ``tracking.subscribe``
  task subscribes it after commit (retried with backoff while the carrier refuses or is
  down).
- A push is verified by the carrier (signature, freshness) before anything is read; a bad
  one is answered 401 and changes nothing. Events are stored once per parcel (the carrier's
  event id is unique per parcel), so a push retried or repeated, or a query returning what a
  push brought, adds nothing twice. The parcel's status is its latest event's.
- **Delivered.** The first ``delivered`` event of a parcel sets its ``delivered_at`` (a
  compare-and-set: once, however many pushes race). When every tracked parcel of a
  ``shipped`` order is delivered, the order's auto-confirm countdown starts again from the
  last delivery (``restart_auto_confirm``): the buyer gets the store's full
  ``auto_confirm_days`` from when the parcel arrived, not from when it left.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request

from mallkit.core.plugin_api import (
    NotFound,
    Order,
    PluginError,
    Shipment,
    as_utc,
    is_postgres,
    merchant_plugins,
    restart_auto_confirm,
    schedule_task,
    transaction,
    utcnow,
)
from mallkit.plugins.tracking.carriers import Carrier, Parcel, TrailEvent
from mallkit.plugins.tracking.models import TrackedShipment, TrackingEvent
from mallkit.plugins.tracking.simcarrier import SIM

SUBSCRIBE = "tracking.subscribe"


def carriers(merchant_id: int) -> dict[str, Carrier]:
    found: dict[str, Carrier] = {SIM.code: SIM}
    for items in merchant_plugins(merchant_id).hook.register_carriers():
        for carrier in items or ():
            found[carrier.code] = carrier
    return found


def carrier_for(merchant_id: int, code: str) -> Carrier:
    carrier = carriers(merchant_id).get(code)
    if carrier is None:
        raise PluginError(f"no tracking carrier {code!r}", code="carrier_unavailable")
    return carrier


def config_of(merchant_id: int) -> dict[str, Any]:
    return merchant_plugins(merchant_id).config("tracking") or {}


def callback_url(merchant_id: int, config: dict[str, Any]) -> str:
    base = (
        config.get("callback_base_url")
        or current_app.config.get("PUBLIC_BASE_URL")
        or (request.host_url if has_request_context() else "")
    )
    code = config.get("carrier", SIM.code)
    return f"{base.rstrip('/')}/api/v1/tracking/push/{code}/{merchant_id}"


def parcel(tracked: TrackedShipment) -> Parcel:
    return Parcel(tracked.company, tracked.number, tracked.callback_url)


# -- subscribing -----------------------------------------------------------------------------


def on_shipment_created(order: Order, shipment: Shipment) -> None:
    config = config_of(order.merchant_id)
    tracked = TrackedShipment.create(
        shipment_id=shipment.id,
        order_id=order.id,
        merchant_id=order.merchant_id,
        carrier=config.get("carrier", SIM.code),
        company=shipment.carrier,
        number=shipment.tracking_number,
        callback_url=callback_url(order.merchant_id, config),
    )
    schedule_subscription(tracked)


def schedule_subscription(tracked: TrackedShipment) -> None:
    schedule_task(
        SUBSCRIBE,
        payload={"tracked_id": tracked.id},
        merchant_id=tracked.merchant_id,
        dedupe_key=f"{SUBSCRIBE}:{tracked.id}",
    )


def subscribe(task) -> None:
    """The ``tracking.subscribe`` task: subscribe once; a refusal raises and is retried."""
    tracked = TrackedShipment.get_or_none(TrackedShipment.id == task.payload["tracked_id"])
    if tracked is None or tracked.subscribed_at is not None:
        return
    carrier_for(tracked.merchant_id, tracked.carrier).subscribe(
        parcel(tracked), config_of(tracked.merchant_id)
    )
    TrackedShipment.update(subscribed_at=utcnow()).where(TrackedShipment.id == tracked.id).execute()


# -- trails ----------------------------------------------------------------------------------


def ingest(tracked: TrackedShipment, events: list[TrailEvent] | tuple[TrailEvent, ...]) -> int:
    """Store new events of a parcel, update its status, and when it is delivered start the
    order's auto-confirm countdown; returns how many events were new."""
    with transaction():
        known = {
            k
            for (k,) in TrackingEvent.select(TrackingEvent.key)
            .where(TrackingEvent.tracked_id == tracked.id)
            .tuples()
        }
        # Oldest first (a stable sort: events of the same second keep the carrier's order), so
        # the row ids break ties in time.
        ordered = sorted(events, key=lambda e: as_utc(e.occurred_at))
        fresh = {e.key: e for e in ordered if e.key not in known}
        if fresh:
            TrackingEvent.insert_many(
                [
                    {
                        "tracked_id": tracked.id,
                        "key": e.key,
                        "status": e.status,
                        "description": e.description,
                        "location": e.location,
                        "occurred_at": as_utc(e.occurred_at),
                        "received_at": utcnow(),
                    }
                    for e in fresh.values()
                ]
            ).on_conflict_ignore().execute()  # a push racing with a query: stored once
        latest = (
            TrackingEvent.select()
            .where(TrackingEvent.tracked_id == tracked.id)
            .order_by(TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc())
            .first()
        )
        if latest is None:
            return len(fresh)
        TrackedShipment.update(status=latest.status, last_event_at=latest.occurred_at).where(
            TrackedShipment.id == tracked.id
        ).execute()
        delivered = (
            TrackingEvent.select(TrackingEvent.occurred_at)
            .where((TrackingEvent.tracked_id == tracked.id) & (TrackingEvent.status == "delivered"))
            .order_by(TrackingEvent.occurred_at)
            .first()
        )
        if delivered is not None:
            won = (
                TrackedShipment.update(delivered_at=delivered.occurred_at)
                .where((TrackedShipment.id == tracked.id) & TrackedShipment.delivered_at.is_null())
                .execute()
            )
            if won:
                _maybe_restart(tracked.order_id)
    return len(fresh)


def _maybe_restart(order_id: int) -> None:
    """Restart the countdown when every parcel of the order is delivered. On PostgreSQL the
    order row is locked first: the last two parcels delivered in two transactions at once
    would each see the other undelivered (not committed yet) and neither restart it; with the
    lock the second reads the parcels after the first committed."""
    query = Order.select().where(Order.id == order_id)
    order = (query.for_update() if is_postgres() else query).get()
    parcels = list(TrackedShipment.select().where(TrackedShipment.order_id == order_id))
    if not parcels or any(p.delivered_at is None for p in parcels):
        return
    if order.status == "shipped":
        restart_auto_confirm(order, max(p.delivered_at for p in parcels))


def receive_push(code: str, merchant_id: int, headers: dict[str, str], body: bytes) -> Carrier:
    """Verify and store a push (raises ``InvalidPush``); returns the carrier to answer it."""
    if not merchant_plugins(merchant_id).is_enabled("tracking"):
        raise NotFound("not found")
    config = config_of(merchant_id)
    carrier = carrier_for(merchant_id, code)
    push = carrier.parse_push(headers, body, config)
    for tracked in TrackedShipment.select().where(
        (TrackedShipment.merchant_id == merchant_id)
        & (TrackedShipment.number == push.number)
        & (TrackedShipment.carrier == code)
    ):
        ingest(tracked, push.events)
    return carrier


def tracked_of(shipment_id: int, merchant_id: int) -> TrackedShipment:
    tracked = TrackedShipment.get_or_none(
        (TrackedShipment.shipment_id == shipment_id) & (TrackedShipment.merchant_id == merchant_id)
    )
    if tracked is None:
        raise NotFound("this shipment is not tracked", code="not_tracked")
    return tracked


def refresh(merchant_id: int, shipment_id: int) -> TrackedShipment:
    """Ask the carrier for the trail now (staff), storing what is new."""
    tracked = tracked_of(shipment_id, merchant_id)
    events = carrier_for(merchant_id, tracked.carrier).query(
        parcel(tracked), config_of(merchant_id)
    )
    ingest(tracked, events)
    return TrackedShipment.get_by_id(tracked.id)


def trails(order: Order) -> list[dict[str, Any]]:
    """Every shipment of the order with its trail, newest event first."""
    shipments = list(Shipment.select().where(Shipment.order == order.id).order_by(Shipment.id))
    tracked = {
        t.shipment_id: t
        for t in TrackedShipment.select().where(TrackedShipment.order_id == order.id)
    }
    events: dict[int, list[TrackingEvent]] = {}
    if tracked:
        for e in (
            TrackingEvent.select()
            .where(TrackingEvent.tracked_id.in_([t.id for t in tracked.values()]))
            .order_by(TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc())
        ):
            events.setdefault(e.tracked_id, []).append(e)
    out = []
    for s in shipments:
        t = tracked.get(s.id)
        out.append(
            {
                "shipment_id": s.id,
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "shipped_at": s.shipped_at,
                "tracked": t is not None,
                "status": t.status if t else None,
                "delivered_at": t.delivered_at if t else None,
                "events": [
                    {
                        "status": e.status,
                        "description": e.description,
                        "location": e.location,
                        "occurred_at": e.occurred_at,
                    }
                    for e in events.get(t.id, [])
                ]
                if t
                else [],
            }
        )
    return out
