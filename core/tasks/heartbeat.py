"""Task workers' heartbeats: each running worker keeps one ``worker_heartbeat`` row (migration
0022) and refreshes its ``seen_at`` as it polls, at most every :data:`BEAT_SECONDS`; a worker
that stops gracefully removes its row. ``/readyz`` and the ``/metrics`` queue gauges read
them: a platform whose newest heartbeat is older than ``WORKER_STALE_SECONDS`` has no live
task worker (unpaid orders are not cancelled, refunds not submitted)."""

from __future__ import annotations

import datetime as dt
import os
import socket

import peewee as pw

from mallkit.core.db import BaseModel, utcnow

BEAT_SECONDS = 10.0
DEFAULT_STALE_SECONDS = 60
# Rows of workers that died without saying goodbye (kill -9, a lost host) are removed by the
# next beat of any worker once they are this old.
FORGET_AFTER = dt.timedelta(days=1)


class WorkerHeartbeat(BaseModel):
    worker_id = pw.CharField(max_length=100, primary_key=True)
    hostname = pw.CharField(max_length=255)
    pid = pw.IntegerField()
    started_at = pw.DateTimeField()
    seen_at = pw.DateTimeField(index=True)

    class Meta:
        table_name = "worker_heartbeat"


def beat(worker_id: str, *, started_at: dt.datetime, now: dt.datetime | None = None) -> None:
    """Record that ``worker_id`` is alive now (one upsert), and forget long-dead workers."""
    now = now or utcnow()
    (
        WorkerHeartbeat.insert(
            worker_id=worker_id[:100],
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=started_at,
            seen_at=now,
        )
        .on_conflict(
            conflict_target=[WorkerHeartbeat.worker_id],
            update={WorkerHeartbeat.seen_at: now},
        )
        .execute()
    )
    WorkerHeartbeat.delete().where(WorkerHeartbeat.seen_at < now - FORGET_AFTER).execute()


def forget(worker_id: str) -> None:
    """A worker stopping gracefully removes its row."""
    WorkerHeartbeat.delete().where(WorkerHeartbeat.worker_id == worker_id[:100]).execute()


def alive(stale_seconds: float, *, now: dt.datetime | None = None) -> list[WorkerHeartbeat]:
    """The workers seen within the last ``stale_seconds``, most recent first."""
    now = now or utcnow()
    return list(
        WorkerHeartbeat.select()
        .where(WorkerHeartbeat.seen_at >= now - dt.timedelta(seconds=stale_seconds))
        .order_by(WorkerHeartbeat.seen_at.desc())
    )


def last_seen(*, now: dt.datetime | None = None) -> float | None:
    """Seconds since the newest heartbeat of any worker; None when no worker ever beat."""
    latest = WorkerHeartbeat.select(pw.fn.MAX(WorkerHeartbeat.seen_at)).scalar()
    if latest is None:
        return None
    if isinstance(latest, str):  # SQLite hands an aggregate back as text
        latest = dt.datetime.fromisoformat(latest)
    return max(((now or utcnow()) - latest).total_seconds(), 0.0)


def queue_stats(*, now: dt.datetime | None = None, stale_seconds: float = DEFAULT_STALE_SECONDS):
    """The durable task queue's lag, for operators (``GET /api/v1/admin/tasks/queue``) and
    ``/metrics``: how many tasks are due and how long the oldest has waited, by kind; how many
    are scheduled later, running, abandoned (lease run out) and failed; the live workers.

    Every count reads the ``(status, run_at)`` index or the partial index over running tasks,
    never the history of finished tasks."""
    from mallkit.core.tasks.queue import FAILED, PENDING, RUNNING, ScheduledTask

    now = now or utcnow()
    task = ScheduledTask
    due_rows = (
        task.select(task.kind, pw.fn.COUNT(task.id), pw.fn.MIN(task.run_at))
        .where((task.status == PENDING) & (task.run_at <= now))
        .group_by(task.kind)
        .order_by(task.kind)
        .tuples()
    )
    by_kind = []
    for kind, count, oldest in due_rows:
        if isinstance(oldest, str):
            oldest = dt.datetime.fromisoformat(oldest)
        by_kind.append({"kind": kind, "due": count, "oldest_due_seconds": _age(now, oldest)})
    running = task.select().where(task.status == RUNNING)
    workers = alive(stale_seconds, now=now)
    return {
        "due": sum(k["due"] for k in by_kind),
        "oldest_due_seconds": max((k["oldest_due_seconds"] for k in by_kind), default=0.0),
        "scheduled": task.select().where((task.status == PENDING) & (task.run_at > now)).count(),
        "running": running.count(),
        "abandoned": running.where(task.locked_until < now).count(),
        "failed": task.select().where(task.status == FAILED).count(),
        "due_by_kind": by_kind,
        "workers": [
            {
                "worker_id": w.worker_id,
                "hostname": w.hostname,
                "pid": w.pid,
                "started_at": w.started_at,
                "seen_at": w.seen_at,
            }
            for w in workers
        ],
        "last_heartbeat_seconds": last_seen(now=now),
    }


def _age(now: dt.datetime, then: dt.datetime) -> float:
    return round(max((now - then).total_seconds(), 0.0), 3)
