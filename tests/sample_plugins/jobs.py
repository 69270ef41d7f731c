"""A platform plugin with durable-task handlers (``register_job_handlers``).

Each handler writes an audit row — real database work that must commit with the task, or roll
back with it — and counts its calls in ``CALLS`` (task id per call, from any thread).
"""

from __future__ import annotations

import threading

from mallkit.core.plugin_api import JobHandler, PluginMeta, record_audit
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="jobs", version="1.0.0", title="Jobs", level="platform")

RECORD = "jobs.record"
EXPLODE = "jobs.explode"

CALLS: list[int] = []
_lock = threading.Lock()


def _write(task, action: str) -> None:
    with _lock:
        CALLS.append(task.id)
    record_audit(
        action,
        actor_id=None,
        merchant_id=task.merchant_id,
        target_type="scheduled_task",
        target_id=task.id,
        after=task.payload,
    )


def record(task) -> None:
    """Write a ``jobs.ran`` audit row for the task."""
    _write(task, "jobs.ran")


def explode(task) -> None:
    """Write a row, then fail: the row must not survive."""
    _write(task, "jobs.exploded")
    raise RuntimeError(f"boom on attempt {task.attempts}")


@hookimpl
def register_job_handlers():
    return [JobHandler(RECORD, record), JobHandler(EXPLODE, explode, max_attempts=3)]
