"""The durable task worker: an APScheduler loop that runs due scheduled tasks.

One interval job (``TASK_POLL_INTERVAL`` seconds, ``max_instances=1``, ``coalesce=True``)
calls :func:`mallkit.core.tasks.runner.run_due` inside an app context, batch after batch while tasks
are due. APScheduler only keeps the beat: the tasks themselves live in the ``scheduled_task``
table, so any number of workers — threads, processes, hosts — can poll one database, and a
worker that dies loses nothing (its claims are taken over when their lease runs out).

Each worker also keeps recurring jobs scheduled
(:func:`mallkit.core.tasks.recurring.ensure_scheduled`) when it starts and every
``TASK_RECURRING_SWEEP_SECONDS``.

``mallkit worker`` runs one in the foreground; ``mallkit serve`` runs one in the background
of the development server.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import signal
import socket
import threading
import time

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from mallkit.core.db import utcnow
from mallkit.core.tasks import heartbeat, recurring
from mallkit.core.tasks.runner import _connected, run_due

log = logging.getLogger("mallkit.worker")

JOB_ID = "mallkit-run-due-tasks"


def default_worker_id() -> str:
    """``host:pid:random`` — unique among running workers, readable in ``locked_by``."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Polls the ``scheduled_task`` table and runs due tasks.

    ``start()`` runs it in a background thread (the development server), ``run_forever()`` in
    the foreground until SIGINT/SIGTERM (``mallkit worker``), ``run_once()`` runs what is due
    now. ``stop()`` is graceful: the task running finishes, claimed tasks not started yet are
    handed back for the next worker.
    """

    def __init__(
        self,
        app: Flask,
        *,
        interval: float | None = None,
        worker_id: str | None = None,
        batch_size: int = 50,
    ) -> None:
        self.app = app
        self.interval = float(
            interval if interval is not None else app.config["TASK_POLL_INTERVAL"]
        )
        if self.interval <= 0:
            raise ValueError("the poll interval is a positive number of seconds")
        self.worker_id = worker_id or default_worker_id()
        self.batch_size = batch_size
        self.sweep_interval = recurring.sweep_interval(app.config)
        self._next_sweep = 0.0  # the first poll schedules recurring jobs
        self._next_beat = 0.0  # the first poll reports this worker alive
        self.started_at = utcnow()
        self._stopping = threading.Event()
        self.scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            daemon=True,
        )
        self.scheduler.add_job(
            self.run_once,
            "interval",
            seconds=self.interval,
            id=JOB_ID,
            name="run due scheduled tasks",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=dt.datetime.now(dt.UTC),
        )

    @property
    def running(self) -> bool:
        return self.scheduler.running

    def run_once(self) -> int:
        """Run every task due now, batch after batch; return how many were claimed.

        Errors of the database itself are logged, not raised: the loop must outlive them.
        """
        total = 0
        with self.app.app_context():
            self._beat()
            self._sweep()
            while not self._stopping.is_set():
                try:
                    claimed = run_due(
                        worker_id=self.worker_id, limit=self.batch_size, stop=self._stopping
                    )
                except Exception:
                    log.exception("worker %s: running due tasks failed", self.worker_id)
                    break
                total += claimed
                if claimed < self.batch_size:
                    break
        return total

    def _beat(self) -> None:
        """Report this worker alive (``worker_heartbeat``), every ``BEAT_SECONDS`` at most."""
        if time.monotonic() < self._next_beat:
            return
        self._next_beat = time.monotonic() + heartbeat.BEAT_SECONDS
        try:
            with _connected():
                heartbeat.beat(self.worker_id, started_at=self.started_at)
        except Exception:
            log.exception("worker %s: recording the heartbeat failed", self.worker_id)

    def _forget(self) -> None:
        try:
            with self.app.app_context(), _connected():
                heartbeat.forget(self.worker_id)
        except Exception:
            log.exception("worker %s: removing the heartbeat failed", self.worker_id)

    def _sweep(self) -> None:
        """Schedule recurring jobs that lack their next occurrence, every sweep interval."""
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + self.sweep_interval
        try:
            with _connected():
                created = recurring.ensure_scheduled() + recurring.ensure_periodic()
        except Exception:
            log.exception("worker %s: scheduling recurring jobs failed", self.worker_id)
            return
        if created:
            log.info("worker %s: %s recurring occurrence(s) scheduled", self.worker_id, created)

    def start(self) -> None:
        """Start polling in a background thread."""
        self._stopping.clear()
        self.scheduler.start()
        log.info("worker %s polling every %gs", self.worker_id, self.interval)

    def stop(self, wait: bool = True) -> None:
        """Stop polling; with ``wait``, return once the task running has finished."""
        self._stopping.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
            self._forget()
        log.info("worker %s stopped", self.worker_id)

    def run_forever(self) -> None:
        """Poll in the foreground until SIGINT or SIGTERM, then stop gracefully."""
        done = threading.Event()

        def request_stop(signum, frame) -> None:
            log.info("worker %s: signal %s, stopping", self.worker_id, signum)
            done.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        self.start()
        try:
            while not done.wait(timeout=1.0):
                pass
        finally:
            self.stop(wait=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
