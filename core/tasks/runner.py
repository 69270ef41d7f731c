"""Running durable tasks: claiming due tasks under a lease, running each in its own
transaction, retrying with backoff — the lifecycle described in :mod:`.queue`. A worker
(:mod:`.worker`, ``mallkit worker``) calls :func:`run_due` batch after batch; tests call it
with ``now`` to move time forward."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from threading import Event

import peewee as pw
from flask import current_app, has_app_context

from mallkit.core.db import (
    database,
    is_postgres,
    transaction,
    utcnow,
)
from mallkit.core.tasks import recurring
from mallkit.core.tasks.queue import (
    _ERROR_MAX_CHARS,
    DEFAULT_LEASE_SECONDS,
    DEFAULT_RETRY_MAX_SECONDS,
    DONE,
    FAILED,
    PENDING,
    RUNNING,
    JobHandler,
    ScheduledTask,
    _held_by,
    job_handlers,
)

log = logging.getLogger("mallkit.tasks")


def _setting(name: str, default: float) -> float:
    value = current_app.config.get(name) if has_app_context() else None
    return float(value if value not in (None, "") else default)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long a task waits after its ``attempts``-th failed attempt: 2^attempts seconds,
    capped by the ``TASK_RETRY_MAX_SECONDS`` setting (one hour by default)."""
    cap = _setting("TASK_RETRY_MAX_SECONDS", DEFAULT_RETRY_MAX_SECONDS)
    return dt.timedelta(seconds=min(2 ** min(attempts, 62), cap))


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=_setting("TASK_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


def _due(now: dt.datetime) -> pw.Expression:
    return (ScheduledTask.status == PENDING) & (ScheduledTask.run_at <= now)


def _abandoned(now: dt.datetime) -> pw.Expression:
    """A running task whose lease ran out: its worker died or was killed."""
    return (ScheduledTask.status == RUNNING) & (ScheduledTask.locked_until < now)


def _claimable(now: dt.datetime) -> pw.Expression:
    return _due(now) | _abandoned(now)


def _candidates(now: dt.datetime, limit: int) -> list[tuple[dt.datetime, int]]:
    """``(run_at, id)`` of up to ``limit`` claimable tasks, oldest first.

    Two plain queries — due ones through the ``(status, run_at)`` index, abandoned ones
    through the partial index over running tasks (``scheduled_task_running``, migration
    0020) — so a claim reads only live rows however many finished ones the table holds.
    (One query with an OR let SQLite's planner, once ANALYZE had seen a table of mostly
    finished tasks, scan the whole table: 250 ms a claim at a million rows, bench/tasks.py.)"""
    found: list[tuple[dt.datetime, int]] = []
    for condition, order in (
        (_due(now), (ScheduledTask.run_at, ScheduledTask.id)),
        (_abandoned(now), (ScheduledTask.locked_until, ScheduledTask.id)),
    ):
        query = (
            ScheduledTask.select(ScheduledTask.run_at, ScheduledTask.id)
            .where(condition)
            .order_by(*order)
            .limit(limit)
        )
        if is_postgres():
            # Rows another worker is claiming, or running right now, are skipped, not waited on.
            query = query.for_update(skip_locked=True)
        found.extend(query.tuples())
    return sorted(found)[:limit]


@contextmanager
def _connected():
    """Use this thread's connection, opening (and afterwards closing) one if needed."""
    if not database.is_closed():
        yield
        return
    database.connect()
    try:
        yield
    finally:
        database.close()


def claim_due(
    *, worker_id: str, limit: int = 50, now: dt.datetime | None = None
) -> list[ScheduledTask]:
    """Claim up to ``limit`` due tasks for ``worker_id`` in one short transaction and return
    them, ``running`` under a lease of ``TASK_LEASE_SECONDS``. Tasks left ``running`` with an
    expired lease are claimed again. The first half of :func:`run_due`."""
    now = now or utcnow()
    with transaction():
        ids = [task_id for _, task_id in _candidates(now, max(limit, 0))]
        if not ids:
            return []
        # On SQLite BEGIN IMMEDIATE already serialises claims; the condition is repeated so the
        # update is a compare-and-set on the state that was read.
        (
            ScheduledTask.update(
                status=RUNNING,
                locked_by=worker_id,
                locked_until=now + _lease(),
                attempts=ScheduledTask.attempts + 1,
            )
            .where(ScheduledTask.id.in_(ids) & _claimable(now))
            .execute()
        )
        return list(
            ScheduledTask.select()
            .where(
                ScheduledTask.id.in_(ids)
                & (ScheduledTask.status == RUNNING)
                & (ScheduledTask.locked_by == worker_id)
            )
            .order_by(ScheduledTask.run_at, ScheduledTask.id)
        )


def run_claimed(
    tasks: Sequence[ScheduledTask],
    *,
    worker_id: str,
    now: dt.datetime | None = None,
    stop: Event | None = None,
) -> None:
    """Run tasks claimed by ``worker_id``, each in its own transaction. The second half of
    :func:`run_due`. When ``stop`` is set, the tasks not started yet are handed back."""
    if not tasks:
        return
    handlers = job_handlers()
    for index, task in enumerate(tasks):
        if stop is not None and stop.is_set():
            _release(tasks[index:], worker_id)
            return
        try:
            _run_one(task, handlers.get(task.kind), worker_id, now)
        except Exception:  # the database failed us: the lease runs out, another try follows
            log.exception("task %s (%s): could not record the outcome", task.id, task.kind)


def run_due(
    *,
    worker_id: str,
    limit: int = 50,
    now: dt.datetime | None = None,
    stop: Event | None = None,
) -> int:
    """Claim up to ``limit`` due tasks and run them; return how many were claimed.

    Needs an app context (for the handlers and settings) and no open transaction: every task
    runs in a transaction of its own. ``worker_id`` must be unique among running workers
    (:func:`mallkit.core.tasks.worker.default_worker_id`). ``now`` (UTC, naive) stands in for the
    clock — tests use it to move time forward. Once ``stop`` is set, claimed tasks not
    started yet are handed back.
    """
    if database.in_transaction():
        raise RuntimeError("run_due runs each task in its own transaction; call it outside one")
    with _connected():
        tasks = claim_due(worker_id=worker_id, limit=limit, now=now)
        run_claimed(tasks, worker_id=worker_id, now=now, stop=stop)
    return len(tasks)


def _run_one(
    task: ScheduledTask, handler: JobHandler | None, worker_id: str, now: dt.datetime | None
) -> None:
    clock = (lambda: now) if now is not None else utcnow
    if handler is None:
        _record_failure(
            task.id,
            worker_id,
            f"no handler is registered for task kind {task.kind!r}",
            clock(),
            give_up=True,
        )
        return
    max_attempts = task.max_attempts or handler.max_attempts
    if task.attempts > max_attempts:
        # Claimed again and again because its worker kept dying while running it.
        _record_failure(
            task.id,
            worker_id,
            f"gave up: claimed {task.attempts} times, allowed {max_attempts} attempts "
            "(its worker stopped before finishing)",
            clock(),
            give_up=True,
        )
        return
    try:
        if handler.daily_at is not None or handler.every is not None:
            if not recurring.begin_run(task, handler, worker_id, clock()):
                return
        if not handler.in_transaction:
            _run_outside_transaction(task, handler, worker_id, clock)
            return
        with transaction():
            # On PostgreSQL the renewed row stays locked until commit, so no other worker can
            # claim it while the handler runs.
            if not _renew_lease(task, worker_id, clock):
                return
            handler.run(ScheduledTask.get_by_id(task.id))
            _mark_done(task, worker_id, clock)
    except Exception as exc:
        log.warning(
            "task %s (%s) attempt %s failed", task.id, task.kind, task.attempts, exc_info=True
        )
        _record_failure(
            task.id, worker_id, _describe_error(exc), clock(), max_attempts=max_attempts
        )


def _run_outside_transaction(task, handler: JobHandler, worker_id: str, clock) -> None:
    """A handler that talks to the network: renew the lease, run it with no transaction
    open (it opens its own), then mark the task done — each a short transaction."""
    with transaction():
        if not _renew_lease(task, worker_id, clock):
            return
    handler.run(ScheduledTask.get_by_id(task.id))
    with transaction():
        _mark_done(task, worker_id, clock)


def _renew_lease(task, worker_id: str, clock) -> bool:
    """Renew the lease as a compare-and-set; False when it ran out and another worker took
    the task (this worker has lost it)."""
    if (
        ScheduledTask.update(locked_until=clock() + _lease())
        .where(_held_by(task.id, worker_id))
        .execute()
    ):
        return True
    log.info("task %s (%s): lease lost to another worker", task.id, task.kind)
    return False


def _mark_done(task, worker_id: str, clock) -> None:
    ScheduledTask.update(status=DONE, finished_at=clock(), locked_until=None, last_error="").where(
        _held_by(task.id, worker_id)
    ).execute()


def _describe_error(exc: BaseException) -> str:
    """Type and message only: no traceback, no payload, no local values."""
    return f"{type(exc).__name__}: {exc}"[:_ERROR_MAX_CHARS]


def _record_failure(
    task_id: int,
    worker_id: str,
    error: str,
    now: dt.datetime,
    *,
    max_attempts: int | None = None,
    give_up: bool = False,
) -> None:
    with transaction():
        task = ScheduledTask.get_or_none(ScheduledTask.id == task_id)
        if task is None:
            return
        if give_up or task.attempts >= (max_attempts or 1):
            changes = {"status": FAILED, "finished_at": now}
            log.error("task %s (%s) failed for good: %s", task.id, task.kind, error)
        else:
            changes = {"status": PENDING, "run_at": now + retry_delay(task.attempts)}
        (
            ScheduledTask.update(**changes, last_error=error, locked_until=None)
            .where(_held_by(task_id, worker_id))
            .execute()
        )


def _release(tasks: Iterable[ScheduledTask], worker_id: str) -> None:
    """Hand claimed, not started tasks back (a worker stopping); the claim is not counted."""
    ids = [t.id for t in tasks]
    if not ids:
        return
    with transaction():
        (
            ScheduledTask.update(
                status=PENDING, locked_until=None, attempts=ScheduledTask.attempts - 1
            )
            .where(
                ScheduledTask.id.in_(ids)
                & (ScheduledTask.status == RUNNING)
                & (ScheduledTask.locked_by == worker_id)
            )
            .execute()
        )
