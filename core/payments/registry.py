"""The registered payment channels: which a merchant may use, the context a channel call
gets, and the payment log every call and notification writes to."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_request_context, request

from mallkit.core import metrics
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.db import on_commit
from mallkit.core.errors import Conflict, NotFound
from mallkit.core.payments.channel import ChannelContext, PaymentChannel
from mallkit.core.payments.models import PaymentLog
from mallkit.core.plugins import get_host, merchant_plugins

log = logging.getLogger("mallkit.payments")


def channels() -> dict[str, PaymentChannel]:
    """Every registered channel by code (collected once per app)."""
    host = get_host()
    found = host.cache.get("payment_channels")
    if found is None:
        found = {}
        for items in host.hook.register_payment_channels():
            for channel in items or ():
                if channel.code in found:
                    raise Conflict(f"payment channel {channel.code!r} registered twice")
                found[channel.code] = channel
        host.cache["payment_channels"] = found
    return found


def enabled_channels(merchant_id: int) -> list[PaymentChannel]:
    """Channels whose plugin the merchant has enabled (platform-level ones always)."""
    view = merchant_plugins(merchant_id)
    host = get_host()
    out = []
    for channel in channels().values():
        loaded = host.plugins.get(channel.plugin)
        if loaded and (loaded.meta.level == "platform" or view.is_enabled(channel.plugin)):
            out.append(channel)
    return sorted(out, key=lambda c: c.code)


def channel_for(merchant_id: int, code: str) -> PaymentChannel:
    for channel in enabled_channels(merchant_id):
        if channel.code == code:
            return channel
    raise NotFound(
        f"payment channel {code!r} is not available for this store",
        code="channel_unavailable",
        errors={"channel": [code]},
    )


def context(merchant: Merchant, channel: PaymentChannel) -> ChannelContext:
    config = merchant_plugins(merchant.id).config(channel.plugin)
    base = current_app.config.get("PUBLIC_BASE_URL") or (
        request.host_url.rstrip("/") if has_request_context() else ""
    )
    notify = f"{base}/api/v1/payments/notify/{channel.code}/{merchant.id}"
    return ChannelContext(merchant=merchant, config=config, notify_url=notify)


def record_log(
    merchant_id: int | None, channel: str, action: str, reference: str, verdict: str, **detail: Any
) -> None:
    """Log a channel call or notification with its verdict (outside the business
    transaction's fate only when called outside one)."""
    PaymentLog.create(
        merchant_id=merchant_id,
        channel=channel,
        action=action,
        reference=reference,
        verdict=verdict,
        detail=detail,
    )
    log.info("payment %s %s %s: %s %s", channel, action, reference, verdict, detail or "")
    if action == "notify":  # counted once the log row commits
        on_commit(lambda: metrics.count_payment_notification(channel, verdict))
