"""Hooks the invoices plugin declares for other plugins (added through
``register_hookspecs``)."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("mallkit")


class InvoicesSpecs:
    @hookspec
    def register_invoice_providers(self) -> list[Any]:
        """Issuing providers (objects with ``name``, ``issue`` and ``reverse``; see
        :class:`~mallkit.plugins.invoices.providers.InvoiceProvider`) a store may pick with
        the invoices ``provider`` setting.

        When: each time a store issues or reverses an invoice, through the store's plugin
        view (so only plugins the store enabled offer providers). Returns: a list; collects
        all. The built-in ``manual`` provider is always there.
        """
