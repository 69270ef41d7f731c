"""Hooks the livechat plugin declares for other plugins (added through
``register_hookspecs``)."""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("mallkit")


class LivechatSpecs:
    @hookspec
    def livechat_queue_priority(self, merchant_id: int, buyer_id: int) -> int | None:
        """How far ahead of others a buyer's conversation waits in the store's queue.

        When: a buyer's message finds no agent online and the conversation enters the
        queue. Returns: collects all; the highest answer wins (``None`` and no answers: 0).
        Staff see the queue highest priority first, then longest waiting — a membership
        plugin gives its top levels a dedicated place at the front this way.
        Applies: merchant-scoped (the conversation's store).
        """
