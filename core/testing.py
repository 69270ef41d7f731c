"""pytest fixtures for mallkit and for plugin authors.

Use it from a ``conftest.py``::

    pytest_plugins = ["mallkit.core.testing"]

The database is real: a SQLite file per test session, or — when
``MALLKIT_TEST_DATABASE_URL`` is set (``postgresql://postgres@127.0.0.1:5432/test``) — a
private schema in that PostgreSQL database, dropped when the session ends. Every test starts
with empty tables.

Fixtures: ``app``, ``client``, ``db``, ``admin``, ``merchant``, ``other_merchant``, ``owner``,
``buyer``, ``other_buyer``, ``make_app`` and ``enable_plugin``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from flask import Flask

from mallkit.core import db as dbm
from mallkit.core import migrate, plugin_settings
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.app import create_app
from mallkit.core.catalog.models import Sku
from mallkit.core.catalog.service import create_product
from mallkit.core.checkout import service as checkout
from mallkit.core.limits import limiter
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order
from mallkit.core.payments import refunds
from mallkit.core.payments import service as payments
from mallkit.core.payments.channel import ChannelPayment
from mallkit.core.payments.models import Refund
from mallkit.core.plugins import get_host
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
        quoted = ", ".join(f'"{t}"' for t in tables)
        database.execute_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
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


def build_app(database_url: str, plugins: list[ModuleType] | None = None, **config: Any) -> Flask:
    """A test app on the session database with migrations applied and tables empty."""
    # Threads beyond the pool wait for a connection (concurrency tests run 50 at once).
    settings = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": TEST_SECRET,
        "TESTING": True,
        "DB_POOL_SIZE": 24,
        **config,
    }
    app = create_app(settings, plugins=plugins)
    migrate.upgrade(app.extensions["mallkit"].plugins)
    with dbm.database.connection_context():
        empty_tables()
    limiter.reset()
    return app


@pytest.fixture
def make_app(mallkit_database_url):
    """``make_app(plugins=[module], **config)``: an app that also registers test plugins
    (plugins whose routes must be mounted at start-up)."""

    def factory(plugins: list[ModuleType] | None = None, **config: Any) -> Flask:
        return build_app(mallkit_database_url, plugins, **config)

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

    user = service.register(
        email=email, password=password, name=name or email.split("@")[0], is_platform_admin=admin
    )
    token, _ = auth.issue_token(user)
    return Account(user, token, password)


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
