"""Prometheus metrics (prometheus-client), served at ``/metrics`` (core/observability.py).

What is counted:

- ``mallkit_http_request_duration_seconds{method, route, status}``: request latency by route
  (the URL rule, ``/api/v1/orders/<int:order_id>``, never the raw path);
- ``mallkit_orders_placed_total`` and ``mallkit_orders_paid_total`` (the ``order_placed`` and
  ``order_paid`` signals, after commit);
- ``mallkit_payment_notifications_total{channel, verdict}``: payment gateways' notifications
  by their verdict (``paid``, ``duplicate``, ``invalid``, ``amount_mismatch``, ...);
- ``mallkit_notifications_total{channel, verdict}``: whatever a plugin counts with
  :func:`count_notification_verdict` (messages to buyers and staff: ``sent``, ``failed``, ...);
- the durable task queue, read from the database at each scrape (see
  :mod:`mallkit.core.observability`): depth by state, the age of the oldest due task, live
  workers.

Several processes (gunicorn workers): set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory
before the processes start (``mallkit.core.gunicorn_conf`` does), and every process writes its
counts there; ``/metrics`` on any of them adds up all of them. Without it each process
answers with its own counts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.registry import Collector

from mallkit.core import signals

REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_SECONDS = Histogram(
    "mallkit_http_request_duration_seconds",
    "Time to answer an HTTP request, by route",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
ORDERS_PLACED = Counter("mallkit_orders_placed", "Orders placed (committed)", registry=REGISTRY)
ORDERS_PAID = Counter("mallkit_orders_paid", "Orders paid (committed)", registry=REGISTRY)
PAYMENT_NOTIFICATIONS = Counter(
    "mallkit_payment_notifications",
    "Payment gateway notifications, by channel and verdict",
    ["channel", "verdict"],
    registry=REGISTRY,
)
NOTIFICATIONS = Counter(
    "mallkit_notifications",
    "Notifications to buyers and staff, by channel and verdict (counted by plugins)",
    ["channel", "verdict"],
    registry=REGISTRY,
)

_LABEL = re.compile(r"[^A-Za-z0-9_.:-]")


def _label(value: object) -> str:
    """A label value a plugin passes, kept short and plain (labels are series: no free text)."""
    return _LABEL.sub("_", str(value))[:64] or "_"


def count_notification_verdict(channel: str, verdict: str) -> None:
    """Count one notification's outcome for ``/metrics`` (``mallkit_notifications_total``).

    ``channel`` is how it goes out (``email``, ``sms``, ``in_app``, ``webhook``), ``verdict``
    what became of it (``sent``, ``failed``, ``retrying``, ``suppressed``, ...). Use a small
    fixed set of both: each pair is a time series. Never raises."""
    NOTIFICATIONS.labels(channel=_label(channel), verdict=_label(verdict)).inc()


def count_payment_notification(channel: str, verdict: str) -> None:
    PAYMENT_NOTIFICATIONS.labels(channel=_label(channel), verdict=_label(verdict)).inc()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(method=method, route=route, status=str(status)).observe(seconds)


@signals.order_placed.connect
def _order_placed(sender, **kw) -> None:
    ORDERS_PLACED.inc()


@signals.order_paid.connect
def _order_paid(sender, **kw) -> None:
    ORDERS_PAID.inc()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render(extra: Iterable[Collector] = ()) -> bytes:
    """The exposition text: this platform's counters (every process's, in multiprocess mode)
    followed by ``extra`` collectors evaluated now."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    out = generate_latest(registry)
    scrape = CollectorRegistry(auto_describe=False)
    for collector in extra:
        scrape.register(collector)
    return out + generate_latest(scrape)
