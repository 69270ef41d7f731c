"""Hooks the groupbuy plugin declares for other plugins (added through
``register_hookspecs``). Both are merchant-scoped: called through the group's merchant's
plugin view, inside the transaction that ends the group; raising rolls the ending back (the
expiry task then retries)."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mallkit")


class GroupbuySpecs:
    @hookspec
    def on_group_succeeded(self, group: Any, members: list[Any]) -> None:
        """A group succeeded (full, or by simulation at expiry: ``group.simulated``).

        When: inside the transaction that closed the group, after every paid member's order
        moved from ``awaiting_group`` to ``paid``. Parameters: ``group`` — the
        :class:`~mallkit.plugins.groupbuy.models.Group`; ``members`` — its paid
        :class:`~mallkit.plugins.groupbuy.models.Member` rows (``order_id``, ``user_id``,
        ``inviter_id`` for attribution). Returns: nothing.
        """

    @hookspec
    def on_group_failed(self, group: Any, members: list[Any]) -> None:
        """A group expired without enough members and was not simulated to success.

        When: inside the transaction that closed the group, after a full refund was created
        for every paid member (``reason="group_failed"``, sent through the channel they paid
        with). Parameters: ``members`` — the members refunded. Returns: nothing.
        """
