"""Notifications and webhooks under load — on SQLite and PostgreSQL.

N events (``--events``, 10,000) are committed one per transaction, as the order hooks publish
them, while worker *processes* (one, then two) drain the task table; each event fans out to an
e-mail (a local aiosmtpd SMTP server), an in-app message and a webhook (a local HTTP
receiver). Printed per backend and worker count:

- events/s: events ÷ (last delivery − first commit), all three channels delivered;
- the delay from an event's commit to each message's delivery (``sent_at`` /
  ``delivered_at``): p50 and p95, per channel;
- the baseline, measured in the same run with the same workers: no-op tasks/s. An event costs
  four tasks (two fan-outs, the e-mail and webhook deliveries; in-app is written delivered),
  so baseline ÷ 4 is the ceiling the pipeline's own work is compared with.

    python bench/notifications.py [--backend sqlite|postgresql|both] [--events 10000]
        [--workers 1,2]

Needs the test extras (``aiosmtpd``). Workers poll every 50 ms (``TASK_POLL_INTERVAL``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import socket
import statistics
import sys
import time
import types

from common import Backend, pg_reachable

NOOP = "bench.noop"
SECRET = "bench-secret"
TASKS_PER_EVENT = 4  # two fan-outs, the e-mail and the webhook delivery (in-app needs none)


def _plugin() -> types.ModuleType:
    from mallkit.core.plugin_api import JobHandler, PluginMeta
    from mallkit.hookspecs import hookimpl

    module = types.ModuleType("bench_notifications")
    module.meta = PluginMeta(name="bench_notify", version="1.0.0", title="Bench", level="platform")

    @hookimpl
    def register_job_handlers():
        return [JobHandler(NOOP, lambda task: None)]

    module.register_job_handlers = register_job_handlers
    return module


def _settings(url: str, smtp_port: int, receiver: str) -> dict:
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "TASK_POLL_INTERVAL": 0.05,
        "NOTIFY_SMTP_HOST": "127.0.0.1",
        "NOTIFY_SMTP_PORT": smtp_port,
        "WEBHOOK_ALLOWED_TARGETS": [receiver],
        "DB_POOL_SIZE": 4,
    }


def _worker(settings: dict, worker_id: str, stop, ready) -> None:
    """A worker process: claim and run due tasks until told to stop."""
    import logging

    from mallkit.core.app import create_app
    from mallkit.core.tasks.runner import run_due

    logging.getLogger("mallkit.tasks").setLevel(logging.ERROR)
    app = create_app(settings, plugins=[_plugin()])
    with app.app_context():
        run_due(worker_id=worker_id, limit=1)  # connected and warm
        ready.release()
        while not stop.is_set():
            try:
                claimed = run_due(worker_id=worker_id, limit=50)
            except Exception as exc:  # a busy database: try again
                print(f"  worker {worker_id}: {exc}", file=sys.stderr)
                claimed = 0
            if claimed < 50:
                time.sleep(settings["TASK_POLL_INTERVAL"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Counter:
    """The SMTP server's handler: counts what arrived."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 2 else max(values)


def _start_workers(settings: dict, count: int, label: str):
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    ready = ctx.Semaphore(0)
    procs = [
        ctx.Process(target=_worker, args=(settings, f"{label}-{i}", stop, ready), daemon=True)
        for i in range(count)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        if not ready.acquire(timeout=120):
            raise RuntimeError("a worker did not start")
    return stop, procs


def _stop_workers(stop, procs) -> None:
    stop.set()
    for p in procs:
        p.join(timeout=30)
        if p.is_alive():
            p.terminate()


def _baseline(settings: dict, workers: int, tasks: int) -> float:
    """No-op tasks/s with the same worker processes."""
    from mallkit.core.db import transaction
    from mallkit.core.tasks.queue import ScheduledTask, schedule

    stop, procs = _start_workers(settings, workers, "base")
    with transaction():
        for _ in range(tasks):
            schedule(NOOP)
    started = time.perf_counter()
    try:
        while (
            ScheduledTask.select()
            .where((ScheduledTask.kind == NOOP) & (ScheduledTask.status != "done"))
            .exists()
        ):
            time.sleep(0.05)
    finally:
        elapsed = time.perf_counter() - started
        _stop_workers(stop, procs)
    return tasks / elapsed


def _world(app):
    """A store with notifications (e-mail and inbox) and a webhook endpoint, a buyer, an
    order the events are about."""
    from mallkit.core.accounts import service as accounts
    from mallkit.core.accounts.merchants.service import create_merchant
    from mallkit.core.plugin_api import configure_plugin
    from mallkit.core.testing import make_product, place_order, skus_of
    from mallkit.plugins.webhooks import service as webhooks

    owner = accounts.register(email="owner@bench.example", password="Bench-pass-91")
    buyer = accounts.register(email="buyer@bench.example", password="Bench-pass-91")
    merchant = create_merchant({"name": "Bench store"}, owner=owner)
    (sku,) = skus_of(make_product(merchant, prices=(1990,), stocks=(10,)))
    order = place_order(buyer, [(sku, 1)])
    configure_plugin(
        merchant, "notifications", {"channels": ["email", "inbox"], "sms_quiet_hours": ""}
    )
    return merchant, order, webhooks


def _run(settings: dict, events: int, workers: int, merchant, order, receiver) -> dict:
    from mallkit.core.db import transaction, utcnow
    from mallkit.plugins.notifications import service as notify
    from mallkit.plugins.notifications.models import Message
    from mallkit.plugins.webhooks import service as webhooks
    from mallkit.plugins.webhooks.models import Delivery

    tag = f"w{workers}"
    stop, procs = _start_workers(settings, workers, tag)
    committed: dict[str, dt.datetime] = {}
    data = webhooks.order_data(order)
    try:
        started = time.perf_counter()
        for i in range(events):
            key = f"{tag}-{i}"
            with transaction():
                notify.publish("order_paid", merchant.id, f"order_paid:{key}", order_id=order.id)
                webhooks.publish("order.paid", merchant.id, f"order.paid:{key}", data)
            committed[key] = utcnow()
        published = time.perf_counter() - started
        want = events * 3
        deadline = time.perf_counter() + 1800
        while time.perf_counter() < deadline:
            sent = (
                Message.select()
                .where(
                    Message.event_key.startswith(f"order_paid:{tag}-") & (Message.status == "sent")
                )
                .count()
            )
            hooks = (
                Delivery.select()
                .where(
                    Delivery.event_key.startswith(f"order.paid:{tag}-")
                    & (Delivery.status == "succeeded")
                )
                .count()
            )
            if sent + hooks >= want:
                break
            time.sleep(0.2)
    finally:
        _stop_workers(stop, procs)
    delays: dict[str, list[float]] = {"email": [], "inbox": [], "webhook": []}
    last = max(committed.values())
    for m in Message.select(Message.event_key, Message.channel, Message.sent_at).where(
        Message.event_key.startswith(f"order_paid:{tag}-") & (Message.status == "sent")
    ):
        key = m.event_key.split(":", 1)[1]
        delays[m.channel].append((m.sent_at - committed[key]).total_seconds())
        last = max(last, m.sent_at)
    for d in Delivery.select(Delivery.event_key, Delivery.delivered_at).where(
        Delivery.event_key.startswith(f"order.paid:{tag}-") & (Delivery.status == "succeeded")
    ):
        key = d.event_key.split(":", 1)[1]
        delays["webhook"].append((d.delivered_at - committed[key]).total_seconds())
        last = max(last, d.delivered_at)
    first = min(committed.values())
    return {
        "published_per_s": events / published,
        "events_per_s": events / max((last - first).total_seconds(), 1e-6),
        "delays": delays,
        "delivered": sum(len(v) for v in delays.values()),
        "want": events * 3,
        "receiver": receiver.count,
    }


def run_backend(kind: str, events: int, worker_counts: list[int]) -> None:
    from aiosmtpd.controller import Controller
    from werkzeug.wrappers import Response

    from mallkit.core import migrate, simkit
    from mallkit.core.app import create_app
    from mallkit.core.db import database

    class Receiver:
        count = 0

        def __call__(self, environ, start_response):
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            Receiver.count += 1
            return Response("", 204)(environ, start_response)

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("mallkit.tasks").setLevel(logging.ERROR)
    counter = _Counter()
    smtp = Controller(counter, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    receiver = Receiver()
    http = simkit.LoopbackServer(receiver)
    backend = Backend(kind)
    try:
        settings = _settings(backend.url, smtp.port, f"{http.url}/")
        app = create_app(settings, plugins=[_plugin()])
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context(), database.connection_context():
            merchant, order, webhooks = _world(app)
            webhooks.create_endpoint(
                merchant.id, {"url": f"{http.url}/hook", "event_types": ["order.paid"]}, None
            )
            print(f"{backend.label}: {events:,} events × (e-mail + in-app + webhook)")
            for workers in worker_counts:
                base = _baseline(settings, workers, events * TASKS_PER_EVENT // 5)
                result = _run(settings, events, workers, merchant, order, receiver)
                ceiling = base / TASKS_PER_EVENT
                print(
                    f"  {workers} worker process{'es' if workers > 1 else ''}: "
                    f"{result['events_per_s']:,.0f} events/s "
                    f"(published {result['published_per_s']:,.0f}/s; "
                    f"{result['delivered']:,}/{result['want']:,} delivered)"
                )
                for channel, values in result["delays"].items():
                    if values:
                        print(
                            f"    commit → {channel:7} p50 {_p(values, 50):7.2f} s  "
                            f"p95 {_p(values, 95):7.2f} s"
                        )
                print(
                    f"    baseline: {base:,.0f} no-op tasks/s → ceiling {ceiling:,.0f} events/s "
                    f"at {TASKS_PER_EVENT} tasks an event; achieved "
                    f"{result['events_per_s'] / ceiling:.2f} of it"
                )
            print(
                f"  SMTP server received {counter.count:,} e-mails, receiver "
                f"{Receiver.count:,} webhooks"
            )
    finally:
        smtp.stop()
        http.stop()
        backend.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for kind in kinds:
        if kind == "postgresql" and not pg_reachable():
            print("PostgreSQL: not reachable, skipped")
            continue
        run_backend(kind, args.events, counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
