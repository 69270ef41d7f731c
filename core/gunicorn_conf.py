"""Gunicorn settings for mallkit: ``gunicorn -c python:mallkit.core.gunicorn_conf
'mallkit.core.app:create_app()'`` (the container image's entry point, docs/deployment.md).

- Binds ``MALLKIT_BIND`` (``0.0.0.0:8000``); ``WEB_CONCURRENCY`` worker processes (2 per
  core, as gunicorn suggests), ``gthread`` workers with ``MALLKIT_THREADS`` threads each (8;
  live chat's WebSockets hold a thread each while open — raise it where chat is busy).
- Metrics from every worker process: ``PROMETHEUS_MULTIPROC_DIR`` is set to a fresh directory
  (unless given) before any worker starts and emptied at start-up, and a worker's files are
  marked dead when it exits, so ``/metrics`` on any worker adds up all of them.
- Logs as JSON on stderr (``MALLKIT_LOG_FORMAT``, ``json``), each with the request id; gunicorn's
  own access log stays off (the app logs every request on ``mallkit.request``).

Any gunicorn command-line option still overrides these.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("MALLKIT_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, multiprocessing.cpu_count() * 2))
worker_class = os.environ.get("MALLKIT_WORKER_CLASS", "gthread")
threads = int(os.environ.get("MALLKIT_THREADS", "8"))
timeout = int(os.environ.get("MALLKIT_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = None
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

os.environ.setdefault("MALLKIT_LOG_FORMAT", "json")
if os.environ["MALLKIT_LOG_FORMAT"] == "json":
    # gunicorn's own lines (start, worker boots and timeouts) as JSON too; the app's records
    # go through the handler create_app installs on the root logger.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "mallkit.core.observability.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        },
    }
_created_dir = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _created_dir = tempfile.mkdtemp(prefix="mallkit-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _created_dir


def on_starting(server) -> None:
    """The master, before any worker: counts of a previous run are not this run's."""
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.unlink(os.path.join(path, name))


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _created_dir:
        shutil.rmtree(_created_dir, ignore_errors=True)
