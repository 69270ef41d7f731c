"""Several processes on PostgreSQL and Redis, as production runs them: three app processes
(gunicorn with ``mallkit.core.gunicorn_conf``, one worker process each, on ports of their
own so a test can address each one) and two ``mallkit worker`` processes, on a private schema
migrated by ``mallkit db upgrade``.

The tests here need ``MALLKIT_TEST_DATABASE_URL`` (PostgreSQL) and a Redis at
``MALLKIT_TEST_REDIS_URL`` (``redis://127.0.0.1:6379/0``); they skip when either is missing
or unreachable — unless ``MALLKIT_TEST_REQUIRE_REDIS=1`` (CI), where a missing Redis fails.
The seeding and the checks run in this process, on the same schema.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from mallkit.core import db as dbm
from mallkit.core.testing import TEST_SECRET, postgres_url

BIN = Path(sys.executable).parent
REDIS_ENV = "MALLKIT_TEST_REDIS_URL"
LEASE_SECONDS = 10  # a killed worker's task is taken over this soon


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/ops/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.ops)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return found


@dataclass
class App:
    """One gunicorn master with one worker process."""

    port: int
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pid(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = children(self.proc.pid)
            if len(pids) == 1:
                return pids[0]
            time.sleep(0.1)
        raise AssertionError(f"gunicorn {self.proc.pid} has workers {children(self.proc.pid)}")


@dataclass
class Cluster:
    url: str  # the database
    env: dict[str, str]
    logs: Path
    apps: list[App] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_app(self) -> App:
        port = _free_port()
        env = {
            **self.env,
            "MALLKIT_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "MALLKIT_THREADS": "6",
        }
        log = open(self.logs / f"app-{port}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                "python:mallkit.core.gunicorn_conf",
                "mallkit.core.app:create_app()",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        app = App(port, proc)
        self.apps.append(app)
        return app

    def start_worker(self) -> subprocess.Popen:
        log = open(self.logs / f"worker-{len(self.workers)}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(BIN / "mallkit"), "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.workers.append(proc)
        return proc

    def wait_ready(self, timeout: float = 60) -> None:
        """Every app answers ``/readyz`` 200: database, migrations, a live worker."""
        deadline = time.monotonic() + timeout
        for app in self.apps:
            while True:
                try:
                    r = requests.get(f"{app.url}/readyz", timeout=5)
                    if r.status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{app.url} not ready: {self.tail()}")
                time.sleep(0.2)

    def tail(self) -> str:
        return "\n".join(
            f"== {p.name}\n{p.read_text(errors='replace')[-2000:]}"
            for p in sorted(self.logs.glob("*.log"))
        )

    def stop(self) -> None:
        procs = [a.proc for a in self.apps] + self.workers
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _redis_url() -> str | None:
    url = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/0")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        if os.environ.get("MALLKIT_TEST_REQUIRE_REDIS") == "1":
            raise
        return None
    return url


@pytest.fixture(scope="package")  # stopped after the last test here, not at the session's end
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    base = postgres_url()
    if base is None:
        pytest.skip("several processes need PostgreSQL (MALLKIT_TEST_DATABASE_URL)")
    redis_url = _redis_url()
    if redis_url is None:
        pytest.skip("several processes need Redis (MALLKIT_TEST_REDIS_URL, 127.0.0.1:6379)")
    import psycopg

    try:
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
            schema = f"mallkit_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    sep = "&" if "?" in base else "?"
    url = f"{base}{sep}search_path={schema}"
    logs = tmp_path_factory.mktemp("ops-logs")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLKIT_")}
    env.update(
        MALLKIT_DATABASE_URL=url,
        MALLKIT_SECRET_KEY=TEST_SECRET,
        MALLKIT_RATELIMIT_STORAGE_URL=redis_url,
        MALLKIT_RATELIMIT_KEY_PREFIX=f"ops-{schema}",
        MALLKIT_REDIS_URL=redis_url,
        MALLKIT_LIVECHAT_CHANNEL_PREFIX=f"ops-{schema}:",
        MALLKIT_DB_POOL_SIZE="8",
        MALLKIT_TASK_POLL_INTERVAL="0.2",
        MALLKIT_TASK_LEASE_SECONDS=str(LEASE_SECONDS),
        MALLKIT_REQUIRE_ADMIN_2FA="false",
        MALLKIT_LOG_LEVEL="WARNING",
    )
    upgrade = subprocess.run(
        [str(BIN / "mallkit"), "db", "upgrade"], env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    cluster = Cluster(url=url, env=env, logs=logs)
    try:
        for _ in range(3):
            cluster.start_app()
        for _ in range(2):
            cluster.start_worker()
        cluster.wait_ready()
        yield cluster
    finally:
        cluster.stop()
        if dbm.database.obj is not None and hasattr(dbm.database.obj, "close_all"):
            dbm.database.obj.close_all()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def ops_app(cluster):
    """An app in this process on the cluster's schema, for seeding and checking; bound for
    the test (the test kit rebinds its own database for the next test that uses it)."""
    from mallkit.core.app import create_app

    app = create_app({"DATABASE_URL": cluster.url, "SECRET_KEY": TEST_SECRET, "TESTING": True})
    dbm.bind(cluster.url, pool_size=30)
    with app.app_context():
        dbm.database.connect(reuse_if_open=True)
        try:
            yield app
        finally:
            dbm.database.close()
