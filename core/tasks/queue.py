"""Durable scheduled tasks: the ``scheduled_task`` table, scheduling, and running due tasks.

Time-driven work (auto-cancel an unpaid order, expire a group, unfreeze a commission) is a row
written with :func:`schedule` *in the transaction of the business change*, so the change and
its task commit or roll back together. The same table is the outbox for after-commit work: a
task without ``run_at``/``delay`` is due at once.

A worker (:mod:`mallkit.core.tasks.worker`, ``mallkit worker``) calls :func:`run_due`, which

1. *claims* due tasks in one short transaction — ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
   a ``BEGIN IMMEDIATE`` compare-and-set on SQLite — marking them ``running`` under a lease
   (``locked_by``, ``locked_until``). A task whose lease ran out (its worker died) is
   claimable again, so nothing is lost on a crash or restart;
2. runs each claimed task in *its own* transaction: the handler's database work and the task
   becoming ``done`` commit together, guarded by a compare-and-set on the lease holder, so the
   database effect of a task happens exactly once however many workers run;
3. on an exception, rolls the handler's work back and, in a new transaction, stores the error
   and retries later with exponential backoff, or marks the task ``failed`` after
   ``max_attempts``.

Handlers are :class:`JobHandler` items, every plugin's ``register_job_handlers`` result — the
core's own handlers too, which come from its default plugins (``order_defaults``,
``payment_defaults``). A handler
is called as ``run(task)`` and must be idempotent: effects outside the database (a call to a
payment gateway) may happen again when a worker dies after them and before its commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import peewee as pw
from flask import Flask, current_app

from mallkit.core import audit
from mallkit.core.db import (
    BaseModel,
    JSONField,
    Param,
    Prepared,
    as_utc,
    instance,
    transaction,
    utcnow,
)
from mallkit.core.errors import Conflict, NotFound, PluginLoadError

log = logging.getLogger("mallkit.tasks")

PENDING, RUNNING, DONE, FAILED, CANCELLED = "pending", "running", "done", "failed", "cancelled"
STATUSES = (PENDING, RUNNING, DONE, FAILED, CANCELLED)

DEFAULT_LEASE_SECONDS = 300
DEFAULT_RETRY_MAX_SECONDS = 3600
_ERROR_MAX_CHARS = 1000


@dataclass(frozen=True, slots=True)
class JobHandler:
    """A durable-task handler: ``run(task)`` runs the ``scheduled_task`` rows of ``kind``.

    ``run`` receives the :class:`ScheduledTask` (read ``task.payload`` and
    ``task.merchant_id``), runs inside the task's own transaction (its database writes commit
    with the task marked ``done`` and roll back when it raises) and returns nothing. It must be
    idempotent. ``max_attempts``: how often a task is tried before it is marked ``failed``,
    unless the task was scheduled with its own. Returned by ``register_job_handlers`` or
    by a core default plugin (:mod:`mallkit.core.orders.defaults`, ...).

    ``in_transaction=False`` is for handlers that call out over the network (a gateway query,
    a refund): they run outside any transaction — on SQLite a transaction holds the database's
    write lock, and nobody should wait on a gateway for it — and open their own short ones;
    the task is marked ``done`` after they return. Such a handler may run again after a crash
    between its work and that mark, so it must check the current state first.

    ``daily_at`` (a naive :class:`datetime.time`) makes the handler a *recurring job*: one task
    per merchant that has the owning plugin enabled (every active merchant for a
    platform-level plugin) runs each day at that local time in the merchant's ``timezone``;
    ``task.payload["local_date"]`` is the merchant's date it runs for. The core schedules the
    first occurrence when the plugin is enabled, the next one as each run starts, and cancels
    the pending one when the plugin is disabled (:mod:`mallkit.core.tasks.recurring`).

    ``every`` (a positive :class:`datetime.timedelta`, not with ``daily_at``) makes it a
    *periodic platform job*: one task at a time across all workers (``merchant_id`` None), run
    once per period, periods aligned on multiples of ``every`` since the Unix epoch — the
    core's retention purge runs hourly this way. The next period's task is scheduled as each
    run starts; missed periods coalesce into one run.
    """

    kind: str
    run: Callable[..., Any]
    max_attempts: int = 5
    in_transaction: bool = True
    daily_at: dt.time | None = None
    every: dt.timedelta | None = None


class ScheduledTask(BaseModel):
    """A durable task: run the handler registered for ``kind`` at ``run_at`` (UTC).

    ``status``: ``pending`` → ``running`` (claimed under a lease) → ``done``; back to
    ``pending`` with a later ``run_at`` after a failed attempt, ``failed`` once
    ``max_attempts`` are spent, ``cancelled`` by :func:`cancel`. ``attempts`` counts the
    times the task was claimed, so a run cut short by a dying worker counts as an attempt (a
    task that keeps killing its workers is given up). ``max_attempts`` None means the
    handler's ``JobHandler.max_attempts``. ``locked_by`` names the worker that last held it.
    ``dedupe_key`` is held while the task is ``pending`` or ``running`` (a partial unique index,
    :data:`LIVE`): scheduling a held key returns that task; a finished task frees its key.
    """

    kind = pw.CharField(max_length=100)
    merchant_id = pw.IntegerField(null=True, index=True)
    payload = JSONField(default=dict)
    run_at = pw.DateTimeField(default=utcnow)
    status = pw.CharField(max_length=16, default=PENDING)
    attempts = pw.IntegerField(default=0)
    max_attempts = pw.IntegerField(null=True)
    last_error = pw.TextField(default="")
    locked_by = pw.CharField(max_length=100, null=True)
    locked_until = pw.DateTimeField(null=True)
    dedupe_key = pw.CharField(max_length=200, null=True)
    created_at = pw.DateTimeField(default=utcnow)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "scheduled_task"
        indexes = ((("status", "run_at"), False),)

    def __repr__(self) -> str:
        return f"<ScheduledTask {self.id} {self.kind} {self.status}>"


# The states in which a task holds its dedupe key (migration 0007_task_dedupe).
LIVE = (PENDING, RUNNING)
ScheduledTask.add_index(
    ScheduledTask.index(ScheduledTask.dedupe_key, name="scheduled_task_dedupe_key_any")
)
# Abandoned tasks are found through this (migration 0020): only running rows are in it, so a
# long history of finished tasks never slows a claim; due ones through (status, run_at).
ScheduledTask.add_index(
    ScheduledTask.index(
        ScheduledTask.locked_until,
        where=ScheduledTask.status == RUNNING,
        name="scheduled_task_running",
    )
)
ScheduledTask.add_index(
    ScheduledTask.index(
        ScheduledTask.dedupe_key,
        unique=True,
        where=ScheduledTask.status.in_(LIVE),
        name="scheduled_task_dedupe_key_live",
    )
)


# -- scheduling (in the caller's transaction) ------------------------------------------------


def _live_by_dedupe_key(dedupe_key: str) -> ScheduledTask | None:
    return ScheduledTask.get_or_none(
        (ScheduledTask.dedupe_key == dedupe_key) & ScheduledTask.status.in_(LIVE)
    )


_SCHEDULE_TRIES = 5
_SCHEDULED_FIELDS = (
    "kind",
    "merchant_id",
    "payload",
    "run_at",
    "status",
    "attempts",
    "max_attempts",
    "last_error",
    "dedupe_key",
    "created_at",
)
# The literal predicate of the partial unique index (a parameter would not match it).
_INSERT_LIVE = Prepared(
    lambda: (
        ScheduledTask.insert(
            {
                ScheduledTask._meta.fields[f]: Param(f, ScheduledTask._meta.fields[f])
                for f in _SCHEDULED_FIELDS
            }
        )
        .on_conflict(
            conflict_target=[ScheduledTask.dedupe_key],
            conflict_where=pw.SQL("\"status\" IN ('pending', 'running')"),
            action="NOTHING",
        )
        .returning(ScheduledTask.id)
    )
)


def schedule(
    kind: str,
    *,
    run_at: dt.datetime | None = None,
    delay: dt.timedelta | None = None,
    payload: dict[str, Any] | None = None,
    merchant_id: int | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> ScheduledTask:
    """Schedule a task of ``kind`` for ``run_at`` (or ``delay`` from now; neither: due now).

    Call it inside the transaction of the business change it belongs to: the task is written
    in that transaction and commits or rolls back with it. ``payload`` is JSON (ids, not
    objects; no secrets). ``max_attempts`` overrides the handler's.

    A ``dedupe_key`` makes scheduling idempotent *while a task with that key is still to run*:
    when a ``pending`` or ``running`` task holds the key, nothing is created and that task is
    returned. A ``done``, ``failed`` or ``cancelled`` task no longer holds it, so a daily task
    cancelled when its plugin is disabled can be scheduled again the same day, and a key can be
    reused once its task has run. Callers that must never run twice for one key keep the key
    unique (an order id, a refund id) or re-check the business state in the handler.

    Race-free on both databases: the partial unique index over live tasks (migration
    ``0007_task_dedupe``) lets one of two racing transactions insert; the other's insert fails
    inside a savepoint (so its transaction stays usable) — on PostgreSQL after waiting for the
    first to commit — and it returns the winner. Should the winner finish between the failed
    insert and the look-up, the insert is simply tried again.
    """
    if not kind or len(kind) > 100:
        raise ValueError("a task kind is 1 to 100 characters")
    if run_at is not None and delay is not None:
        raise ValueError("give run_at or delay, not both")
    if max_attempts is not None and max_attempts < 1:
        raise ValueError("max_attempts is at least 1")
    when = as_utc(run_at) if run_at is not None else utcnow() + (delay or dt.timedelta(0))
    row = {
        "kind": kind,
        "merchant_id": merchant_id,
        "payload": payload or {},
        "run_at": when,
        "status": PENDING,
        "attempts": 0,
        "max_attempts": max_attempts,
        "last_error": "",
        "dedupe_key": dedupe_key,
        "created_at": utcnow(),
    }
    if dedupe_key is None:
        return ScheduledTask.create(**row)
    # Insert first (a new key is the common case). ON CONFLICT DO NOTHING on the partial
    # unique index answers the rest without a savepoint: on PostgreSQL it waits for a racing
    # insert of the key to commit or roll back, then inserts or does nothing.
    for attempt in range(_SCHEDULE_TRIES):
        inserted = _INSERT_LIVE.one(row)
        if inserted is not None:
            return instance(
                ScheduledTask,
                {
                    "id": inserted[0],
                    **row,
                    "locked_by": None,
                    "locked_until": None,
                    "finished_at": None,
                },
            )
        existing = _live_by_dedupe_key(dedupe_key)
        if existing is not None:
            return existing
        if attempt == _SCHEDULE_TRIES - 1:
            raise Conflict("the task's dedupe key stays contended", code="task_key_busy")
    raise AssertionError("unreachable")  # pragma: no cover


def cancel(dedupe_key: str) -> bool:
    """Cancel the pending task with ``dedupe_key``; False when there is none (already running,
    done, failed, cancelled, or never scheduled). A compare-and-set: a task a worker has
    claimed is not cancelled, so its handler must re-check the business state."""
    changed = (
        ScheduledTask.update(status=CANCELLED, finished_at=utcnow(), locked_until=None)
        .where((ScheduledTask.dedupe_key == dedupe_key) & (ScheduledTask.status == PENDING))
        .execute()
    )
    return bool(changed)


def reschedule(dedupe_key: str, run_at: dt.datetime) -> bool:
    """Move the pending task with ``dedupe_key`` to ``run_at``; False when it is not pending."""
    changed = (
        ScheduledTask.update(run_at=as_utc(run_at))
        .where((ScheduledTask.dedupe_key == dedupe_key) & (ScheduledTask.status == PENDING))
        .execute()
    )
    return bool(changed)


def retry(task_id: int, *, actor_id: int | None = None) -> ScheduledTask:
    """Give a ``failed`` task a fresh set of attempts, due now (operators; audited).

    409 ``task_key_taken`` when a newer task with its ``dedupe_key`` is pending or running."""
    with transaction():
        task = ScheduledTask.get_or_none(ScheduledTask.id == task_id)
        if task is None:
            raise NotFound(f"task {task_id} not found", code="task_not_found")
        try:
            with transaction():  # a savepoint: the key may be held by a newer live task
                changed = (
                    ScheduledTask.update(
                        status=PENDING, attempts=0, run_at=utcnow(), finished_at=None
                    )
                    .where((ScheduledTask.id == task_id) & (ScheduledTask.status == FAILED))
                    .execute()
                )
        except pw.IntegrityError as exc:
            holder = _live_by_dedupe_key(task.dedupe_key) if task.dedupe_key else None
            raise Conflict(
                f"task {task_id} cannot be retried: its dedupe key {task.dedupe_key!r} is held "
                f"by task {holder.id if holder else '?'}, which is still to run",
                code="task_key_taken",
            ) from exc
        if not changed:
            raise Conflict(
                f"only a failed task can be retried; task {task_id} is {task.status}",
                code="task_not_retryable",
            )
        audit.record(
            "task.retry",
            actor_id=actor_id,
            merchant_id=task.merchant_id,
            target_type="scheduled_task",
            target_id=task.id,
            before={"status": task.status, "attempts": task.attempts, "error": task.last_error},
            after={"status": PENDING, "attempts": 0},
        )
        return ScheduledTask.get_by_id(task_id)


# -- handlers --------------------------------------------------------------------------------

_EXTENSION = "mallkit.tasks"


def _describe_fn(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def _collect(host: Any) -> dict[str, tuple[JobHandler, str]]:
    found: dict[str, tuple[JobHandler, str]] = {}

    def add(handler: Any, plugin: str) -> None:
        owner = f"plugin {plugin!r}"
        if not (
            isinstance(handler, JobHandler)
            and isinstance(handler.kind, str)
            and handler.kind
            and callable(handler.run)
            and handler.max_attempts >= 1
            and (
                handler.daily_at is None
                or (isinstance(handler.daily_at, dt.time) and handler.daily_at.tzinfo is None)
            )
            and (
                handler.every is None
                or (
                    isinstance(handler.every, dt.timedelta)
                    and handler.every > dt.timedelta(0)
                    and handler.daily_at is None
                )
            )
        ):
            raise PluginLoadError(
                f"{owner}: job handlers are JobHandler(kind, run, max_attempts >= 1, "
                f"daily_at=None or a naive datetime.time, every=None or a positive timedelta "
                f"without daily_at); got {handler!r}"
            )
        if handler.kind in found:
            raise PluginLoadError(
                f"job kind {handler.kind!r} is registered twice: "
                f"by plugin {found[handler.kind][1]!r} and by {owner}"
            )
        found[handler.kind] = (handler, plugin)

    for impl in host.pm.hook.register_job_handlers.get_hookimpls():
        for handler in impl.function() or ():
            add(handler, impl.plugin_name)
    return found


def _registered(app: Flask | None) -> dict[str, tuple[JobHandler, str]]:
    app = app or current_app._get_current_object()
    host = app.extensions["mallkit"].plugins
    key = tuple(id(p.module) for p in host.plugins.values())
    cached = app.extensions.get(_EXTENSION)
    if cached is None or cached[0] != key:
        found = _collect(host)
        cached = (key, {kind: h for kind, (h, _) in found.items()}, found)
        app.extensions[_EXTENSION] = cached
    return cached[2]


def job_handlers(app: Flask | None = None) -> Mapping[str, JobHandler]:
    """The app's handlers by kind: every registered plugin's, the core's default plugins'
    included.

    Collected once per app and again only when the installed plugins change. A kind
    registered twice raises :class:`PluginLoadError` naming both owners.
    """
    _registered(app)
    return (app or current_app).extensions[_EXTENSION][1]


def handler_owner(kind: str, app: Flask | None = None) -> str | None:
    """The name of the plugin that registered ``kind`` (None when nobody did)."""
    found = _registered(app).get(kind)
    return found[1] if found else None


def recurring_handlers(app: Flask | None = None) -> list[tuple[JobHandler, str]]:
    """``(handler, plugin name)`` for every handler with ``daily_at``, by kind."""
    return sorted(
        ((h, plugin) for h, plugin in _registered(app).values() if h.daily_at is not None),
        key=lambda item: item[0].kind,
    )


def periodic_handlers(app: Flask | None = None) -> list[JobHandler]:
    """Every handler with ``every`` (a periodic platform job), by kind."""
    return sorted(
        (h for h, _ in _registered(app).values() if h.every is not None), key=lambda h: h.kind
    )


def init_app(app: Flask) -> None:
    """Collect the job handlers at start-up, so a duplicate kind stops ``create_app``."""
    with app.app_context():  # plugins may read their settings while registering
        job_handlers(app)


def _held_by(task_id: int, worker_id: str) -> pw.Expression:
    return (
        (ScheduledTask.id == task_id)
        & (ScheduledTask.status == RUNNING)
        & (ScheduledTask.locked_by == worker_id)
    )
