"""retention_defaults: the scheduled purge of rows nothing needs after a while (a core default
plugin, :data:`mallkit.core.plugins.DEFAULT_PLUGINS`; docs/deployment.md "Retention").

Every order leaves durable tasks, idempotency records, tokens and gateway logs behind; this
periodic platform job (``core.retention.purge``, hourly by default) removes

- finished durable tasks: ``done`` and ``cancelled`` after ``RETENTION_TASK_DAYS`` (7),
  ``failed`` after ``RETENTION_FAILED_TASK_DAYS`` (30; operators retry them until then);
- idempotency records after ``RETENTION_IDEMPOTENCY_DAYS`` (7): a retry with the same key
  after that runs again, as with Stripe's 24 hours;
- access tokens at once when expired or revoked (they can never be used again), and
  one-time verification codes a day after they expired;
- payment gateway logs after the merchant's record-keeping period
  (``record_keeping_days`` in its order settings, at least 1,095 days — the PRC E-Commerce
  Law's three years for transaction records — by default 1,095); logs with no merchant after
  ``RETENTION_PLATFORM_LOG_DAYS`` (1,095).

It deletes in batches of ``RETENTION_BATCH_SIZE`` (1,000) rows, found through an index and
deleted by primary key, each batch its own short transaction, so it never holds a lock on a
hot table for long: on PostgreSQL a batch locks only the rows it deletes (finished tasks no
worker claims), on SQLite it holds the write lock for one batch. The age of a finished task
is its ``run_at``, which the ``(status, run_at)`` index the workers claim through covers.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import peewee as pw
from flask import current_app, has_app_context

from mallkit.core.accounts.codes import VerificationCode
from mallkit.core.accounts.models import AccessToken
from mallkit.core.db import transaction, utcnow
from mallkit.core.idempotency import IdempotencyKey
from mallkit.core.orders.models import OrderSettings
from mallkit.core.payments.models import PaymentLog
from mallkit.core.plugins import PluginMeta
from mallkit.core.tasks.queue import CANCELLED, DONE, FAILED, JobHandler, ScheduledTask
from mallkit.hookspecs import hookimpl

log = logging.getLogger("mallkit.retention")

PURGE = "core.retention.purge"
RECORD_KEEPING_MIN_DAYS = 1095

DEFAULTS = {
    "RETENTION_EVERY_MINUTES": 60,
    "RETENTION_BATCH_SIZE": 1000,
    "RETENTION_TASK_DAYS": 7,
    "RETENTION_FAILED_TASK_DAYS": 30,
    "RETENTION_IDEMPOTENCY_DAYS": 7,
    "RETENTION_PLATFORM_LOG_DAYS": RECORD_KEEPING_MIN_DAYS,
}

meta = PluginMeta(
    name="retention_defaults",
    version="1.0.0",
    title="Retention",
    description="Purges finished tasks, old idempotency records, dead tokens and old gateway "
    "logs in small batches.",
    level="platform",
    category="core",
    title_zh="数据保留清理",
    description_zh="分小批清理已完成的任务、过期的幂等记录、失效的令牌和过期的支付网关日志。",
)


def setting(name: str) -> int:
    value = current_app.config.get(name) if has_app_context() else None
    return int(value if value not in (None, "") else DEFAULTS[name])


def delete_in_batches(model: type[pw.Model], where: pw.Expression, batch: int | None = None) -> int:
    """Delete the rows of ``model`` matching ``where``, ``batch`` at a time (by default
    ``RETENTION_BATCH_SIZE``), each batch its own transaction; how many.

    A batch is chosen by primary key (``model.id``) with no ``ORDER BY``, read straight off
    whichever index covers ``where`` — give it one (an age range on an indexed column), or
    every batch scans the table. A row that no longer matches ``where`` when its batch is
    deleted (another transaction changed it since it was read) stays. Call it outside any
    transaction (a job with ``in_transaction=False``): inside one, the batches only nest as
    savepoints and the locks last until the caller commits. Part of the plugin API (since
    1.4)."""
    batch = setting("RETENTION_BATCH_SIZE") if batch is None else batch
    if batch < 1:
        raise ValueError("batch must be at least 1")
    total = 0
    while True:
        with transaction():
            ids = [
                row_id
                # no ORDER BY: any ``batch`` matching rows, read straight off the index
                for (row_id,) in model.select(model.id).where(where).limit(batch).tuples()
            ]
            if ids:
                # ``where`` again: a row that stopped matching since it was read (a failed task
                # an operator retries on PostgreSQL, whose read does not lock it) stays
                total += model.delete().where(model.id.in_(ids) & where).execute()
        if len(ids) < batch:
            return total


def _payment_logs(now: dt.datetime, batch: int) -> int:
    """Gateway logs older than their merchant's record-keeping period (each distinct period
    is one pass, so the condition stays a plain range on the ``at`` index)."""
    periods = {
        max(int(days), RECORD_KEEPING_MIN_DAYS)
        for (days,) in OrderSettings.select(OrderSettings.record_keeping_days).distinct().tuples()
    }
    default = RECORD_KEEPING_MIN_DAYS
    total = 0
    for days in sorted(periods | {default}):
        chosen = OrderSettings.select(OrderSettings.merchant_id).where(
            OrderSettings.record_keeping_days == days
        )
        cutoff = now - dt.timedelta(days=days)
        if days == default:  # merchants without a settings row keep the default too
            custom = OrderSettings.select(OrderSettings.merchant_id).where(
                OrderSettings.record_keeping_days != days
            )
            who = PaymentLog.merchant_id.is_null(False) & PaymentLog.merchant_id.not_in(custom)
        else:
            who = PaymentLog.merchant_id.in_(chosen)
        total += delete_in_batches(PaymentLog, (PaymentLog.at < cutoff) & who, batch)
    platform_cutoff = now - dt.timedelta(days=setting("RETENTION_PLATFORM_LOG_DAYS"))
    total += delete_in_batches(
        PaymentLog, (PaymentLog.at < platform_cutoff) & PaymentLog.merchant_id.is_null(), batch
    )
    return total


def purge(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what has outlived its retention; how many rows of each kind."""
    now = now or utcnow()
    batch = setting("RETENTION_BATCH_SIZE")
    finished = ScheduledTask.status.in_((DONE, CANCELLED)) & (
        ScheduledTask.run_at < now - dt.timedelta(days=setting("RETENTION_TASK_DAYS"))
    )
    failed = (ScheduledTask.status == FAILED) & (
        ScheduledTask.run_at < now - dt.timedelta(days=setting("RETENTION_FAILED_TASK_DAYS"))
    )
    counts = {
        "tasks": delete_in_batches(ScheduledTask, finished, batch)
        + delete_in_batches(ScheduledTask, failed, batch),
        "idempotency_keys": delete_in_batches(
            IdempotencyKey,
            IdempotencyKey.created_at
            < now - dt.timedelta(days=setting("RETENTION_IDEMPOTENCY_DAYS")),
            batch,
        ),
        "tokens": delete_in_batches(
            AccessToken,
            (AccessToken.expires_at < now) | AccessToken.revoked_at.is_null(False),
            batch,
        ),
        "verification_codes": delete_in_batches(
            VerificationCode, VerificationCode.expires_at < now - dt.timedelta(days=1), batch
        ),
        "payment_logs": _payment_logs(now, batch),
    }
    if any(counts.values()):
        log.info("retention purge: %s", counts)
    return counts


def _run(task: Any) -> None:
    purge()


@hookimpl
def register_job_handlers():
    return [
        JobHandler(
            PURGE,
            _run,
            in_transaction=False,  # one short transaction per batch, not one long one
            every=dt.timedelta(minutes=setting("RETENTION_EVERY_MINUTES")),
        )
    ]
