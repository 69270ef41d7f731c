"""A merchant-level plugin with a recurring job: ``daily.report`` at 03:00 store time
(``JobHandler(..., daily_at=...)``). ``RUNS`` records ``(merchant_id, local_date)`` per run."""

from __future__ import annotations

import datetime as dt

from mallkit.core.plugin_api import JobHandler, PluginMeta, record_audit
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="daily", version="1.0.0", title="Daily report")

REPORT = "daily.report"
RUNS: list[tuple[int, str]] = []


def report(task) -> None:
    RUNS.append((task.merchant_id, task.payload["local_date"]))
    record_audit(
        "daily.report",
        actor_id=None,
        merchant_id=task.merchant_id,
        target_type="scheduled_task",
        target_id=task.id,
        after=task.payload,
    )


@hookimpl
def register_job_handlers():
    return [JobHandler(REPORT, report, daily_at=dt.time(3, 0))]
