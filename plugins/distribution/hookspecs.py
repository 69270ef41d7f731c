"""Hooks the distribution plugin declares for other plugins (added through
``register_hookspecs``). All are merchant-scoped: called through the store's plugin view
(for an order's commission: the store's plugins plus those enabled when it was placed),
inside the transaction of the change; raising rolls the change back."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mallkit")


class DistributionSpecs:
    @hookspec
    def on_commission_settled(self, commission: Any, promoter: Any) -> None:
        """Commission became withdrawable (moved into the promoter's balance).

        When: inside the settlement transaction, after the ledger row is written, once per
        commission record. Parameters: ``commission`` — the
        :class:`~mallkit.plugins.distribution.models.Commission` (``settled`` is what was
        added); ``promoter`` — the :class:`~mallkit.plugins.distribution.models.Promoter`
        before the credit. Returns: nothing.
        """

    @hookspec
    def on_commission_reversed(self, commission: Any, amount: int, settled: bool) -> None:
        """A refund took ``amount`` fen of a commission back.

        When: inside the refund's transaction (the core's ``on_order_refunded``), after the
        record (and, when ``settled`` is True, the promoter's balance and debt) changed.
        Returns: nothing.
        """

    @hookspec
    def on_withdrawal_finished(self, withdrawal: Any) -> None:
        """A withdrawal ended: ``withdrawal.status`` is ``paid``, ``failed`` or ``rejected``
        (for the last two the money is back in the balance).

        When: inside the transaction that ended it. Returns: nothing.
        """

    @hookspec
    def register_payout_channels(self) -> list[Any]:
        """Offer ways to pay promoters (a WeChat/Alipay transfer, the stored balance).

        When: each time a withdrawal is requested or paid, through the store's plugin view
        (so a channel is offered only where its plugin is on). Returns: collects all; a list
        of :class:`~mallkit.plugins.distribution.payouts.PayoutChannel` objects.
        """
