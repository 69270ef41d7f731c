"""Hooks the analytics plugin declares for other plugins (added through
``register_hookspecs``)."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mallkit")


class AnalyticsSpecs:
    @hookspec
    def own_ads(self, merchant: Any, ad_ids: list[int]) -> list[int]:
        """Which of ``ad_ids`` are the store's own ads (the ``ads`` plugin's creatives).

        When: each time the collector receives events carrying an ``ad_id``, through the
        store's plugin view (so only plugins the store enabled answer). Returns: the ids it
        knows as the store's; collects all. An ``ad_id`` no plugin claims refuses the batch
        (``unknown_ads``), so a store's ads report counts only its own ads.
        """
