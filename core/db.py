"""The database: one peewee ``DatabaseProxy`` bound at start-up, the base model, and the one
transaction helper every write goes through.

SQLite (the embedded default) runs in WAL mode with foreign keys on, a busy timeout and
``BEGIN IMMEDIATE`` for every transaction, so two writers queue instead of failing half-way.
PostgreSQL is pooled (several app processes share one database).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Any
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


class PostgresPool(PooledPostgresqlDatabase):
    """peewee's PostgreSQL pool, without a round trip on every check-out.

    peewee makes sure a pooled connection is alive before handing it out by running
    ``SELECT 1`` — on every request, under the pool's lock, so the threads of a process queue
    behind each other's round trips. Here a connection that came back to the pool less than
    ``ping_after`` seconds ago is handed out after the local checks only (closed, transaction
    state); one that sat idle longer is pinged as before — the window HikariCP keeps too
    ("aliveBypassWindow"). A server that dropped a connection within that window fails the
    request's first statement, as it would fail any statement of a request already running.
    """

    def __init__(self, *args: Any, ping_after: float = 1.0, **kwargs: Any):
        self.ping_after = ping_after
        self._returned: dict[int, float] = {}  # id(conn) -> when it came back to the pool
        super().__init__(*args, **kwargs)

    def _is_closed(self, conn: Any) -> bool:
        returned = self._returned.pop(id(conn), None)
        recent = returned is not None and time.monotonic() - returned < self.ping_after
        if recent and not conn.closed and self._adapter.txn_status(conn) == self._adapter.txn_idle:
            return False
        return super()._is_closed(conn)

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        if not close_conn:
            self._returned[id(conn)] = time.monotonic()
        super()._close(conn, close_conn)

    def _close_raw(self, conn: Any) -> None:
        self._returned.pop(id(conn), None)
        super()._close_raw(conn)


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
        if "prepare_threshold" in options:
            # ``?prepare_threshold=none`` behind pgbouncer in transaction mode (before 1.21):
            # psycopg must not prepare statements a later transaction may not find on the
            # server connection it is given (docs/deployment.md "pgbouncer").
            raw = options.pop("prepare_threshold").strip().lower()
            kwargs["prepare_threshold"] = None if raw in ("", "none", "null") else int(raw)
        if "ping_after" in options:  # seconds; 0: check every connection with a round trip
            kwargs["ping_after"] = float(options.pop("ping_after"))
        search_path = options.pop("search_path", None)
        if search_path:
            kwargs["options"] = f"-c search_path={search_path}"
        kwargs.update(options)
        return PostgresPool(parts.path.lstrip("/"), **kwargs)
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
def transaction(*, savepoint: bool = True):
    """Run the block in one transaction (a savepoint when nested).

    ``savepoint=False`` joins an enclosing transaction instead of opening a savepoint (two
    statements fewer): for a block that writes nothing before it can fail, or whose errors
    always reach a caller that rolls the whole transaction back.

    On SQLite the outer transaction is ``BEGIN IMMEDIATE``: the write lock is taken up front,
    so conditional updates inside never meet a lock upgrade failure.

    Callbacks given to :func:`on_commit` inside the block run once the outermost transaction
    has committed; a block that rolls back (a savepoint included) drops the ones it queued.
    """
    frames = _frames()
    if not savepoint and database.in_transaction():
        yield None  # on_commit() callbacks go to the enclosing block
        return
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


# -- queries built once ------------------------------------------------------------------------
#
# Building SQL with peewee costs far more CPU than running a simple indexed statement (about
# 20x on the checkout's queries). The hot paths (sign-in by token, the cart, the checkout,
# the stock movements) therefore describe each statement once as a peewee query with named
# placeholders; :class:`Prepared` turns it into SQL the first time it runs on a database
# dialect (and per "shape", e.g. the number of rows of a multi-row insert) and afterwards only
# binds the values. The SQL text is then identical from call to call, so PostgreSQL's driver
# prepares it server-side too.


class Param(pw.Node):
    """A named placeholder in a :class:`Prepared` query. ``field`` converts the value given at
    run time to its database form (``field.db_value``: JSON, dates, booleans)."""

    def __init__(self, name: str, field: pw.Field | None = None):
        super().__init__()
        self.name = name
        self.convert = field.db_value if field is not None else None

    def __sql__(self, ctx):
        ctx._values.append(self)
        return ctx.literal(ctx.state.param or "?")


_CONVERTED = (pw.BooleanField, pw.DateTimeField, pw.DateField, pw.TimeField, pw.DecimalField)


def _reader(node: Any) -> Callable[[Any], Any] | None:
    """How a selected/returned column's raw value becomes its Python value (None: as is)."""
    if isinstance(node, pw.ForeignKeyField):
        node = node.rel_field
    if isinstance(node, _CONVERTED) or isinstance(node, JSONField):
        return node.python_value
    return None


class Prepared:
    """A statement built once per dialect and shape, then run with new values.

    ``build(*shape)`` returns a peewee query whose variable parts are :class:`Param` nodes;
    ``shape`` holds what changes the SQL text itself (the number of rows of a multi-row
    insert, the length of an ``IN`` list). :meth:`rows` converts the selected or returned
    columns that are model fields to their Python values (dates on SQLite, JSON, booleans).
    """

    MAX_SHAPES = 256

    def __init__(self, build: Callable[..., Any]):
        self.build = build
        self._compiled: dict[tuple, tuple[str, tuple, tuple]] = {}

    def compile(self, *shape: Any) -> tuple[str, tuple, tuple]:
        db = database.obj
        key = (type(db), db.param, shape)
        hit = self._compiled.get(key)
        if hit is None:
            query = self.build(*shape)
            sql, params = db.get_sql_context().sql(query).query()
            template = tuple(params)
            returning = getattr(query, "_returning", None) or ()
            readers = tuple(
                (i, r) for i, r in enumerate(_reader(n) for n in returning) if r is not None
            )
            hit = (sql, template, readers)
            if len(self._compiled) < self.MAX_SHAPES:
                self._compiled[key] = hit
        return hit

    def execute(self, values: dict[str, Any] | None = None, *shape: Any):
        """Run it; returns the cursor."""
        sql, template, _ = self.compile(*shape)
        return database.execute_sql(sql, _bind(template, values or {}))

    def rows(self, values: dict[str, Any] | None = None, *shape: Any) -> list[Sequence]:
        """Run it and return its rows (tuples or lists) of Python values."""
        sql, template, readers = self.compile(*shape)
        rows = database.execute_sql(sql, _bind(template, values or {})).fetchall()
        if not readers:
            return rows
        out = []
        for row in rows:
            values = list(row)
            for i, read in readers:
                if values[i] is not None:
                    values[i] = read(values[i])
            out.append(values)
        return out

    def raw_rows(self, values: dict[str, Any] | None = None, *shape: Any) -> list[Sequence]:
        """Run it and return its rows as the driver gives them (see :func:`readers`)."""
        sql, template, _ = self.compile(*shape)
        return database.execute_sql(sql, _bind(template, values or {})).fetchall()

    def one(self, values: dict[str, Any] | None = None, *shape: Any) -> Sequence | None:
        rows = self.rows(values, *shape)
        return rows[0] if rows else None


def readers(columns: Sequence[Any]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """``(position, convert)`` of the ``columns`` whose raw values need converting to Python
    (for rows from :meth:`Prepared.raw_rows`, converted only where they are used)."""
    return tuple((i, r) for i, r in enumerate(_reader(c) for c in columns) if r is not None)


def _bind(template: tuple, values: dict[str, Any]) -> list[Any]:
    out = []
    for p in template:
        if isinstance(p, Param):
            value = values[p.name]
            out.append(p.convert(value) if p.convert is not None and value is not None else value)
        else:
            out.append(p)
    return out


def instance(model: type[pw.Model], data: dict[str, Any], **related: pw.Model) -> pw.Model:
    """A model instance of a row read by a :class:`Prepared` query (``data``: field name →
    Python value; ``related``: loaded foreign-key objects), without peewee's per-field
    assignment."""
    obj = model.__new__(model)
    obj.__data__ = data
    obj._dirty = set()
    obj.__rel__ = related
    return obj


_INSERTS: dict[tuple, Prepared] = {}


def _insert_query(model: type[pw.Model], names: tuple[str, ...]) -> Prepared:
    key = (model, names)
    prepared = _INSERTS.get(key)
    if prepared is None:
        fields = model._meta.fields
        pk = model._meta.primary_key

        def build(n: int | None):
            if n is None:  # PostgreSQL: the rows as one JSON array, the same SQL for any count
                columns = [pw.Entity(fields[f].column_name) for f in names]
                record = pw.NodeList((pw.SQL("NULL::"), pw.Entity(model._meta.table_name)), "")
                source = pw.fn.json_populate_recordset(record, Param("rows"))
                rows = pw.Select(from_list=[source], columns=columns)
                return model.insert_from(rows, [fields[f] for f in names]).returning(pk)
            rows = [{fields[f]: Param(f"{f}{k}", fields[f]) for f in names} for k in range(n)]
            return model.insert_many(rows).returning(pk)

        prepared = _INSERTS[key] = Prepared(build)
        # bytes have no JSON form: a model with a blob column keeps multi-row VALUES
        prepared.json_rows = not any(isinstance(fields[f], pw.BlobField) for f in names)
    return prepared


def _json_default(value: Any) -> str:
    """Datetimes, dates, decimals and UUIDs as text, as PostgreSQL reads them back; anything
    else is refused rather than written as its ``str()``."""
    if isinstance(value, (dt.datetime, dt.date, dt.time, decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot go into a JSON row")


# Above this many values a multi-row VALUES statement goes to PostgreSQL as JSON instead:
# psycopg caches the parsing of a statement only up to 50 parameters and re-parses a longer
# one on every call, which costs more than the insert itself.
_MAX_VALUES = 50


def insert_rows(model: type[pw.Model], names: tuple[str, ...], rows: list[dict[str, Any]]) -> list:
    """Insert ``rows`` (each with every field of ``names``, by name) in one statement whose SQL
    is built once, and return the new primary keys in the rows' order. Many rows on PostgreSQL
    go as one JSON parameter (``INSERT … SELECT … FROM json_populate_recordset``): the same
    statement, prepared once, for any number of rows."""
    if not rows:
        return []
    query = _insert_query(model, names)
    if len(rows) * len(names) > _MAX_VALUES and is_postgres() and query.json_rows:
        fields = model._meta.fields
        columns = [(f, fields[f].column_name, fields[f].db_value) for f in names]
        data = [
            {column: None if row[f] is None else convert(row[f]) for f, column, convert in columns}
            for row in rows
        ]
        text = json.dumps(data, ensure_ascii=False, default=_json_default)
        return [r[0] for r in query.rows({"rows": text}, None)]
    values = {f"{f}{k}": row[f] for k, row in enumerate(rows) for f in names}
    return [r[0] for r in query.rows(values, len(rows))]


def insert(model: type[pw.Model], rows: list[dict[str, Any]]) -> list[pw.Model]:
    """Insert ``rows`` (field name → value; the model's defaults fill the rest) in one
    statement whose SQL is built once per model and row count; return the new instances, ids
    set (``RETURNING``), without reading them back."""
    if not rows:
        return []
    pk = model._meta.primary_key.name
    names = tuple(f for f in model._meta.sorted_field_names if f != pk)
    full = [{**model._meta.get_default_dict(), **row} for row in rows]
    ids = insert_rows(model, names, [{f: row.get(f) for f in names} for row in full])
    json_fields = {f.name for f in model._meta.sorted_fields if isinstance(f, JSONField)}
    out = []
    for r, row in zip(ids, full, strict=True):
        related = {}
        for name, value in row.items():
            if isinstance(value, pw.Model):  # a foreign key given as the object
                related[name] = value
                row[name] = value.get_id()
            elif value is not None and name in json_fields:  # as a read would give it
                row[name] = json.loads(json.dumps(value, ensure_ascii=False))
        out.append(instance(model, {pk: r, **row}, **related))
    return out
