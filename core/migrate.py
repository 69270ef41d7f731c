"""Applying migrations: the core's folder, then each installed plugin's, in dependency order,
each with its own history table (``migrations_<source>``). Safe to run twice.

Safe to run at the same time, too: :func:`upgrade` holds a database-wide lock while it reads
what is pending and applies it, so two instances starting together (two containers, two
hosts) never both apply a migration — the second waits, then finds nothing to do.

- PostgreSQL: a transaction-scoped advisory lock (``pg_advisory_xact_lock``) held on a
  connection of its own for the whole upgrade, keyed by the database and schema (parallel
  test runs in private schemas do not wait for each other). Transaction-scoped, so it also
  holds through pgbouncer in transaction mode, and it is released if the process dies.
- SQLite: an exclusive ``flock`` on ``<database file>.migrate-lock`` beside the file,
  released by the kernel if the process dies.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from playhouse.migrations import Runner

from mallkit.core import db
from mallkit.core.plugins import MigrationSource, PluginHost

log = logging.getLogger("mallkit.migrate")


def _runner(source: MigrationSource) -> Runner:
    return Runner(db.database.obj, str(source.directory), table_name=f"migrations_{source.name}")


def upgrade(host: PluginHost) -> dict[str, list[str]]:
    """Apply every pending migration; return the names applied per source."""
    applied: dict[str, list[str]] = {}
    with upgrade_lock(), db.database.connection_context():
        for source in host.migration_sources():
            applied[source.name] = _runner(source).up()
    return applied


@contextmanager
def upgrade_lock() -> Iterator[None]:
    """Hold the database's migration lock (see the module's docstring) for the block."""
    if db.is_postgres():
        with _postgres_lock():
            yield
        return
    path = getattr(db.database.obj, "database", None)
    if not path or path == ":memory:" or str(path).startswith("file:"):
        yield  # one process owns an in-memory database
        return
    with _file_lock(f"{path}.migrate-lock"):
        yield


WAITING = "another `mallkit db upgrade` is applying migrations; waiting for it to finish"


@contextmanager
def _postgres_lock() -> Iterator[None]:
    url = getattr(db.database.obj, "_mallkit_url", None)
    if url is None:
        raise RuntimeError("the database was not bound with mallkit.core.db.bind()")
    locker = db.make_database(url, pool_size=1)
    try:
        locker.connect()
        with locker.atomic():  # the lock lives as long as this transaction
            name = locker.execute_sql("SELECT current_database(), current_schema()").fetchone()
            digest = hashlib.sha256(f"mallkit-migrate:{name[0]}:{name[1]}".encode()).digest()
            key = int.from_bytes(digest[:8], "big", signed=True)
            got = locker.execute_sql("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()
            if not got[0]:
                log.warning(WAITING)
                locker.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
            yield
    finally:
        if not locker.is_closed():
            locker.close()
        locker.close_all()


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock (run one upgrade at a time)
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning(WAITING)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def status(host: PluginHost) -> dict[str, list[tuple[str, bool]]]:
    """Every migration per source with whether it is applied."""
    out: dict[str, list[tuple[str, bool]]] = {}
    with db.database.connection_context():
        for source in host.migration_sources():
            out[source.name] = [(m.name, m.applied is not None) for m in _runner(source).status()]
    return out


def pending(host: PluginHost) -> list[str]:
    """``source:name`` of every migration not applied yet (all of them on a database that was
    never migrated); reads the history tables, creates nothing."""
    return [
        f"{source}:{name}"
        for source, rows in status(host).items()
        for name, applied in rows
        if not applied
    ]
