"""Fail-safe settings, health probes, request ids, structured logs, metrics and the task
queue's lag (core/config.py, core/observability.py, core/metrics.py, core/tasks/heartbeat.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re

import pytest
from click.testing import CliRunner

from mallkit.core import cli as cli_module
from mallkit.core import db as dbm
from mallkit.core import metrics, plugin_api
from mallkit.core.app import create_app
from mallkit.core.config import MISSING_SECRET_KEY, ConfigurationError, load_settings
from mallkit.core.db import utcnow
from mallkit.core.observability import JsonFormatter
from mallkit.core.tasks import heartbeat
from mallkit.core.tasks.heartbeat import WorkerHeartbeat
from mallkit.core.tasks.queue import ScheduledTask, schedule
from mallkit.core.tasks.worker import Worker
from mallkit.core.testing import make_product, pay_order, place_order, skus_of

# -- the secret key --------------------------------------------------------------------------


def test_a_missing_secret_key_refuses_to_start_outside_demo_and_tests(monkeypatch):
    monkeypatch.delenv("MALLKIT_SECRET_KEY", raising=False)
    monkeypatch.delenv("MALLKIT_CONFIG", raising=False)
    with pytest.raises(ConfigurationError, match="MALLKIT_SECRET_KEY is not set"):
        load_settings({})
    with pytest.raises(ConfigurationError, match="MALLKIT_SECRET_KEY is not set"):
        create_app({"DATABASE_URL": "sqlite:///:memory:"})
    # Tests and the demo may run on a generated one; a key that is set is kept.
    assert load_settings({"TESTING": True})["SECRET_KEY_GENERATED"] is True
    assert load_settings({"DEMO": True})["SECRET_KEY_GENERATED"] is True
    monkeypatch.setenv("MALLKIT_SECRET_KEY", "k" * 40)
    settings = load_settings({})
    assert settings["SECRET_KEY"] == "k" * 40 and "SECRET_KEY_GENERATED" not in settings
    # MALLKIT_TESTING=false in the environment is false, not a non-empty string.
    monkeypatch.delenv("MALLKIT_SECRET_KEY")
    monkeypatch.setenv("MALLKIT_TESTING", "false")
    with pytest.raises(ConfigurationError):
        load_settings({})


def test_the_cli_says_why_it_refuses_without_a_traceback(monkeypatch, tmp_path):
    monkeypatch.delenv("MALLKIT_SECRET_KEY", raising=False)
    monkeypatch.setenv("MALLKIT_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    r = CliRunner().invoke(cli_module.cli, ["db", "upgrade"])
    assert r.exit_code == 1, r.output
    assert isinstance(r.exception, SystemExit) and "Traceback" not in r.output
    assert MISSING_SECRET_KEY in " ".join(r.output.split())
    assert not (tmp_path / "x.db").exists() or (tmp_path / "x.db").stat().st_size == 0


# -- probes ----------------------------------------------------------------------------------


def test_healthz_answers_without_the_database(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json == {"status": "ok"}


def test_readyz_needs_a_live_task_worker(app, client):
    r = client.get("/readyz")
    assert r.status_code == 503
    checks = r.json["checks"]
    assert checks["database"]["ok"] and checks["migrations"] == {"ok": True, "pending": []}
    assert checks["worker"]["ok"] is False and checks["worker"]["last_heartbeat_seconds"] is None

    worker = Worker(app, worker_id="probe-worker")
    worker.run_once()  # a poll reports the worker alive
    r = client.get("/readyz")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "ready" and r.json["checks"]["worker"]["ok"] is True
    assert r.json["checks"]["worker"]["last_heartbeat_seconds"] < 5

    # A heartbeat older than WORKER_STALE_SECONDS is no live worker.
    stale = utcnow() - dt.timedelta(seconds=61)
    WorkerHeartbeat.update(seen_at=stale).execute()
    assert client.get("/readyz").status_code == 503


def test_readyz_without_the_worker_check(make_app):
    app = make_app(READYZ_REQUIRE_WORKER=False)
    r = app.test_client().get("/readyz")
    assert r.status_code == 200, r.json
    assert r.json["checks"]["worker"]["required"] is False


def test_readyz_names_pending_migrations_and_an_unreachable_database(tmp_path, app):
    fresh = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}", "TESTING": True})
    r = fresh.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.json["checks"]["migrations"]["ok"] is False
    assert "core:0001_initial" in r.json["checks"]["migrations"]["pending"]
    assert fresh.test_client().get("/healthz").status_code == 200

    gone = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/x.db", "TESTING": True})
    r = gone.test_client().get("/readyz")
    assert r.status_code == 503
    assert r.json["status"] == "unavailable" and r.json["checks"]["database"]["ok"] is False
    assert gone.test_client().get("/healthz").status_code == 200


def test_a_worker_that_stops_removes_its_heartbeat(app):
    worker = Worker(app, interval=60, worker_id="stopping-worker")
    worker.start()
    try:
        for _ in range(50):
            if WorkerHeartbeat.get_or_none(WorkerHeartbeat.worker_id == "stopping-worker"):
                break
            import time

            time.sleep(0.1)
        assert WorkerHeartbeat.get_or_none(WorkerHeartbeat.worker_id == "stopping-worker")
    finally:
        worker.stop()
    assert WorkerHeartbeat.get_or_none(WorkerHeartbeat.worker_id == "stopping-worker") is None


def test_heartbeats_of_long_dead_workers_are_forgotten(app):
    long_ago = utcnow() - dt.timedelta(days=2)
    heartbeat.beat("dead", started_at=long_ago, now=long_ago)
    heartbeat.beat("live", started_at=utcnow())
    assert {w.worker_id for w in WorkerHeartbeat.select()} == {"live"}


# -- request ids and logs --------------------------------------------------------------------


def test_every_answer_carries_a_request_id(client):
    generated = client.get("/api/v1/products").headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/api/v1/products").headers["X-Request-Id"] != generated
    # A proxy's id is kept; anything that is not a plain short token is replaced.
    given = {"X-Request-Id": "edge-1234.abc"}
    assert client.get("/api/v1/products", headers=given).headers["X-Request-Id"] == "edge-1234.abc"
    for bad in ("a b", "x" * 129, "<script>", "id\u00e9"):
        answer = client.get("/api/v1/products", headers={"X-Request-Id": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"]), bad
    # Errors too.
    missing = client.get("/api/v1/products/999999", headers=given)
    assert missing.status_code == 404 and missing.headers["X-Request-Id"] == "edge-1234.abc"


def test_json_logs_carry_the_request_id(app, client, merchant):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("mallkit")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        r = client.get(f"/api/v1/stores/{merchant.id}", headers={"X-Request-Id": "trace-42"})
        with app.test_request_context():
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                logging.getLogger("mallkit.test").exception("failed", extra={"order_id": 7})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    request_line = next(x for x in lines if x["logger"] == "mallkit.request")
    assert request_line["request_id"] == "trace-42" == r.headers["X-Request-Id"]
    assert request_line["route"] == "/api/v1/stores/<int:merchant_id>"
    assert request_line["status"] == r.status_code and request_line["method"] == "GET"
    assert request_line["duration_ms"] >= 0 and request_line["level"] == "INFO"
    failure = next(x for x in lines if x["logger"] == "mallkit.test")
    assert failure["order_id"] == 7 and "RuntimeError: boom" in failure["exception"]
    assert dt.datetime.fromisoformat(failure["ts"]).tzinfo is not None


# -- metrics ---------------------------------------------------------------------------------


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text, 0 when absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        metric, _, rest = head.partition("{")
        if metric != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return 0.0


def test_metrics_count_requests_by_route_orders_and_notifications(app, client, merchant, buyer):
    before = client.get("/metrics").get_data(as_text=True)
    product = make_product(merchant)
    for _ in range(3):
        assert client.get(f"/api/v1/products/{product.id}").status_code == 200
    order = place_order(buyer, [(skus_of(product)[0], 1)])
    pay_order(order)
    plugin_api.count_notification_verdict("email", "sent")
    plugin_api.count_notification_verdict("sms", "failed")
    plugin_api.count_notification_verdict("sms", "failed")
    after = client.get("/metrics")
    assert after.status_code == 200 and after.mimetype == "text/plain"
    text = after.get_data(as_text=True)

    def delta(name: str, **labels: str) -> float:
        return _sample(text, name, **labels) - _sample(before, name, **labels)

    route = "/api/v1/products/<int:product_id>"
    count = "mallkit_http_request_duration_seconds_count"
    assert delta(count, method="GET", route=route, status="200") == 3
    assert delta("mallkit_orders_placed_total") == 1
    assert delta("mallkit_orders_paid_total") == 1
    assert delta("mallkit_notifications_total", channel="email", verdict="sent") == 1
    assert delta("mallkit_notifications_total", channel="sms", verdict="failed") == 2


def test_notification_labels_stay_plain_and_short(app):
    plugin_api.count_notification_verdict("we chat\n" + "x" * 100, 'a"b')
    text = metrics.render().decode()
    assert _sample(text, "mallkit_notifications_total", channel="we_chat_" + "x" * 56) >= 1


def test_metrics_show_the_task_queue_lag(app, client):
    now = utcnow()
    with dbm.transaction():
        schedule("test.old", run_at=now - dt.timedelta(seconds=120))
        schedule("test.old", run_at=now - dt.timedelta(seconds=30))
        schedule("test.later", run_at=now + dt.timedelta(hours=1))
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "mallkit_task_queue_depth", state="due") == 2
    assert _sample(text, "mallkit_task_queue_depth", state="scheduled") == 1
    assert _sample(text, "mallkit_task_queue_due_by_kind", kind="test.old") == 2
    assert 120 <= _sample(text, "mallkit_task_queue_oldest_due_seconds") < 180
    assert _sample(text, "mallkit_task_workers_alive") == 0
    assert _sample(text, "mallkit_task_worker_heartbeat_age_seconds") == -1


def test_metrics_behind_a_token(make_app):
    app = make_app(METRICS_TOKEN="scrape-me")
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.json["code"] == "unauthorized"
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert ok.status_code == 200 and "mallkit_task_queue_depth" in ok.get_data(as_text=True)


# -- the queue for platform admins -----------------------------------------------------------


def test_platform_admins_see_the_task_queue_lag(app, client, admin, owner, buyer):
    now = utcnow()
    with dbm.transaction():
        schedule("test.old", run_at=now - dt.timedelta(seconds=90))
        schedule("test.new", run_at=now - dt.timedelta(seconds=5))
        failed = schedule("test.failed", run_at=now + dt.timedelta(days=1))
    ScheduledTask.update(status="failed").where(ScheduledTask.id == failed.id).execute()
    heartbeat.beat("w-1", started_at=now)
    for who in (owner, buyer):
        assert client.get("/api/v1/admin/tasks/queue", headers=who.headers).status_code == 403
    assert client.get("/api/v1/admin/tasks/queue").status_code == 401
    r = client.get("/api/v1/admin/tasks/queue", headers=admin.headers)
    assert r.status_code == 200, r.json
    body = r.json
    assert body["due"] == 2 and body["failed"] == 1 and body["scheduled"] == 0
    assert body["running"] == 0 and body["abandoned"] == 0
    assert 90 <= body["oldest_due_seconds"] < 150
    assert [k["kind"] for k in body["due_by_kind"]] == ["test.new", "test.old"]
    assert [w["worker_id"] for w in body["workers"]] == ["w-1"]
    assert body["last_heartbeat_seconds"] < 5
