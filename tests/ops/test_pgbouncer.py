"""mallkit behind pgbouncer in transaction mode: migrations (their lock included), an app
process under gunicorn and a task worker, all through a pool of two server connections shared
by every client, with ``?prepare_threshold=none`` in the database URL. Skipped where the
``pgbouncer`` binary (Debian's package) or PostgreSQL is missing."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from mallkit.core import db as dbm
from mallkit.core.testing import TEST_ADDRESS, TEST_SECRET, postgres_url

BIN = Path(sys.executable).parent
PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None
)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def bouncer(tmp_path):
    base = postgres_url()
    if base is None:
        pytest.skip("needs PostgreSQL (MALLKIT_TEST_DATABASE_URL)")
    if PGBOUNCER is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    import psycopg

    name = f"mallkit_bouncer_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        user, host, pg_port = conn.info.user, conn.info.host, conn.info.port
    port = _port()
    # Its own folder, readable by the user pgbouncer switches to (pytest's tmp_path is not).
    folder = Path(tempfile.mkdtemp(prefix="mallkit-pgbouncer-"))
    (folder / "userlist.txt").write_text(f'"{user}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
{name} = host={host} port={pg_port} dbname={name} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "userlist.txt"}
pool_mode = transaction
default_pool_size = 2
max_client_conn = 200
server_reset_query =
logfile = {folder / "pgbouncer.log"}
"""
    )
    os.chmod(folder, 0o777)
    for item in folder.iterdir():
        os.chmod(item, 0o644)
    args = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        args[1:1] = ["-u", "postgres"]
    err = open(tmp_path / "pgbouncer.err", "wb")  # noqa: SIM115
    proc = subprocess.Popen(args, stdout=err, stderr=subprocess.STDOUT)
    try:
        try:
            _wait_port(port)
        except AssertionError:
            raise AssertionError((tmp_path / "pgbouncer.err").read_text()) from None
        yield f"postgresql://{user}@127.0.0.1:{port}/{name}?prepare_threshold=none"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
        if dbm.database.obj is not None and hasattr(dbm.database.obj, "close_all"):
            dbm.database.obj.close_all()
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_mallkit_works_behind_pgbouncer_in_transaction_mode(bouncer, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLKIT_")}
    env.update(
        MALLKIT_DATABASE_URL=bouncer,
        MALLKIT_SECRET_KEY=TEST_SECRET,
        MALLKIT_TASK_POLL_INTERVAL="0.2",
        MALLKIT_LOG_LEVEL="WARNING",
        MALLKIT_DB_POOL_SIZE="6",
    )
    # Two upgrades at once through the pooler: the advisory lock is transaction-scoped.
    upgrades = [
        subprocess.Popen(
            [str(BIN / "mallkit"), "db", "upgrade"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in upgrades:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]

    port = _port()
    log = open(tmp_path / "app.log", "ab")  # noqa: SIM115
    procs = [
        subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                "python:mallkit.core.gunicorn_conf",
                "mallkit.core.app:create_app()",
            ],
            env={
                **env,
                "MALLKIT_BIND": f"127.0.0.1:{port}",
                "WEB_CONCURRENCY": "2",
                "MALLKIT_THREADS": "4",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [str(BIN / "mallkit"), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        ),
    ]
    try:
        from mallkit.core.app import create_app
        from mallkit.core.catalog.models import Sku
        from mallkit.core.orders.models import Order
        from mallkit.core.tasks.queue import ScheduledTask
        from mallkit.core.testing import make_account, make_merchant, make_product, skus_of

        app = create_app({"DATABASE_URL": bouncer, "SECRET_KEY": TEST_SECRET, "TESTING": True})
        with app.app_context():
            dbm.database.connect(reuse_if_open=True)
            merchant = make_merchant("Bouncer")
            sku = skus_of(make_product(merchant, "池化", prices=(1000,), stocks=(20,)))[0]
            buyers = [make_account(email=f"bouncer-{i}@x.io") for i in range(40)]
            dbm.database.close()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/readyz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, (tmp_path / "app.log").read_text()[-3000:]
            time.sleep(0.2)

        def buy(i: int) -> int:
            for path, body in (
                ("/api/v1/products", None),  # the same statements, again and again
                (f"/api/v1/products/{sku.product_id}", None),
                (
                    "/api/v1/checkout/place",
                    {"items": [{"sku_id": sku.id, "quantity": 1}], "address": TEST_ADDRESS},
                ),
            ):
                r = (
                    requests.post(f"{url}{path}", json=body, headers=buyers[i].headers, timeout=60)
                    if body
                    else requests.get(f"{url}{path}", timeout=60)
                )
                if body is None:
                    assert r.status_code == 200, r.text
            return r.status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(buy, range(len(buyers))))
        assert statuses.count(201) == 20 and statuses.count(409) == 20, statuses

        with app.app_context():
            dbm.database.connect(reuse_if_open=True)
            assert Order.select().where(Order.merchant == merchant.id).count() == 20
            assert Sku.get_by_id(sku.id).stock == 0
            # The worker, through the pooler too, runs the orders' auto-cancel tasks.
            ScheduledTask.update(run_at=ScheduledTask.created_at).where(
                ScheduledTask.kind == "order.auto_cancel"
            ).execute()
            deadline = time.monotonic() + 60
            while Sku.get_by_id(sku.id).stock != 20 and time.monotonic() < deadline:
                time.sleep(0.3)
            assert Sku.get_by_id(sku.id).stock == 20
            dbm.database.close()
        log_text = (tmp_path / "app.log").read_text(errors="replace")
        assert "prepared statement" not in log_text, log_text[-3000:]
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
