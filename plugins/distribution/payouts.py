"""Payout channels: how an approved withdrawal reaches the promoter.

A channel is any object with ``name``, ``title``, ``account_fields`` and ``pay(withdrawal)``;
plugins offer more through the ``register_payout_channels`` hook. ``pay`` is called after the
withdrawal moved to ``paying`` (committed), outside any transaction, and answers a
:class:`PayoutResult`: ``paid`` or ``failed`` end it at once, ``pending`` leaves it ``paying``
until the channel (or staff, for the manual channel) reports the outcome with
:func:`mallkit.plugins.distribution.wallet.finish_withdrawal`. A channel uses
``withdrawal.number`` as its idempotency key with the outside service, so a retried call
never pays twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class PayoutResult:
    status: str  # paid | pending | failed
    reference: str = ""
    message: str = ""


class PayoutChannel(Protocol):
    name: str
    title: str
    account_fields: tuple[str, ...]

    def pay(self, withdrawal: Any) -> PayoutResult: ...


class ManualBankTransfer:
    """Built in: staff transfer the money from the store's bank account themselves and mark
    the withdrawal paid (with the bank's reference) or failed."""

    name = "manual_bank"
    title = "Bank transfer (by staff)"
    account_fields = ("bank", "account_name", "account_no")

    def pay(self, withdrawal: Any) -> PayoutResult:
        return PayoutResult("pending")


MANUAL = ManualBankTransfer()
