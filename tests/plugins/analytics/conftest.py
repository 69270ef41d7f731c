"""Analytics fixtures: the plugin on for the store, and helpers that post storefront events
and move an order's timestamps to a chosen instant (the seeded datasets need days in the past)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from mallkit.core.orders.models import Order
from mallkit.plugins.analytics.models import Event

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def analytics(app, merchant, enable_plugin):
    with enable_plugin("analytics", merchant, {"events_per_minute": 100000}) as plugin:
        yield plugin


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A naive UTC instant at ``hour:minute`` of the store's ``day`` (Asia/Shanghai)."""
    return (
        dt.datetime.combine(day, dt.time(hour, minute), TZ).astimezone(dt.UTC).replace(tzinfo=None)
    )


def today() -> dt.date:
    return dt.datetime.now(TZ).date()


def post_events(client, merchant, events, headers=None, device_id="device-0001"):
    body = {"events": events}
    if device_id is not None:
        body["device_id"] = device_id
    for e in events:
        if isinstance(e.get("at"), dt.datetime):
            e["at"] = e["at"].replace(tzinfo=dt.UTC).isoformat()
    return client.post(
        f"/api/v1/merchants/{merchant.id}/analytics/events", json=body, headers=headers or {}
    )


def move_order(order, placed_at: dt.datetime, paid_at: dt.datetime | None = None) -> None:
    """Put an order (and its server-side events) at other instants."""
    from mallkit.plugins.analytics.collector import local_day

    Order.update(placed_at=placed_at, paid_at=paid_at).where(Order.id == order.id).execute()
    Event.update(occurred_at=placed_at, day=local_day(TZ, placed_at)).where(
        (Event.order_id == order.id) & (Event.kind == "order_placed")
    ).execute()
    if paid_at:
        Event.update(occurred_at=paid_at, day=local_day(TZ, paid_at)).where(
            (Event.order_id == order.id) & (Event.kind == "order_paid")
        ).execute()
