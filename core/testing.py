"""pytest fixtures for mallkit and for plugin authors.

Use it from a ``conftest.py``::

    pytest_plugins = ["mallkit.core.testing"]

The database is real: a SQLite file per test session, or — when
``MALLKIT_TEST_DATABASE_URL`` is set (``postgresql://postgres@127.0.0.1:5432/test``) — a
private schema in that PostgreSQL database, dropped when the session ends. Every test starts
with empty tables and ids starting at 1 again.

Fixtures: ``app``, ``client``, ``db``, ``admin``, ``merchant``, ``other_merchant``, ``owner``,
``buyer``, ``other_buyer``, ``make_app`` and ``enable_plugin``.

The app cache
-------------

Building an app (every blueprint with its OpenAPI document, every plugin registered) takes
longer than most tests run. So ``make_app`` — and the ``app`` and ``client`` fixtures, which
use it — builds each distinct app once per test session and gives it to every test asking for
the same one. An app is the same when its effective settings (the test kit's, the
``make_app(**config)`` overrides, ``MALLKIT_*`` environment variables and config file) and the
plugin modules passed as ``plugins=[...]`` (the module objects) are. The 16 apps used last are
kept.

Before a test gets a cached app, the app is put back as it was built:

* plugins registered on its host since (``host.register(module)``) are unregistered;
* ``app.config`` is restored, so ``app.config["X"] = ...`` in a test needs no undoing;
* the plugin host's caches (per-merchant views, hook callers, derived registrations) are
  emptied, rate-limit counts reset, the session database bound again, the core's job handlers
  checked as at start-up, and every table emptied;
* Flask's "has handled a request" flag is cleared, so a test may add a route or a hook as it
  could to a new app.

A change the cache cannot put back makes it drop the app; the next test asking for it gets a
new one. The cache compares the app with how it was built: routes and views, request hooks,
error handlers, blueprints, ``app.extensions`` entries (the objects, not their insides),
attributes set on the app object, the JSON provider's options, the plugin manager's plugins
and hooks — so adding a route, unregistering an installed plugin or adding hook specs is
safe, only slower.

What the cache cannot see, a test that changes it must undo itself (``try``/``finally``, a
fixture, or ``monkeypatch``, which undoes before the next test starts): state inside objects
the app holds (a dict in ``app.extensions`` changed in place, a plugin module's globals),
and settings of the shared ``limiter``. A test that cannot undo its change, or needs an app
no other test has used, is marked and gets new, uncached apps::

    @pytest.mark.mallkit_fresh_app
    def test_something(make_app): ...

Two ``make_app`` calls with the same arguments in one test (or ``make_app()`` in a test that
also uses ``app``) give two distinct apps, as two processes would have. ``build_app`` is never
cached. ``MALLKIT_TEST_APP_CACHE=0`` turns the cache off for a run, to tell whether a failure
comes from it. ``pytest -v`` ends with how many apps were built, reused, discarded (changed
beyond repair) and built uncached.

Accounts made by :func:`make_account` (and so the account fixtures) share one real scrypt hash
per password: hashing takes about 0.1 s, more than the rest of a typical test's set-up.
"""

from __future__ import annotations

import copy
import functools
import os
import uuid
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from flask import Flask
from werkzeug.utils import cached_property

from mallkit.core import db as dbm
from mallkit.core import migrate, plugin_settings
from mallkit.core.accounts import auth
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.app import create_app
from mallkit.core.catalog.models import Sku
from mallkit.core.catalog.service import create_product
from mallkit.core.checkout import service as checkout
from mallkit.core.config import load_settings
from mallkit.core.limits import limiter
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order
from mallkit.core.payments import refunds
from mallkit.core.payments import service as payments
from mallkit.core.payments.channel import ChannelPayment
from mallkit.core.payments.models import Refund
from mallkit.core.plugins import get_host
from mallkit.core.tasks import queue as tasks
from mallkit.core.tasks.runner import run_due

TEST_SECRET = "mallkit-test-secret"
POSTGRES_ENV = "MALLKIT_TEST_DATABASE_URL"


@dataclass
class Account:
    """A signed-in test user: ``client.get(url, headers=account.headers)``."""

    user: User
    token: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def on_postgres() -> bool:
    return postgres_url() is not None


@pytest.fixture(scope="session")
def mallkit_database_url(tmp_path_factory) -> Iterator[str]:
    """The URL every test app uses (one database per session)."""
    base = postgres_url()
    if base is None:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'mallkit-test.db'}"
        return
    import psycopg

    # The schema carries the pid of the run, so a run that was killed before it could drop its
    # schema is cleaned up by the next one (on this machine) and the database stays as found.
    schema = f"mallkit_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        conn = psycopg.connect(base, autocommit=True)
    except psycopg.OperationalError as exc:
        raise pytest.UsageError(f"{POSTGRES_ENV} is set but unreachable: {exc}") from exc
    with conn:
        for (stale,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'mallkit\\_test\\_%'"
        ).fetchall():
            if not _run_alive(stale):
                conn.execute(f'DROP SCHEMA IF EXISTS "{stale}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}search_path={schema}"
    finally:
        if dbm.database.obj is not None:
            dbm.database.obj.close_all() if hasattr(dbm.database.obj, "close_all") else None
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _run_alive(schema: str) -> bool:
    """Whether the test run that made ``schema`` (``mallkit_test_<pid>_<hex>``) still runs
    here; schemas of another shape are from an older kit and are left alone."""
    parts = schema.split("_")
    if len(parts) != 4 or not parts[2].isdigit():
        return True
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def empty_tables() -> None:
    """Delete every row of every table (migration history excepted)."""
    database = dbm.database
    tables = [t for t in database.get_tables() if not t.startswith("migrations_")]
    if not tables:
        return
    if dbm.is_postgres():
        _empty_postgres(database, tables)
        return
    # Full-text (FTS5) tables: their shadow tables must never be emptied row by row (that
    # corrupts the index); the index is reset with its own 'delete-all' command instead.
    virtual = [
        r[0]
        for r in database.execute_sql(
            "SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE 'CREATE VIRTUAL TABLE%'"
        ).fetchall()
    ]
    tables = [
        t for t in tables if t not in virtual and not any(t.startswith(v + "_") for v in virtual)
    ]
    database.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        with database.atomic():
            for table in tables:
                database.execute_sql(f'DELETE FROM "{table}"')
            for table in virtual:
                database.execute_sql(f'INSERT INTO "{table}"("{table}") VALUES (\'delete-all\')')
            if "sqlite_sequence" in {
                r[0]
                for r in database.execute_sql(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                ).fetchall()
            }:
                database.execute_sql("DELETE FROM sqlite_sequence")
    finally:
        database.execute_sql("PRAGMA foreign_keys = ON")


# Every sequence of the schema that handed out a value since it was last reset, reset to its
# start (ids restart at 1, like a new database), with the table owning it.
# The schema's own sequences are picked first (a materialized CTE): the planner may otherwise
# call pg_sequence_last_value on another schema's sequences too, and fail ("could not open
# relation with OID") when another session drops its schema meanwhile.
_PG_RESET_SEQUENCES = """
WITH mine AS MATERIALIZED (
    SELECT s.seqrelid, s.seqstart, t.relname
    FROM pg_sequence s
    JOIN pg_class c ON c.oid = s.seqrelid
    JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
        AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    JOIN pg_class t ON t.oid = d.refobjid
    WHERE c.relnamespace = current_schema()::regnamespace
        AND t.relname NOT LIKE 'migrations\\_%%'
)
SELECT relname, setval(seqrelid, seqstart, false)
FROM mine
WHERE pg_sequence_last_value(seqrelid) IS NOT NULL
"""

# Foreign keys between tables of the schema: (referencing, referenced).
_PG_FOREIGN_KEYS = """
SELECT r.relname, f.relname
FROM pg_constraint k
JOIN pg_class r ON r.oid = k.conrelid
JOIN pg_class f ON f.oid = k.confrelid
WHERE k.contype = 'f' AND r.relnamespace = current_schema()::regnamespace
"""


def _empty_postgres(database, tables: list[str]) -> None:
    """Empty only the tables a test wrote to. TRUNCATE of every table costs a new file per
    table and an fsync (0.1 to 0.5 s a test); a DELETE of the few tables holding rows, children
    before parents, costs milliseconds. Sequences that moved are reset."""
    with database.atomic():
        probe = " UNION ALL ".join(f'SELECT %s WHERE EXISTS (SELECT 1 FROM "{t}")' for t in tables)
        holding = {r[0] for r in database.execute_sql(probe, tables).fetchall()}
        if holding:
            order = _children_first(holding, database.execute_sql(_PG_FOREIGN_KEYS).fetchall())
            if order is None:  # a cycle of foreign keys: let PostgreSQL sort it out
                quoted = ", ".join(f'"{t}"' for t in sorted(holding))
                database.execute_sql(f"TRUNCATE {quoted} CASCADE")
            else:
                for table in order:
                    database.execute_sql(f'DELETE FROM "{table}"')
        database.execute_sql(_PG_RESET_SEQUENCES).fetchall()


def _children_first(tables: set[str], foreign_keys: list[tuple[str, str]]) -> list[str] | None:
    """``tables`` with every referencing table before the tables it references (None when
    they reference each other in a cycle). Tables holding no rows need no place."""
    refs = {t: set() for t in tables}  # table -> the tables it references
    for child, parent in foreign_keys:
        if child in tables and parent in tables and child != parent:
            refs[child].add(parent)
    referenced_by = {t: {c for c in tables if t in refs[c]} for t in tables}
    order: list[str] = []
    ready = sorted(t for t in tables if not referenced_by[t])
    while ready:
        table = ready.pop()
        order.append(table)
        for parent in sorted(refs[table]):
            referenced_by[parent].discard(table)
            if not referenced_by[parent]:
                ready.append(parent)
    return order if len(order) == len(tables) else None


def _test_settings(database_url: str, config: dict[str, Any]) -> dict[str, Any]:
    # Threads beyond the pool wait for a connection (concurrency tests run 50 at once).
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "TESTING": True,
        "DB_POOL_SIZE": 24,
        "REQUIRE_ADMIN_2FA": False,  # tests of it turn it on
        **config,
    }


def _begin_test(app: Flask, settings: dict[str, Any]) -> None:
    """What every test's app gets, new or reused: the session database bound (a test may
    have built an app on another URL), the start-up check of job handlers (the core's may
    have changed since), empty tables and no rate-limit counts."""
    dbm.bind(settings["DATABASE_URL"], pool_size=int(settings["DB_POOL_SIZE"]))
    tasks.init_app(app)
    with dbm.database.connection_context():
        empty_tables()
    limiter.reset()


def build_app(database_url: str, plugins: list[ModuleType] | None = None, **config: Any) -> Flask:
    """A new test app on the session database with migrations applied and tables empty
    (never cached: :func:`make_app` is the cached way)."""
    settings = _test_settings(database_url, config)
    app = create_app(settings, plugins=plugins)
    migrate.upgrade(app.extensions["mallkit"].plugins)
    _begin_test(app, settings)
    return app


# -- the app cache ---------------------------------------------------------------------------

APP_CACHE_SIZE = 16
FRESH_APP_MARKER = "mallkit_fresh_app"
NO_CACHE_ENV = "MALLKIT_TEST_APP_CACHE"
_TASKS_EXTENSION = tasks._EXTENSION  # job_handlers' memo, rebuilt on demand


def _freeze(value: Any) -> Hashable:
    """A hashable stand-in for a settings value; TypeError when there is none."""
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((str(k), _freeze(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_freeze(v) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", frozenset(_freeze(v) for v in value))
    hash(value)
    return (type(value).__name__, value)


def _app_shape(app: Flask) -> tuple:
    """Everything about an app that a test could change and the cache cannot put back:
    routes, request hooks, error handlers, extensions, attributes set on the instance, the
    plugin manager's plugins and hooks. Flask fills some of these lazily (empty handler
    maps, ``jinja_env``); those are left out, so serving requests changes nothing here."""
    host = app.extensions["mallkit"].plugins

    def by_name(item: tuple) -> str:
        return str(item[0])

    def hooks(funcs: Mapping) -> tuple:
        return tuple(sorted(((k, tuple(v)) for k, v in funcs.items() if v), key=by_name))

    lazy = (cached_property, functools.cached_property)
    attributes = tuple(
        sorted(n for n in vars(app) if not isinstance(getattr(type(app), n, None), lazy))
    )
    handlers = tuple(
        sorted(
            (
                ((scope, code), tuple(by_class.items()))
                for scope, by_code in app.error_handler_spec.items()
                for code, by_class in by_code.items()
                if by_class
            ),
            key=by_name,
        )
    )
    return (
        attributes,
        tuple(app.view_functions.items()),
        tuple(rule.rule for rule in app.url_map.iter_rules()),
        hooks(app.before_request_funcs),
        hooks(app.after_request_funcs),
        hooks(app.teardown_request_funcs),
        tuple(app.teardown_appcontext_funcs),
        hooks(app.url_value_preprocessors),
        hooks(app.url_default_functions),
        hooks(app.template_context_processors),
        tuple(app.url_build_error_handlers),
        handlers,
        tuple(app.blueprints.items()),
        tuple((k, id(v)) for k, v in app.extensions.items() if k != _TASKS_EXTENSION),
        tuple((k, v) for k, v in vars(app.json).items() if k != "_app"),
        tuple(host.pm.list_name_plugin()),
        tuple(sorted(vars(host.pm.hook))),
        frozenset(host._added_specs),
    )


@dataclass
class _CachedApp:
    app: Flask
    config: dict[str, Any]  # a deep copy of the config the app was built with
    plugins: dict[str, Any]  # name -> LoadedPlugin, as built
    shape: tuple

    @classmethod
    def of(cls, app: Flask) -> _CachedApp:
        host = app.extensions["mallkit"].plugins
        return cls(app, copy.deepcopy(dict(app.config)), dict(host.plugins), _app_shape(app))

    def restore(self) -> bool:
        """Put the app back as it was built; False when a change cannot be undone."""
        app = self.app
        host = app.extensions["mallkit"].plugins
        for name in [n for n in host.plugins if n not in self.plugins]:
            host.unregister(name)  # a plugin a test registered and left behind
        if host.plugins.keys() != self.plugins.keys() or any(
            host.plugins[n] is not p for n, p in self.plugins.items()
        ):
            return False
        if dict(app.config) != self.config:
            app.config.clear()
            app.config.update(copy.deepcopy(self.config))
        if _app_shape(app) != self.shape:
            return False
        host._invalidate()  # per-merchant views, hook callers, derived registrations
        # A new app takes routes and hooks until its first request; so does a reused one
        # (whatever a test adds changes the shape, and the app is not reused after that).
        app._got_first_request = False
        return True


class AppCache:
    """Test apps built once per distinct (settings, plugin modules) and reused; see the
    module docstring. One per test session (the ``mallkit_app_cache`` fixture)."""

    def __init__(self, size: int = APP_CACHE_SIZE) -> None:
        self.size = size
        self._apps: OrderedDict[Hashable, _CachedApp] = OrderedDict()
        self.stats = {"built": 0, "reused": 0, "discarded": 0, "uncached": 0}

    @staticmethod
    def key(settings: dict[str, Any], plugins: list[ModuleType] | None) -> Hashable | None:
        """The effective settings (environment and config file included) and the plugin
        modules by identity; None when a setting has no hashable form (not cached)."""
        try:
            return (_freeze(load_settings(settings)), tuple(id(m) for m in plugins or ()))
        except TypeError:
            return None

    def get(self, key: Hashable, settings: dict[str, Any], plugins: list | None) -> Flask:
        """The cached app for ``key`` put back as built, or a new one; tables empty."""
        entry = self._apps.get(key)
        if entry is not None and not entry.restore():
            del self._apps[key]
            self.stats["discarded"] += 1
            entry = None
        if entry is None:
            app = create_app(settings, plugins=plugins)
            migrate.upgrade(app.extensions["mallkit"].plugins)
            entry = _CachedApp.of(app)
            self._apps[key] = entry
            while len(self._apps) > self.size:
                self._apps.popitem(last=False)
            self.stats["built"] += 1
        else:
            self._apps.move_to_end(key)
            self.stats["reused"] += 1
        _begin_test(entry.app, settings)
        return entry.app

    def clear(self) -> None:
        self._apps.clear()


def _cache_enabled() -> bool:
    return os.environ.get(NO_CACHE_ENV, "1").strip().lower() not in ("0", "off", "false", "no")


_CACHE_STASH = pytest.StashKey[AppCache]()


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers",
        f"{FRESH_APP_MARKER}: make_app and the app fixture build new apps for this test "
        "instead of reusing the session's cached ones",
    )


def pytest_terminal_summary(terminalreporter, config) -> None:
    cache = config.stash.get(_CACHE_STASH, None)
    if cache is not None and config.get_verbosity() > 0:
        counts = ", ".join(f"{n} {k}" for k, n in cache.stats.items())
        terminalreporter.write_line(f"mallkit test apps: {counts}")


@pytest.fixture(scope="session")
def mallkit_app_cache(request) -> Iterator[AppCache]:
    """The session's :class:`AppCache`."""
    cache = AppCache()
    request.config.stash[_CACHE_STASH] = cache
    yield cache
    cache.clear()


@pytest.fixture
def make_app(request, mallkit_database_url, mallkit_app_cache):
    """``make_app(plugins=[module], **config)``: the app for these plugins and settings, tables
    empty; test plugins given here have their routes mounted at start-up. Cached for the
    session (see the module docstring); a second call with the same arguments in one test,
    or any call in a test marked ``mallkit_fresh_app``, builds a new app."""
    fresh = request.node.get_closest_marker(FRESH_APP_MARKER) is not None or not _cache_enabled()
    handed_out: set[Hashable] = set()

    def factory(plugins: list[ModuleType] | None = None, **config: Any) -> Flask:
        settings = _test_settings(mallkit_database_url, config)
        key = None if fresh else AppCache.key(settings, plugins)
        if key is None or key in handed_out:
            mallkit_app_cache.stats["uncached"] += 1
            return build_app(mallkit_database_url, plugins, **config)
        handed_out.add(key)
        return mallkit_app_cache.get(key, settings, plugins)

    return factory


@pytest.fixture
def app(make_app) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """The bound peewee database."""
    return dbm.database


def make_account(
    *, email: str, password: str = "secret-pass-1", name: str = "", admin: bool = False
) -> Account:
    from mallkit.core.accounts import auth, service

    with _each_password_hashed_once():
        user = service.register(
            email=email,
            password=password,
            name=name or email.split("@")[0],
            is_platform_admin=admin,
        )
    token, _ = auth.issue_token(user)
    return Account(user, token, password)


_PASSWORD_HASHES: dict[str, str] = {}


@contextmanager
def _each_password_hashed_once() -> Iterator[None]:
    """Test accounts with the same password share one real (scrypt) hash of it per process:
    hashing costs about 0.1 s, more than all the rest of a typical test's set-up. Logging in
    still checks the password against that hash; only accounts made here share hashes."""
    real = auth.hash_password

    def hash_once(password: str) -> str:
        hashed = _PASSWORD_HASHES.get(password)
        if hashed is None:
            hashed = _PASSWORD_HASHES[password] = real(password)
        return hashed

    auth.hash_password = hash_once
    try:
        yield
    finally:
        auth.hash_password = real


def make_merchant(name: str, owner: User | None = None, **fields: Any) -> Merchant:
    from mallkit.core.accounts.merchants import service

    return service.create_merchant({"name": name, **fields}, owner=owner)


@pytest.fixture
def admin(app) -> Account:
    return make_account(email="admin@test.mallkit.dev", admin=True)


@pytest.fixture
def owner(app) -> Account:
    return make_account(email="owner@test.mallkit.dev")


@pytest.fixture
def merchant(app, owner) -> Merchant:
    return make_merchant("Test Store", owner=owner.user)


@pytest.fixture
def other_merchant(app) -> Merchant:
    other_owner = make_account(email="other-owner@test.mallkit.dev")
    m = make_merchant("Other Store", owner=other_owner.user)
    m.owner_account = other_owner
    return m


@pytest.fixture
def buyer(app) -> Account:
    return make_account(email="buyer@test.mallkit.dev")


@pytest.fixture
def other_buyer(app) -> Account:
    return make_account(email="other-buyer@test.mallkit.dev")


@contextmanager
def plugin_enabled(
    app: Flask, plugin: ModuleType | str, merchant: Merchant, config: dict | None = None
) -> Iterator[Any]:
    """Enable a plugin for ``merchant`` for the block, registering it first when given as a
    module that is not installed; always undone afterwards, even when the block fails."""
    from mallkit.core import plugin_settings

    host = app.extensions["mallkit"].plugins
    registered = False
    if isinstance(plugin, ModuleType):
        name = plugin.meta.name
        if name not in host.plugins:
            host.register(plugin)
            host.finalize()
            registered = True
    else:
        name = plugin
    try:
        with app.app_context():
            plugin_settings.enable(merchant, name, config)
        yield host.plugins[name]
    finally:
        with app.app_context():
            if name in host.for_merchant(merchant.id).enabled:
                plugin_settings.disable(merchant, name)
        if registered:
            host.unregister(name)


@pytest.fixture
def enable_plugin(app):
    """``with enable_plugin(module_or_name, merchant, config): ...``"""

    def enable(plugin, merchant, config=None):
        return plugin_enabled(app, plugin, merchant, config)

    return enable


class QueryCounter:
    """The SQL statements run inside :func:`count_queries`."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """Count the SQL statements the bound database runs inside the block (any thread)."""
    real = dbm.database.obj
    original = real.execute_sql
    counter = QueryCounter()

    def counting(sql, params=None, *args, **kwargs):
        counter.statements.append(sql)
        return original(sql, params, *args, **kwargs)

    real.execute_sql = counting
    try:
        yield counter
    finally:
        del real.execute_sql


def concurrently(app: Flask, fn, times: int) -> list[Any]:
    """Run ``fn(i)`` in ``times`` threads at once, each with an app context and its own
    database connection; return each call's result or the exception it raised."""
    import threading

    barrier = threading.Barrier(times)
    results: list[Any] = [None] * times

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=60)
                dbm.database.connect(reuse_if_open=True)
                results[i] = fn(i)
            except Exception as exc:  # returned for the test to inspect
                results[i] = exc
            finally:
                dbm.database.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


# -- commerce: products, orders, payments, refunds, tasks ------------------------------------
#
# Plain functions (call them inside a test that has the ``app`` fixture); each goes through
# the same services the REST API uses, so a plugin's hooks run as they would in production.

TEST_ADDRESS = {
    "recipient": "张三",
    "phone": "13800000000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "世纪大道 100 号",
}


def make_product(
    merchant: Merchant,
    name: str = "Test product",
    prices: tuple[int, ...] = (1990,),
    stocks: tuple[int, ...] = (100,),
    **fields: Any,
) -> Any:
    """A product on the shelf with one SKU per price (specs ``{"规格": "1"}``, ...); returns
    the :class:`~mallkit.core.catalog.models.Product` (its SKUs: :func:`skus_of`)."""

    values = [str(n + 1) for n in range(len(prices))]
    return create_product(
        merchant.id,
        {
            "name": name,
            "specs": [{"name": "规格", "values": values}],
            "skus": [
                {"specs": {"规格": v}, "price": p, "stock": s}
                for v, p, s in zip(values, prices, stocks, strict=True)
            ],
            **fields,
        },
    )


def skus_of(product: Any) -> list[Any]:
    """The product's SKUs, in creation order."""

    return list(Sku.select().where(Sku.product == product.id).order_by(Sku.id))


def place_order(
    buyer: User | Account,
    items: list[tuple[Any, int]],
    *,
    options: dict[str, Any] | None = None,
    address: dict[str, Any] | None = None,
) -> Any:
    """Place one store's order for ``items`` (``[(sku, quantity), ...]``) as the API does,
    with ``options`` as the store's checkout options (``coupon_ids``, ``plugins``, ...) and
    a default delivery address; returns the :class:`~mallkit.core.orders.models.Order`."""
    user = buyer.user if isinstance(buyer, Account) else buyer
    skus = [(getattr(sku, "id", sku), quantity) for sku, quantity in items]

    merchant_id = Sku.get_by_id(skus[0][0]).merchant_id
    data: dict[str, Any] = {
        "items": [{"sku_id": sku_id, "quantity": q} for sku_id, q in skus],
        "address": address or TEST_ADDRESS,
        "merchants": [{"merchant_id": merchant_id, **(options or {})}],
    }
    orders = checkout.place(user, data)
    if len(orders) != 1:
        raise ValueError("place_order places one store's order; the items span several")
    return orders[0]


def pay_order(order: Any, reference: str = "test") -> Any:
    """Pay the order in full through the built-in ``payment_manual`` channel (switched on
    for the order's store when it is off) — the payment hooks and tasks run as for any
    channel; returns the order, reloaded."""

    merchant = Merchant.get_by_id(order.merchant_id)
    if "payment_manual" not in get_host().for_merchant(merchant.id).enabled:
        plugin_settings.enable(merchant, "payment_manual", {"bank_account": "TEST 0000"})
    order = Order.get_by_id(order.id)
    attempt = payments.start(order, "manual", method="transfer")
    payments.record_payment(
        merchant.id,
        "manual",
        ChannelPayment(attempt.number, "paid", f"{reference}-{order.id}", order.total, "CNY"),
        "staff",
    )
    return Order.get_by_id(order.id)


def refund_order(order: Any, lines: dict[Any, int] | None = None, reason: str = "test") -> Any:
    """Refund ``lines`` (``{order_line: quantity}``) or everything left, as staff do, and
    send it to the channel at once; returns the :class:`~mallkit.core.payments.models.Refund`
    (``status`` ``succeeded`` for the manual channel)."""

    wanted = (
        None
        if lines is None
        else [{"line_id": getattr(line, "id", line), "quantity": q} for line, q in lines.items()]
    )
    refund = refunds.create(order, wanted, reason=reason, actor=Actor("staff"))
    refunds.submit(refund.id)
    return Refund.get_by_id(refund.id)


def cancel_order(order: Any, reason: str = "buyer") -> Any:
    """Cancel an unpaid order as its buyer does; returns it."""

    return orders.cancel(order, Actor("buyer", order.buyer_id), reason=reason)


def run_tasks(at: Any = None, rounds: int = 10) -> int:
    """Run the durable tasks due at ``at`` (a naive UTC datetime; default now) the way a
    worker does, again while running them makes more due (up to ``rounds``); returns how many
    ran. Move the clock by passing a later ``at``."""

    total = 0
    for _ in range(rounds):
        ran = run_due(worker_id="test-worker", now=at)
        total += ran
        if not ran:
            break
    return total
