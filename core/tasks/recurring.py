"""Recurring jobs: ``JobHandler(kind, run, daily_at=datetime.time(3, 0))`` runs once a day
per merchant, at that wall-clock time in the merchant's ``timezone``.

A recurring job is a chain of ordinary durable tasks (:mod:`.queue`), one per merchant and
local date: kind ``kind``, ``merchant_id``, ``payload={"local_date": "2026-11-27"}``,
``dedupe_key="<kind>:<merchant_id>:<local date>"`` and ``run_at`` the UTC instant of that
local time. Who runs it: every merchant that has the owning plugin enabled, every active
merchant for a platform-level plugin; a deactivated merchant's chain stops and starts again
once it is active.

- **First occurrence.** Enabling the plugin schedules it (the core's ``task_defaults`` plugin
  implements ``on_plugin_enabled``), in the enabling transaction. Platform-level plugins, new
  merchants and plugins that gained a recurring job in an upgrade are picked up by
  :func:`ensure_scheduled`, which every worker runs when it starts and then every
  ``TASK_RECURRING_SWEEP_SECONDS`` (10 minutes by default).
- **Next occurrence.** As a run *starts*, in a short transaction of its own, the worker
  schedules the next one — the first occurrence after now, so missed days (a worker down for
  a weekend) are coalesced into one run, and a run that fails for good does not end the
  chain. The same transaction re-checks the merchant still qualifies; if not, the task is
  ``cancelled`` unrun and the chain ends.
- **Disabling** the plugin cancels the merchant's pending occurrence (``on_plugin_disabled``).
  Since a cancelled task no longer holds its dedupe key, enabling it again the same day
  schedules that day's run again if its time is still ahead.
- **Periodic platform jobs** (``JobHandler(kind, run, every=timedelta(hours=1))``): one task
  at a time for the whole platform (``merchant_id`` None), one per period of ``every``
  aligned on the Unix epoch, ``dedupe_key="<kind>:every:<period start>"``; the next period is
  scheduled as a run starts, and :func:`ensure_periodic` starts the chain (or restarts it)
  with the current period when no task of the kind is pending or running.
- **Time zones and DST** (:mod:`zoneinfo`): each local date has exactly one run. A time that
  does not exist that day (skipped by a spring-forward change) runs as many minutes after the
  change as it fell into the gap — 02:30 becomes 03:30; a time that happens twice (autumn)
  runs at the first. A merchant that changes time zone keeps its scheduled occurrence; the
  ones after it follow the new zone.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import zoneinfo
from typing import Any

import peewee as pw

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.db import as_utc, transaction, utcnow
from mallkit.core.plugin_store import MerchantPlugin
from mallkit.core.plugins import get_host
from mallkit.core.tasks.queue import (
    CANCELLED,
    LIVE,
    PENDING,
    JobHandler,
    ScheduledTask,
    _held_by,
    handler_owner,
    periodic_handlers,
    recurring_handlers,
    schedule,
)

log = logging.getLogger("mallkit.tasks")

DEFAULT_SWEEP_SECONDS = 600


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The merchant's time zone; UTC (logged) for a name this system does not know."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r: recurring jobs run on UTC", name)
        return zoneinfo.ZoneInfo("UTC")


def occurrence(day: dt.date, at: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """The UTC instant (naive, like every stored time) of ``at`` on local date ``day``."""
    local = dt.datetime.combine(day, at.replace(fold=0), tzinfo=tz)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def next_occurrence(at: dt.time, tz: dt.tzinfo, after: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The first local date whose occurrence of ``at`` is strictly after ``after`` (naive UTC),
    with that occurrence."""
    today = after.replace(tzinfo=dt.UTC).astimezone(tz).date()
    for offset in range(-1, 3):
        day = today + dt.timedelta(days=offset)
        when = occurrence(day, at, tz)
        if when > after:
            return day, when
    raise AssertionError("unreachable: some day in the next three has one")  # pragma: no cover


def dedupe_key(kind: str, merchant_id: int, day: dt.date) -> str:
    return f"{kind}:{merchant_id}:{day.isoformat()}"


def schedule_next(
    handler: JobHandler, merchant_id: int, timezone: str, *, after: dt.datetime | None = None
) -> ScheduledTask:
    """Schedule the merchant's first occurrence of ``handler`` after ``after`` (default: now);
    idempotent — the task already holding that date's key is returned."""
    assert handler.daily_at is not None
    day, when = next_occurrence(handler.daily_at, zone(timezone), after or utcnow())
    return schedule(
        handler.kind,
        run_at=when,
        payload={"local_date": day.isoformat()},
        merchant_id=merchant_id,
        dedupe_key=dedupe_key(handler.kind, merchant_id, day),
    )


def period_start(every: dt.timedelta, at: dt.datetime) -> dt.datetime:
    """The start of the period of length ``every`` (aligned on the Unix epoch) holding ``at``."""
    seconds = every.total_seconds()
    start = math.floor(as_utc(at).replace(tzinfo=dt.UTC).timestamp() / seconds) * seconds
    return dt.datetime.fromtimestamp(start, tz=dt.UTC).replace(tzinfo=None)


def schedule_period(handler: JobHandler, start: dt.datetime) -> ScheduledTask:
    """The periodic job's task for the period starting at ``start`` (idempotent: the key names
    the period)."""
    return schedule(
        handler.kind, run_at=start, dedupe_key=f"{handler.kind}:every:{start:%Y%m%dT%H%M%S}"
    )


def _is_platform(plugin: str) -> bool:
    loaded = get_host().plugins.get(plugin)
    return loaded is not None and loaded.meta.level == "platform"


def _enabled_for(plugin: str) -> pw.Expression:
    """Merchants (``Merchant.id``) the plugin runs for: active ones, and for a merchant-level
    plugin only those with an enabled ``merchant_plugin`` row."""
    condition = Merchant.is_active == True  # noqa: E712 (a SQL expression)
    if not _is_platform(plugin):
        enabled = MerchantPlugin.select(MerchantPlugin.id).where(
            (MerchantPlugin.merchant == Merchant.id)
            & (MerchantPlugin.plugin == plugin)
            & (MerchantPlugin.enabled == True)  # noqa: E712
        )
        condition &= pw.fn.EXISTS(enabled)
    return condition


def runs_for(plugin: str, merchant_id: int) -> bool:
    """Whether ``plugin``'s recurring jobs run for the merchant now (read in the caller's
    transaction, not from a cached view)."""
    return (
        Merchant.select(Merchant.id)
        .where((Merchant.id == merchant_id) & _enabled_for(plugin))
        .exists()
    )


# -- the core's wiring -------------------------------------------------------------------------


def plugin_enabled(merchant: Merchant, plugin: str, *, now: dt.datetime | None = None) -> int:
    """Schedule the first occurrence of each recurring job of ``plugin`` for the merchant (in
    the enabling transaction); how many jobs the plugin has."""
    owned = [h for h, owner in recurring_handlers() if owner == plugin]
    if not merchant.is_active:
        return 0
    for handler in owned:
        schedule_next(handler, merchant.id, merchant.timezone, after=now)
    return len(owned)


def plugin_disabled(merchant: Merchant, plugin: str, *, now: dt.datetime | None = None) -> int:
    """Cancel the merchant's pending occurrences of ``plugin``'s recurring jobs; how many. An
    occurrence already running finishes and schedules nothing after it."""
    kinds = [h.kind for h, owner in recurring_handlers() if owner == plugin]
    if not kinds:
        return 0
    return (
        ScheduledTask.update(status=CANCELLED, finished_at=now or utcnow(), locked_until=None)
        .where(
            ScheduledTask.kind.in_(kinds)
            & (ScheduledTask.merchant_id == merchant.id)
            & (ScheduledTask.status == PENDING)
        )
        .execute()
    )


def ensure_scheduled(now: dt.datetime | None = None) -> int:
    """Schedule the next occurrence of every recurring job for every merchant it runs for and
    that has none pending or running; how many were scheduled. Idempotent and safe to run
    from several workers at once (the dedupe keys decide: racing sweeps may both count one)."""
    now = now or utcnow()
    created = 0
    for handler, plugin in recurring_handlers():
        live = ScheduledTask.select(ScheduledTask.id).where(
            (ScheduledTask.kind == handler.kind)
            & (ScheduledTask.merchant_id == Merchant.id)
            & ScheduledTask.status.in_(LIVE)
        )
        missing = (
            Merchant.select(Merchant.id, Merchant.timezone)
            .where(_enabled_for(plugin) & ~pw.fn.EXISTS(live))
            .order_by(Merchant.id)
            .tuples()
        )
        for merchant_id, timezone in list(missing):
            with transaction():
                schedule_next(handler, merchant_id, timezone, after=now)
            created += 1
    return created


def ensure_periodic(now: dt.datetime | None = None) -> int:
    """Start the chain of every periodic platform job that has no task pending or running,
    with the current period (due at once); how many were started. Workers call it with
    :func:`ensure_scheduled`; racing workers agree through the period's dedupe key."""
    now = now or utcnow()
    created = 0
    for handler in periodic_handlers():
        live = ScheduledTask.select(ScheduledTask.id).where(
            (ScheduledTask.kind == handler.kind)
            & ScheduledTask.merchant_id.is_null()
            & ScheduledTask.status.in_(LIVE)
        )
        if not live.exists():
            with transaction():
                schedule_period(handler, period_start(handler.every, now))
            created += 1
    return created


def begin_run(task: ScheduledTask, handler: JobHandler, worker_id: str, now: dt.datetime) -> bool:
    """Before a recurring task runs (the worker calls this): in one short transaction, check
    the merchant still qualifies and schedule the next occurrence. False when the task must not
    run: its lease was lost, or it was cancelled here because the plugin is off for the
    merchant (or the merchant inactive)."""
    with transaction():
        if not ScheduledTask.select(ScheduledTask.id).where(_held_by(task.id, worker_id)).exists():
            return False
        if handler.every is not None:  # a periodic platform job: the next period's task
            schedule_period(handler, period_start(handler.every, now) + handler.every)
            return True
        plugin = handler_owner(handler.kind)
        merchant = (
            Merchant.get_or_none(Merchant.id == task.merchant_id)
            if task.merchant_id is not None
            else None
        )
        if merchant is None or plugin is None or not runs_for(plugin, merchant.id):
            (
                ScheduledTask.update(
                    status=CANCELLED,
                    finished_at=now,
                    locked_until=None,
                    last_error=f"not run: plugin {plugin!r} is off for this merchant",
                )
                .where(_held_by(task.id, worker_id))
                .execute()
            )
            log.info("task %s (%s): merchant no longer qualifies, chain ends", task.id, task.kind)
            return False
        schedule_next(handler, merchant.id, merchant.timezone, after=now)
    return True


def sweep_interval(config: Any) -> float:
    value = config.get("TASK_RECURRING_SWEEP_SECONDS")
    return float(value if value not in (None, "") else DEFAULT_SWEEP_SECONDS)
