"""The carrier interface: how the tracking plugin talks to a courier's or an aggregator's
tracking API.

A carrier ``subscribe``s a tracking number (the service then pushes each new trail event to a
callback URL), ``query``s the trail on demand, and ``parse_push``es what it pushes —
verifying its signature first. Statuses are normalised to :data:`STATUSES`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

STATUSES = ("collected", "in_transit", "out_for_delivery", "delivered", "exception")


class InvalidPush(Exception):
    """A push that is not authentic (bad or stale signature) or cannot be read."""


class CarrierError(Exception):
    """The carrier refused or could not be reached (the task retries)."""


@dataclass(frozen=True, slots=True)
class TrailEvent:
    """One event of a parcel's trail. ``key`` is unique per parcel (the carrier's event id),
    so an event pushed twice is stored once; ``occurred_at`` is aware."""

    key: str
    status: str
    description: str
    occurred_at: dt.datetime
    location: str = ""


@dataclass(frozen=True, slots=True)
class Push:
    """What a push carried: the parcel and its events (all so far, or only new ones), oldest
    first."""

    company: str
    number: str
    events: tuple[TrailEvent, ...]


@dataclass(frozen=True, slots=True)
class Parcel:
    """What a carrier needs to know about a parcel."""

    company: str  # the courier the store shipped with (``Shipment.carrier``: "SF", "YTO")
    number: str
    callback_url: str


class Carrier:
    """Base class of carriers. ``config`` is the store's tracking configuration."""

    code = ""
    title = ""

    def subscribe(self, parcel: Parcel, config: dict[str, Any]) -> None:
        """Ask the service to push the parcel's events to ``parcel.callback_url``; raise
        :class:`CarrierError` when it refuses (the subscription task retries)."""
        raise NotImplementedError

    def query(self, parcel: Parcel, config: dict[str, Any]) -> list[TrailEvent]:
        """The parcel's trail as the service knows it now, oldest first."""
        raise NotImplementedError

    def parse_push(self, headers: dict[str, str], body: bytes, config: dict[str, Any]) -> Push:
        """Verify and read a push; :class:`InvalidPush` when it is not authentic."""
        raise NotImplementedError

    def acknowledge(self) -> tuple[int, dict[str, Any]]:
        """The answer the service expects for a push it need not send again."""
        return 200, {"result": True}
