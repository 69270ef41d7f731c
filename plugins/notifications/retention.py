"""The delivery log's purge: every event leaves a message per channel and recipient behind,
and nothing reads an e-mail's or a text's record after a while (docs/plugins/notifications.md
"How long the log is kept").

``notifications.purge``, an hourly platform job, deletes the e-mail and SMS messages that are
finished — ``sent``, ``failed`` (final unless staff send it again, which queues it anew) and
``skipped`` — created more than ``NOTIFY_LOG_RETENTION_DAYS`` (90) ago and not sent since
then, verification codes' records included. Never a ``queued`` or ``sending`` one (waiting
for quiet hours to end, for a retry, or being sent).

The in-app inbox is kept: its messages (channel ``inbox``, ``sent``) are what buyers and staff
read in their inbox, their own data, not a log. Only an in-app message that was ``skipped``
(its reader opted out, or the store's template did not render) goes with the log: it never
reached an inbox (:func:`~.service.inbox` lists ``sent`` ones only).

The period is at least 7 days: the marketing caps (``marketing_per_week``) count the
messages of the last 7 days. Deletion goes through the core's ``delete_in_batches``:
``RETENTION_BATCH_SIZE`` rows a batch through the ``(channel, status, created_at)`` index,
each batch its own short transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app

from mallkit.core.plugin_api import delete_in_batches, utcnow
from mallkit.plugins.notifications.models import FAILED, SENT, SKIPPED, Message

log = logging.getLogger("mallkit.notifications")

PURGE_TASK = "notifications.purge"
EVERY = dt.timedelta(hours=1)
DEFAULT_DAYS = 90
MIN_DAYS = 7  # the marketing caps' window (service.marketing_capped)
LOG_CHANNELS = ("email", "sms")


def retention_days() -> int:
    value = current_app.config.get("NOTIFY_LOG_RETENTION_DAYS")
    return max(MIN_DAYS, int(value) if value not in (None, "") else DEFAULT_DAYS)


def purge(now: dt.datetime | None = None) -> int:
    """Delete the finished e-mail and SMS messages (and skipped in-app ones) older than the
    retention period; how many."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days())
    old = (Message.created_at < cutoff) & (Message.sent_at.is_null() | (Message.sent_at < cutoff))
    gone = delete_in_batches(
        Message,
        Message.channel.in_(LOG_CHANNELS) & Message.status.in_((SENT, FAILED, SKIPPED)) & old,
    )
    gone += delete_in_batches(
        Message, (Message.channel == "inbox") & (Message.status == SKIPPED) & old
    )
    if gone:
        log.info("notifications purge: %s messages", gone)
    return gone


def run(task: Any) -> None:
    purge()
