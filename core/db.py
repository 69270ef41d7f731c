"""The database: one peewee ``DatabaseProxy`` bound at start-up, the base model, and the one
transaction helper every write goes through.

SQLite (the embedded default) runs in WAL mode with foreign keys on, a busy timeout and
``BEGIN IMMEDIATE`` for every transaction, so two writers queue instead of failing half-way.
PostgreSQL is pooled (several app processes share one database).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager
from urllib.parse import parse_qsl, unquote, urlparse

import peewee as pw
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

database = pw.DatabaseProxy()
log = logging.getLogger("mallkit.db")


def utcnow() -> dt.datetime:
    """The current time, UTC, naive (how every timestamp is stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """UTC, naive — how times are stored. An aware time is converted; a naive one is taken to
    be UTC already."""
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def make_database(url: str, *, pool_size: int = 20) -> pw.Database:
    """Build a peewee database from a URL (``sqlite:///path`` or ``postgresql://...``)."""
    parts = urlparse(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path) or ":memory:"
        if parts.netloc:  # sqlite://relative/path is a common slip; treat it as relative
            path = parts.netloc + "/" + path
        # Pooled: a request takes a connection from the pool instead of opening a file and
        # running the pragmas every time.
        return PooledSqliteDatabase(
            path,
            max_connections=pool_size,
            stale_timeout=300,
            lock_type="IMMEDIATE",
            timeout=30,
            check_same_thread=False,
            pragmas={
                "journal_mode": "wal",
                "foreign_keys": 1,
                "busy_timeout": 30_000,
                "synchronous": "normal",
            },
        )
    if parts.scheme in ("postgres", "postgresql"):
        kwargs = {
            "host": parts.hostname or None,
            "port": parts.port or 5432,
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "max_connections": int(options.pop("pool_size", pool_size)),
            "stale_timeout": 300,
            "timeout": 30,
        }
        search_path = options.pop("search_path", None)
        if search_path:
            kwargs["options"] = f"-c search_path={search_path}"
        kwargs.update(options)
        return PooledPostgresqlDatabase(parts.path.lstrip("/"), **kwargs)
    raise ValueError(f"unsupported database URL scheme {parts.scheme!r} (sqlite or postgresql)")


def bind(url: str, *, pool_size: int = 20) -> pw.Database:
    """Point the proxy at the database for ``url``; rebinding to the same URL is a no-op."""
    current = database.obj
    if current is not None and getattr(current, "_mallkit_url", None) == url:
        return current
    if current is not None:
        current.close_all() if hasattr(current, "close_all") else current.close()
    db = make_database(url, pool_size=pool_size)
    db._mallkit_url = url
    database.initialize(db)
    return db


def is_postgres() -> bool:
    return isinstance(database.obj, pw.PostgresqlDatabase)


# Callbacks waiting for a commit: one list per open transaction() block of this thread (peewee
# keeps its connection and transaction state per thread too), innermost last.
_pending = threading.local()


def _frames() -> list[list[Callable[[], None]]]:
    frames = getattr(_pending, "frames", None)
    if frames is None:
        frames = _pending.frames = []
    return frames


def _run_callbacks(callbacks: list[Callable[[], None]]) -> None:
    for fn in callbacks:
        try:
            fn()
        except Exception:  # committed already: a failing callback must not reach the caller
            log.exception("after-commit callback %r failed", fn)


@contextmanager
def transaction():
    """Run the block in one transaction (a savepoint when nested).

    On SQLite the outer transaction is ``BEGIN IMMEDIATE``: the write lock is taken up front,
    so conditional updates inside never meet a lock upgrade failure.

    Callbacks given to :func:`on_commit` inside the block run once the outermost transaction
    has committed; a block that rolls back (a savepoint included) drops the ones it queued.
    """
    frames = _frames()
    frame: list[Callable[[], None]] = []
    frames.append(frame)
    try:
        with database.atomic() as txn:
            yield txn
    finally:
        frames.pop()  # on an exception the frame is dropped with it
    if frames:  # a savepoint was released: its callbacks wait for the enclosing block
        frames[-1].extend(frame)
    elif frame:
        # Committed, or nested in a transaction not opened here: peewee runs them at its
        # commit (at once when there is none) and forgets them on its rollback.
        database.after_commit(lambda: _run_callbacks(frame))


def on_commit(fn: Callable[[], None]) -> None:
    """Run ``fn()`` after the current transaction commits — at once outside a transaction;
    never if it rolls back. For notifications (signals, messages to other systems), not for
    durable work: a process that dies between the commit and the call loses it, so what must
    happen goes in the task table (``mallkit.core.tasks.queue.schedule``). An exception from
    ``fn`` is logged and swallowed."""
    frames = _frames()
    if frames:
        frames[-1].append(fn)
    else:
        database.after_commit(lambda: _run_callbacks([fn]))


class JSONField(pw.TextField):
    """JSON stored as text, the same on SQLite and PostgreSQL."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(pw.Model):
    """Base of every mallkit table (core and plugins)."""

    class Meta:
        database = database
        legacy_table_names = False
