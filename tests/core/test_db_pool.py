"""The PostgreSQL pool hands out a connection that came back less than ``ping_after`` seconds
ago without a round trip, pings one that sat idle longer, and recovers from a connection the
server dropped."""

from __future__ import annotations

import datetime as dt
import decimal

import peewee as pw
import psycopg
import pytest

from mallkit.core.db import PostgresPool, make_database
from mallkit.core.testing import postgres_url

pytestmark = pytest.mark.skipif(postgres_url() is None, reason="needs PostgreSQL")


def _pool(ping_after: float) -> PostgresPool:
    base = postgres_url()
    db = make_database(f"{base}{'&' if '?' in base else '?'}ping_after={ping_after}", pool_size=2)
    assert isinstance(db, PostgresPool) and db.ping_after == ping_after
    return db


def _backend_pid(db: pw.Database) -> int:
    return db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


def _terminate(pid: int) -> None:
    with psycopg.connect(postgres_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_back_within_the_window_is_reused_without_a_ping():
    db = _pool(60)
    try:
        db.connect()
        first, pid = db.connection(), _backend_pid(db)
        db.close()
        pings = []
        original = db._adapter.is_connection_closed
        db._adapter.is_connection_closed = lambda conn: pings.append(conn) or original(conn)
        try:
            db.connect()
            assert db.connection() is first and _backend_pid(db) == pid
            assert pings == []  # handed out on the local checks alone
            db.close()
        finally:
            db._adapter.is_connection_closed = original
    finally:
        db.close_all()


def test_a_connection_idle_past_the_window_is_pinged_and_a_dead_one_replaced():
    db = _pool(0)
    try:
        db.connect()
        dead_pid = _backend_pid(db)
        db.close()
        _terminate(dead_pid)
        db.connect()  # the ping finds the connection dead: a new one is opened
        assert _backend_pid(db) != dead_pid
        db.close()
    finally:
        db.close_all()


def test_a_connection_dropped_within_the_window_fails_one_statement_then_the_pool_recovers():
    db = _pool(60)
    try:
        db.connect()
        dead_pid = _backend_pid(db)
        db.close()
        _terminate(dead_pid)
        db.connect()
        with pytest.raises(pw.OperationalError):
            _backend_pid(db)
        db.close()
        db.connect()
        assert _backend_pid(db) != dead_pid
        db.close()
    finally:
        db.close_all()


def test_a_json_row_refuses_what_has_no_json_form_instead_of_writing_its_text():
    from mallkit.core.db import _json_default

    assert _json_default(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04:05"
    assert _json_default(decimal.Decimal("1.10")) == "1.10"
    with pytest.raises(TypeError):
        _json_default(b"\x00bytes")
