"""Hooks the reviews plugin declares for other plugins (added through ``register_hookspecs``).
Merchant-scoped: called through the review's merchant's plugin view."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mallkit")


class ReviewsSpecs:
    @hookspec
    def on_review_published(self, review: Any) -> None:
        """A buyer's review became visible for the first time: reward it (points, growth).

        When: inside the transaction that wrote the review — at once, or when staff show a
        review the sensitive-word filter held back; once per review however often it is hidden
        and shown again; never for an automatic 5★ review. Raising rolls the review back and
        the buyer gets the error. Parameters: ``review`` — the
        :class:`~mallkit.plugins.reviews.models.Review` (``buyer_id``, ``order_line_id``,
        ``has_photos``, ``text``). Returns: nothing.
        """
