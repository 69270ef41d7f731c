"""Applying migrations: the core's folder, then each installed plugin's, in dependency order,
each with its own history table (``migrations_<source>``). Safe to run twice.

Safe to run at the same time, too: :func:`upgrade` holds a database-wide lock while it reads
what is pending and applies it, so two instances starting together (two containers, two
hosts) never both apply a migration — the second waits, then finds nothing to do.

- PostgreSQL: the whole upgrade is one transaction (DDL is transactional there; each
  migration is a savepoint in it), which first takes a transaction-scoped advisory lock
  (``pg_advisory_xact_lock``) keyed by the database and schema — parallel test runs in
  private schemas do not wait for each other. One connection, one transaction: it holds
  through pgbouncer in transaction mode, is released if the process dies, and an upgrade that
  fails half-way leaves the schema as it was.
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
    # PostgreSQL's lock lives in the upgrade's connection. SQLite's file lock is taken before
    # connecting: opening a connection switches the file to WAL, which SQLite refuses at once
    # ("database is locked", no busy wait) while another upgrade's connection does the same.
    locked = (
        (db.database.connection_context(), upgrade_lock())
        if db.is_postgres()
        else (upgrade_lock(), db.database.connection_context())
    )
    with locked[0], locked[1]:
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
    """One transaction on this thread's connection around the whole upgrade, locked first."""
    with db.database.atomic():
        schema = db.database.execute_sql("SELECT current_database(), current_schema()").fetchone()
        digest = hashlib.sha256(f"mallkit-migrate:{schema[0]}:{schema[1]}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        got = db.database.execute_sql("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()
        if not got[0]:
            log.warning(WAITING)
            db.database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (key,))
        yield


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
