"""Hooks the aftersales plugin declares for other plugins (added through
``register_hookspecs``), so they react to a case without aftersales knowing them.

All are merchant-scoped (the case's merchant's plugins), called inside the transaction of
the change; raising rolls the change back — except ``on_aftersale_completed``, which is
*isolated* like the core's ``on_order_refunded`` (the money has left): an exception is logged
and rolls back only that plugin's writes. Effects every refund already has (points, growth,
commission, the order's refund status, stock) come from the core's ``on_order_refunded``;
these hooks are for what depends on the case itself.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mallkit")


class AftersalesSpecs:
    @hookspec
    def on_aftersale_approved(self, case: Any, order: Any) -> None:
        """A case was approved (by staff, by the platform, or automatically when the merchant
        did not act in time).

        When: inside the approval's transaction; for a refund-only case the refund is already
        created (``case.refund_id``, pending). Parameters: ``case`` — the
        :class:`~mallkit.plugins.aftersales.models.Case` (``type``, ``order_line_id``,
        ``quantity``, ``amount``, ``decided_by``); ``order`` — its ``Order``. Returns: nothing.
        """

    @hookspec
    def on_aftersale_completed(self, case: Any, order: Any, refund: Any) -> None:
        """A case succeeded: its refund was reported succeeded by the channel, or its
        replacement was reshipped (an exchange; ``refund`` is None).

        When: inside the transaction that records it — for money, the one in which the core
        ran ``on_order_refunded`` (so the order's ``refund_status`` is current). Isolated.
        Parameters: ``case`` — the completed case; ``order`` — its ``Order``, reloaded;
        ``refund`` — the core ``Refund`` or None. Example: coupons gives the order's coupon
        back when every line it discounted has been refunded (``return_on_aftersale``).
        """

    @hookspec
    def on_aftersale_closed(self, case: Any, order: Any) -> None:
        """A case ended without success: rejected, cancelled by the buyer, closed because
        the goods never came back, or refused on receipt (``case.status`` says which;
        ``case.decision_note`` why). The line is free for a new application.

        When: inside the transaction of the change. Returns: nothing.
        """
