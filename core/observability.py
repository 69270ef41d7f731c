"""Health, request ids, structured logs and the metrics endpoint (docs/deployment.md).

- ``GET /healthz``: the process is alive and serving (touches nothing else) — a liveness probe.
- ``GET /readyz``: the process can do its work — the database answers, every migration of the
  core and the installed plugins is applied, and a task worker reported itself alive within
  ``WORKER_STALE_SECONDS`` (60; ``READYZ_REQUIRE_WORKER=false`` leaves that check out). 200
  ``{"status": "ready", "checks": {...}}`` or 503 ``{"status": "unavailable", ...}`` naming
  the failing check.
- ``GET /metrics``: Prometheus exposition (:mod:`mallkit.core.metrics`) plus the task queue's
  depth and lag read at scrape time; behind ``Authorization: Bearer <METRICS_TOKEN>`` when
  ``METRICS_TOKEN`` is set.
- Every answer carries ``X-Request-Id``: the caller's (a reverse proxy's) when it is a plain
  token of up to 128 characters, otherwise a new one. It is on every log line written while
  the request is served.
- ``LOG_FORMAT``: ``json`` (one JSON object per line: time, level, logger, message,
  request_id, and the record's extra fields) or ``text``; unset, the app leaves logging to
  whoever runs it (``mallkit.core.gunicorn_conf`` and ``mallkit worker`` choose JSON).
  ``LOG_LEVEL`` (``INFO``). Each request is logged once on ``mallkit.request`` with its
  method, route, status and duration.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import re
import sys
import time
import traceback
import uuid
from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, jsonify, request
from prometheus_client.core import GaugeMetricFamily

from mallkit.core import db, metrics, migrate
from mallkit.core.tasks import heartbeat

log = logging.getLogger("mallkit.request")

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
# Probes and scrapes: no database connection opened for them by the app, logged at DEBUG.
PROBES = frozenset({"health.healthz", "health.readyz", "health.metrics"})

# -- logging ---------------------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record was passed as ``extra=``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def current_request_id() -> str | None:
    if has_request_context():
        return getattr(g, "request_id", None)
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message``,
    ``request_id`` while serving a request, the record's ``extra`` fields, ``exc_info`` as
    ``exception`` text. Usable in any ``logging`` configuration."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            out["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        request_id = getattr(record, "request_id", None) or current_request_id()
        return f"{text} [{request_id}]" if request_id else text


def configure_logging(fmt: str = "json", level: str | int = "INFO") -> None:
    """Send every log record to stderr as ``json`` or ``text``, once per process (calling again
    replaces mallkit's handler, never adds a second one)."""
    if fmt not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT is json or text, not {fmt!r}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_mallkit", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._mallkit = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # no line per worker poll


# -- the task queue at scrape time -----------------------------------------------------------


class QueueCollector:
    """The durable task queue read from the database when ``/metrics`` is scraped."""

    def __init__(self, stale_seconds: float) -> None:
        self.stale_seconds = stale_seconds

    def collect(self):
        stats = heartbeat.queue_stats(stale_seconds=self.stale_seconds)
        depth = GaugeMetricFamily(
            "mallkit_task_queue_depth", "Durable tasks by state", labels=["state"]
        )
        for state in ("due", "scheduled", "running", "abandoned", "failed"):
            depth.add_metric([state], stats[state])
        yield depth
        due = GaugeMetricFamily(
            "mallkit_task_queue_due_by_kind", "Durable tasks due now, by kind", labels=["kind"]
        )
        age = GaugeMetricFamily(
            "mallkit_task_queue_oldest_due_by_kind_seconds",
            "How long the oldest due task of each kind has waited",
            labels=["kind"],
        )
        for row in stats["due_by_kind"]:
            due.add_metric([row["kind"]], row["due"])
            age.add_metric([row["kind"]], row["oldest_due_seconds"])
        yield due
        yield age
        yield GaugeMetricFamily(
            "mallkit_task_queue_oldest_due_seconds",
            "How long the oldest due task has waited (the queue's lag)",
            value=stats["oldest_due_seconds"],
        )
        yield GaugeMetricFamily(
            "mallkit_task_workers_alive",
            "Task workers seen within WORKER_STALE_SECONDS",
            value=len(stats["workers"]),
        )
        last = stats["last_heartbeat_seconds"]
        yield GaugeMetricFamily(
            "mallkit_task_worker_heartbeat_age_seconds",
            "Seconds since the newest task worker heartbeat (-1: never)",
            value=-1 if last is None else last,
        )


# -- install ---------------------------------------------------------------------------------


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("0", "false", "no", "off")
    return bool(value)


def install(app: Flask) -> None:
    """Request ids, request logs and metrics on every request; the health and metrics routes."""
    if app.config.get("LOG_FORMAT"):
        configure_logging(app.config["LOG_FORMAT"], app.config.get("LOG_LEVEL") or "INFO")
    migrations_current: list[bool] = []  # once current, current for this process's lifetime

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = getattr(g, "request_started", None)
        if started is None:
            return response
        seconds = time.perf_counter() - started
        rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        metrics.observe_request(request.method, rule, response.status_code, seconds)
        level = logging.DEBUG if request.endpoint in PROBES else logging.INFO
        if log.isEnabledFor(level):
            log.log(
                level,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                seconds * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "route": rule,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )
        return response

    def healthz():
        return jsonify(status="ok")

    def readyz():
        checks: dict[str, dict[str, Any]] = {}
        try:
            with db.database.connection_context():
                db.database.execute_sql("SELECT 1")
                checks["database"] = {"ok": True}
                if migrations_current:
                    checks["migrations"] = {"ok": True, "pending": []}
                else:
                    pending = migrate.pending(current_app.extensions["mallkit"].plugins)
                    checks["migrations"] = {"ok": not pending, "pending": pending}
                    if not pending:
                        migrations_current.append(True)
                if checks["migrations"]["ok"]:
                    stale = float(current_app.config.get("WORKER_STALE_SECONDS") or 60)
                    last = heartbeat.last_seen()
                    required = _flag(current_app.config.get("READYZ_REQUIRE_WORKER"), True)
                    fresh = last is not None and last <= stale
                    checks["worker"] = {
                        "ok": fresh or not required,
                        "required": required,
                        "last_heartbeat_seconds": None if last is None else round(last, 1),
                        "stale_after_seconds": stale,
                    }
        except Exception as exc:  # unreachable, refused, bad credentials ...
            logging.getLogger("mallkit.health").warning("readiness check failed: %r", exc)
            checks.setdefault("database", {"ok": False, "error": type(exc).__name__})
            if checks["database"]["ok"]:
                checks["migrations"] = {"ok": False, "error": type(exc).__name__}
        ready = all(check["ok"] for check in checks.values()) and "worker" in checks
        body = {"status": "ready" if ready else "unavailable", "checks": checks}
        return jsonify(body), 200 if ready else 503

    def metrics_view():
        token = current_app.config.get("METRICS_TOKEN")
        if token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                body = {
                    "code": "unauthorized",
                    "status": 401,
                    "message": "the metrics need the METRICS_TOKEN bearer token",
                    "errors": {},
                }
                return jsonify(body), 401
        stale = float(current_app.config.get("WORKER_STALE_SECONDS") or 60)
        with db.database.connection_context():
            text = metrics.render([QueueCollector(stale)])
        return Response(text, mimetype="text/plain; version=0.0.4; charset=utf-8")

    app.add_url_rule("/healthz", "health.healthz", healthz, methods=["GET"])
    app.add_url_rule("/readyz", "health.readyz", readyz, methods=["GET"])
    app.add_url_rule("/metrics", "health.metrics", metrics_view, methods=["GET"])
