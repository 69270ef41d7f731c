"""Hooks the bargain plugin declares for other plugins (added through ``register_hookspecs``).
Merchant-scoped: called through the bargain's store's plugin view, inside the transaction of
the change; raising rolls the change back."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mallkit")


class BargainSpecs:
    @hookspec
    def on_bargain_finished(self, bargain: Any) -> None:
        """A bargain reached its floor: the last helper's cut landed and the starter can buy
        at the floor price now.

        When: inside the transaction of that help, after the help is stored. Parameters:
        ``bargain`` — the :class:`~mallkit.plugins.bargain.models.Bargain` as the help left it
        (``user_id`` the starter, ``current_price`` the floor, ``reached_at``). Once per
        bargain. Returns: nothing. Example: notifications tells the starter.
        """
