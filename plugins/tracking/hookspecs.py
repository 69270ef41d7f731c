"""Hooks the tracking plugin declares for other plugins (added through
``register_hookspecs``)."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mallkit")


class TrackingSpecs:
    @hookspec
    def register_carriers(self) -> list[Any]:
        """Tracking carriers (objects with ``code``, ``subscribe``, ``query`` and
        ``parse_push``; see :class:`~mallkit.plugins.tracking.carriers.Carrier`) a store may
        pick with the tracking ``carrier`` setting — a courier's own API or an aggregator.

        When: each time a parcel is subscribed, refreshed or a push arrives, through the
        store's plugin view (only plugins the store enabled offer carriers). Returns: a list;
        collects all. The built-in ``sim`` carrier (the local tracking simulator) is always
        there.
        """
