"""The delivery log's purge: every event leaves one delivery per endpoint behind, with its
request body, and nothing reads a finished one after a while (docs/plugins/webhooks.md
"How long deliveries are kept").

``webhooks.purge``, an hourly platform job, deletes finished deliveries — ``succeeded``, and
``failed`` ones (a failed delivery is final: nothing retries it unless staff redeliver it,
which makes it ``pending`` again) — created more than ``WEBHOOK_RETENTION_DAYS`` (30, as
Stripe keeps events; at least 1) ago and not attempted since then, so one redelivered
lately stays with its fresh answer for the period too. A ``pending`` delivery — being sent
or waiting for a retry — is never deleted. Deletion goes through the core's
``delete_in_batches``: ``RETENTION_BATCH_SIZE`` rows a batch through the ``created_at``
index, each batch its own short transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from flask import current_app

from mallkit.core.plugin_api import delete_in_batches, utcnow
from mallkit.plugins.webhooks.models import FAILED, SUCCEEDED, Delivery

log = logging.getLogger("mallkit.webhooks")

PURGE_TASK = "webhooks.purge"
EVERY = dt.timedelta(hours=1)
DEFAULT_DAYS = 30


def retention_days() -> int:
    value = current_app.config.get("WEBHOOK_RETENTION_DAYS")
    return max(1, int(value) if value not in (None, "") else DEFAULT_DAYS)


def purge(now: dt.datetime | None = None) -> int:
    """Delete the finished deliveries older than the retention period; how many."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days())
    gone = delete_in_batches(
        Delivery,
        (Delivery.created_at < cutoff)
        & Delivery.status.in_((SUCCEEDED, FAILED))
        & (Delivery.last_attempt_at.is_null() | (Delivery.last_attempt_at < cutoff)),
    )
    if gone:
        log.info("webhooks purge: %s deliveries", gone)
    return gone


def run(task: Any) -> None:
    purge()
