"""Durable tasks with a big history — on SQLite and PostgreSQL.

1. Claiming and running due tasks (a no-op handler, batches of 50 as a worker claims them)
   with an empty ``scheduled_task`` table, then with ``--done`` (1,000,000) finished rows in
   it: tasks/s and the claim's p50/p95 in each state, and their ratio. Goal: the same cost
   (ratio ≈ 1), because claims go through the ``(status, run_at)`` index.
2. The retention purge removing those rows (``core.retention.purge``, batches of 1,000 in
   their own transactions): rows/s, and the claim p95 measured on another thread *while* the
   purge runs, against the quiet p95 — the purge must not stall the workers.

    python bench/tasks.py [--backend sqlite|postgresql|both] [--done 1000000] [--tasks 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import threading
import time
import types

from common import Backend, pg_reachable

NOOP = "bench.noop"


def _plugin() -> types.ModuleType:
    from mallkit.core.plugin_api import JobHandler, PluginMeta
    from mallkit.hookspecs import hookimpl

    module = types.ModuleType("bench_tasks")
    module.meta = PluginMeta(name="bench_tasks", version="1.0.0", title="Bench", level="platform")

    @hookimpl
    def register_job_handlers():
        return [JobHandler(NOOP, lambda task: None)]

    module.register_job_handlers = register_job_handlers
    return module


def _schedule(n: int) -> None:
    from mallkit.core.db import transaction
    from mallkit.core.tasks.queue import schedule

    with transaction():
        for _ in range(n):
            schedule(NOOP)


def _drain(worker_id: str) -> tuple[float, list[float]]:
    """Claim and run everything due, 50 at a time; (seconds, claim latencies)."""
    from mallkit.core.tasks.runner import claim_due, run_claimed

    claims: list[float] = []
    started = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        batch = claim_due(worker_id=worker_id, limit=50)
        claims.append(time.perf_counter() - t0)
        if not batch:
            return time.perf_counter() - started, claims
        run_claimed(batch, worker_id=worker_id)


def _fill_done(count: int, postgres: bool) -> float:
    """``count`` finished tasks, a month old, written by one set-based statement."""
    from mallkit.core.db import database

    started = time.perf_counter()
    if postgres:
        database.execute_sql(
            "INSERT INTO scheduled_task (kind, merchant_id, payload, run_at, status, attempts, "
            "last_error, created_at, finished_at) "
            "SELECT 'bench.old', NULL, '{}', now() - interval '30 days' + g * interval '1 ms', "
            "'done', 1, '', now() - interval '30 days', now() - interval '30 days' "
            "FROM generate_series(1, %s) AS g",
            (count,),
        )
        database.execute_sql("ANALYZE scheduled_task")
    else:
        database.execute_sql(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?) "
            "INSERT INTO scheduled_task (kind, merchant_id, payload, run_at, status, attempts, "
            "last_error, created_at, finished_at) "
            "SELECT 'bench.old', NULL, '{}', datetime('now', '-30 days'), 'done', 1, '', "
            "datetime('now', '-30 days'), datetime('now', '-30 days') FROM g",
            (count,),
        )
        database.execute_sql("ANALYZE")
        # A long-lived database has long since checkpointed its write-ahead log; without this
        # the first claims after the bulk insert pay for copying it into the database file.
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return time.perf_counter() - started


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 2 else max(values)


def _measure(tasks: int, label: str) -> tuple[float, list[float]]:
    _schedule(tasks)
    seconds, claims = _drain(f"bench-{label}")
    return tasks / seconds, claims


def run_backend(kind: str, done: int, tasks: int) -> None:
    from mallkit.core import migrate, retention
    from mallkit.core.app import create_app
    from mallkit.core.db import database, is_postgres
    from mallkit.core.tasks.queue import ScheduledTask

    backend = Backend(kind)
    try:
        app = create_app({"DATABASE_URL": backend.url, "SECRET_KEY": "bench"}, plugins=[_plugin()])
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context(), database.connection_context():
            _measure(200, "warm")
            empty_rate, empty_claims = _measure(tasks, "empty")
            fill = _fill_done(done, is_postgres())
            full_rate, full_claims = _measure(tasks, "full")
            rows = ScheduledTask.select().count()

        # The purge on one thread, claims of fresh due tasks on another, at the same time.
        during: list[float] = []
        purged: dict[str, int] = {}
        timing: dict[str, float] = {}

        def purge() -> None:
            with app.app_context(), database.connection_context():
                t0 = time.perf_counter()
                purged.update(retention.purge(dt.datetime.now(dt.UTC).replace(tzinfo=None)))
                timing["purge"] = time.perf_counter() - t0

        with app.app_context(), database.connection_context():
            _schedule(tasks)
        thread = threading.Thread(target=purge)
        thread.start()
        with app.app_context(), database.connection_context():
            while thread.is_alive():
                _, claims = _drain("bench-during")
                during.extend(claims)
                _schedule(50)
        thread.join()

        print(f"{backend.label}:")
        print(f"  filled {done:,} finished tasks in {fill:.1f} s ({rows:,} rows in the table)")
        print(
            f"  claim + run, empty table: {empty_rate:,.0f} tasks/s, claim p50 "
            f"{_p(empty_claims, 50) * 1e3:.2f} ms p95 {_p(empty_claims, 95) * 1e3:.2f} ms"
        )
        print(
            f"  claim + run, {done:,} done rows: {full_rate:,.0f} tasks/s, claim p50 "
            f"{_p(full_claims, 50) * 1e3:.2f} ms p95 {_p(full_claims, 95) * 1e3:.2f} ms"
        )
        print(
            f"  ratio full/empty: throughput {empty_rate / full_rate:.2f}, claim p50 "
            f"{_p(full_claims, 50) / _p(empty_claims, 50):.2f} (goal ≈ 1)"
        )
        print(
            f"  purge: {purged.get('tasks', 0):,} tasks in {timing['purge']:.1f} s "
            f"({purged.get('tasks', 0) / timing['purge']:,.0f} rows/s); claims meanwhile: "
            f"{len(during)}, p95 {_p(during, 95) * 1e3:.2f} ms vs "
            f"{_p(full_claims, 95) * 1e3:.2f} ms quiet"
        )
    finally:
        backend.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--done", type=int, default=1_000_000)
    parser.add_argument("--tasks", type=int, default=2000)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for kind in kinds:
        if kind == "postgresql" and not pg_reachable():
            print("PostgreSQL: not reachable, skipped")
            continue
        run_backend(kind, args.done, args.tasks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
