"""The payment channel interface plugins implement and register with
``register_payment_channels``.

The core owns attempts, idempotency and the amount check; a channel only speaks its gateway's
protocol. Every method gets a :class:`ChannelContext` with the merchant and its decrypted
plugin config, so one channel object serves every merchant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mallkit.core.errors import MallkitError


class InvalidNotification(MallkitError):
    """A notification that fails verification (signature, timestamp, decryption, ids)."""

    status = 400
    code = "invalid_notification"


@dataclass(frozen=True)
class ChannelContext:
    merchant: Any
    config: dict[str, Any]
    notify_url: str = ""


@dataclass(frozen=True)
class ChannelPayment:
    """What the gateway says about a payment (from a query or a notification)."""

    attempt_number: str
    status: str  # "paid" | "pending" | "closed" | "failed"
    txn_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    paid_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelRefund:
    """What the gateway says about a refund."""

    refund_number: str
    status: str  # "succeeded" | "pending" | "failed"
    channel_refund_id: str | None = None
    amount: int | None = None
    failure: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """A verified notification: a payment or a refund."""

    kind: str  # "payment" | "refund"
    payment: ChannelPayment | None = None
    refund: ChannelRefund | None = None


@dataclass(frozen=True)
class Acknowledgement:
    """The exact HTTP reply a gateway expects."""

    body: str | bytes
    status: int = 200
    content_type: str = "text/plain"


class PaymentChannel:
    """Base class of a payment channel. Subclasses set ``code``, ``plugin`` and ``title``.

    ``plugin`` is the name of the plugin that provides the channel: a merchant may pay through
    it only when that plugin is enabled for the merchant.
    """

    code: str = ""
    plugin: str = ""
    title: str = ""
    methods: tuple[str, ...] = ()

    def create(
        self, ctx: ChannelContext, attempt: Any, order: Any, params: dict[str, Any]
    ) -> dict[str, Any]:
        """Open the payment at the gateway; return what the client needs (``code_url``,
        invoke parameters, a redirect URL ...). Raise a ``MallkitError`` on refusal."""
        raise NotImplementedError

    def query(self, ctx: ChannelContext, attempt: Any) -> ChannelPayment:
        """Ask the gateway for the payment's state (reconciliation, before auto-cancel)."""
        raise NotImplementedError

    def close(self, ctx: ChannelContext, attempt: Any) -> None:
        """Close an unpaid payment at the gateway so it can no longer be paid."""
        raise NotImplementedError

    def refund(self, ctx: ChannelContext, attempt: Any, refund: Any) -> ChannelRefund:
        """Send a refund; ``refund.number`` is the idempotency key (out-refund-no) and the
        same number is sent on every retry."""
        raise NotImplementedError

    def query_refund(self, ctx: ChannelContext, attempt: Any, refund: Any) -> ChannelRefund:
        raise NotImplementedError

    def parse_notification(
        self, ctx: ChannelContext, headers: dict[str, str], body: bytes, form: dict[str, str]
    ) -> Notification:
        """Verify and decode a notification; raise :class:`InvalidNotification` when it does
        not verify. Nothing is trusted before this returns."""
        raise InvalidNotification(f"channel {self.code!r} takes no notifications")

    def acknowledge(self, ok: bool, message: str = "") -> Acknowledgement:
        """The reply the gateway expects for a processed (``ok``) or refused notification."""
        return Acknowledgement("success" if ok else "fail", 200 if ok else 400)
