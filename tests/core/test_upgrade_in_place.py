"""A database the previous release left behind upgrades in place with ``mallkit db upgrade``.

``tests/fixtures/release_5b2f9ca_schema.json`` is the previous release's (commit 5b2f9ca)
schema snapshot: which migrations each source had (the core's 0001–0004, each built-in plugin's
and the hello example's 0001) and every table with its columns, on each database. Migrations
are frozen, so applying exactly those scripts from today's folders, with the same runner and
history tables (``migrations_<source>``), rebuilds the release's schema and history on SQLite
and PostgreSQL alike — and the snapshot proves it: a released migration edited in place fails
here.
The test writes rows the way that release did (plain SQL: today's models
have columns the release did not), upgrades with the command an operator runs, and checks the
rows are intact, readable by today's code, and that a task the release scheduled still runs.
It does not count the migrations the upgrade applies: every migration added after the
release — however many — must apply and leave the same schema a fresh database gets.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from pathlib import Path

import peewee as pw
import pytest
from click.testing import CliRunner
from playhouse.migrations import Runner

from mallkit.core import cli as cli_module
from mallkit.core import db as dbm
from mallkit.core import migrate
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.app import create_app
from mallkit.core.orders.models import Order, OrderEvent, OrderLine
from mallkit.core.plugin_store import MerchantPlugin
from mallkit.core.plugins import PluginHost, merchant_plugins
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import TEST_SECRET, postgres_url

SNAPSHOT = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "release_5b2f9ca_schema.json").read_text(
        encoding="utf-8"
    )
)
RELEASE = SNAPSHOT["migrations"]  # source → the migration names the release shipped
PLACED = dt.datetime(2026, 11, 20, 8, 30)


def schema_of(database: pw.Database) -> dict[str, set[str]]:
    return {t: {c.name for c in database.get_columns(t)} for t in database.get_tables()}


@pytest.fixture
def empty_database(tmp_path):
    """``empty_database()`` → the URL of an empty database of its own: a SQLite file, or a
    private PostgreSQL schema named like the test kit's (so a killed run's schema is dropped
    by the next run), dropped afterwards."""
    base = postgres_url()
    schemas: list[str] = []

    def make() -> str:
        if base is None:
            return f"sqlite:///{tmp_path / f'db-{uuid.uuid4().hex[:8]}.db'}"
        import psycopg

        schema = f"mallkit_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        schemas.append(schema)
        return f"{base}{'&' if '?' in base else '?'}search_path={schema}"

    yield make
    if schemas:
        import psycopg

        if dbm.database.obj is not None and hasattr(dbm.database.obj, "close_all"):
            dbm.database.obj.close_all()
        with psycopg.connect(base, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def upgrade_with_the_cli(url: str, monkeypatch) -> list[str]:
    """``mallkit db upgrade`` as an operator runs it; returns ``source:name`` applied."""
    monkeypatch.setenv("MALLKIT_DATABASE_URL", url)
    monkeypatch.setenv("MALLKIT_SECRET_KEY", TEST_SECRET)
    result = CliRunner().invoke(cli_module.cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return [ln.removeprefix("applied ") for ln in result.output.splitlines() if ":" in ln]


def build_previous_release(url: str, tmp: Path) -> dict[str, int]:
    """The schema and history the previous release's ``mallkit db upgrade`` left, with an
    order (two lines), a scheduled task and a merchant's plugin setting in it."""
    database = dbm.make_database(url, pool_size=2)
    postgres = isinstance(database, pw.PostgresqlDatabase)

    def at(value: dt.datetime):  # how that release's peewee stored a naive UTC time
        return value if postgres else value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def insert(table: str, **values) -> int:
        columns = ", ".join(f'"{c}"' for c in values)
        marks = ", ".join([database.param] * len(values))
        sql = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'
        if postgres:
            return database.execute_sql(sql + ' RETURNING "id"', list(values.values())).fetchone()[
                0
            ]
        return database.execute_sql(sql, list(values.values())).lastrowid

    host = PluginHost()
    host.load_installed()  # the installed plugins' migration folders, as `db upgrade` finds them
    folders = {s.name: s.directory for s in host.migration_sources()}
    try:
        with database.connection_context():
            for source, names in RELEASE.items():
                released = tmp / source
                released.mkdir()
                for name in names:
                    shutil.copy(folders[source] / f"{name}.py", released)
                Runner(database, str(released), f"migrations_{source}").up()
            release = SNAPSHOT["tables"]["postgresql" if postgres else "sqlite"]
            assert schema_of(database) == {t: set(columns) for t, columns in release.items()}, (
                "the released migrations no longer build the release's schema"
            )
            with database.atomic():
                ids = write_release_rows(insert, at)
    finally:
        database.close_all()
    return ids


def write_release_rows(insert, at) -> dict[str, int]:
    buyer = insert(
        "user",
        email="buyer@old.mallkit.dev",
        phone=None,
        password_hash="pbkdf2:old",
        name="老买家",
        avatar_url="",
        birthday=None,
        is_platform_admin=False,
        is_active=True,
        created_at=at(PLACED - dt.timedelta(days=30)),
        last_login_at=None,
    )
    merchant = insert(
        "merchant",
        name="老店",
        logo_url="",
        contact_name="",
        contact_phone="",
        contact_email="",
        address="",
        description="",
        currency="CNY",
        timezone="Asia/Shanghai",
        is_active=True,
        plugin_settings_version=3,
        created_at=at(PLACED - dt.timedelta(days=60)),
    )
    setting = insert(
        "merchant_plugin",
        merchant_id=merchant,
        plugin="coupons",
        enabled=True,
        config=json.dumps({"one_per_order": False, "return_on_full_refund": True}),
        version="1.0.0",
        updated_at=at(PLACED - dt.timedelta(days=10)),
    )
    order = insert(
        "orders",
        number="26112008300012345678",
        merchant_id=merchant,
        buyer_id=buyer,
        status="shipped",
        currency="CNY",
        subtotal=6970,
        discount_total=500,
        freight=800,
        total=7270,
        paid_amount=7270,
        refunded_amount=0,
        refund_status="none",
        shipping_status="full",
        shipping_method="express",
        price_changed=False,
        stock_deducted=True,
        address=json.dumps({"recipient": "张三", "city": "上海市"}, ensure_ascii=False),
        buyer_note="请尽快发货",
        staff_note="",
        cancel_reason="",
        pricing=json.dumps({"applied": [{"source": "coupons", "amount": -500}]}),
        payment_channel="manual",
        checkout_key="old-key-1",
        placed_at=at(PLACED),
        paid_at=at(PLACED + dt.timedelta(minutes=5)),
        shipped_at=at(PLACED + dt.timedelta(days=1)),
        completed_at=None,
        cancelled_at=None,
        closed_at=None,
    )
    line = {
        "order_id": order,
        "sku_name": "",
        "sku_code": "",
        "specs": json.dumps({"颜色": "红"}, ensure_ascii=False),
        "image_url": "",
        "price_source": "",
        "price_kind": "",
        "activity": None,
        "promotion_discount": 0,
        "points_discount": 0,
        "other_discount": 0,
        "refunded_amount": 0,
        "refunded_quantity": 0,
        "is_gift": False,
    }
    lines = [
        insert(
            "order_line",
            **line,
            sku_id=11,
            product_id=7,
            product_name="T恤",
            unit_price=1990,
            sale_unit_price=1990,
            quantity=2,
            amount=3980,
            coupon_discount=286,
            freight_share=457,
            pay_amount=4151,
            shipped_quantity=2,
        ),
        insert(
            "order_line",
            **line,
            sku_id=12,
            product_id=7,
            product_name="T恤",
            unit_price=2990,
            sale_unit_price=2990,
            quantity=1,
            amount=2990,
            coupon_discount=214,
            freight_share=343,
            pay_amount=3119,
            shipped_quantity=1,
        ),
    ]
    task = insert(
        "scheduled_task",
        kind="order.auto_confirm",
        merchant_id=merchant,
        payload=json.dumps({"order_id": order}),
        run_at=at(PLACED + dt.timedelta(days=11)),
        status="pending",
        attempts=0,
        max_attempts=None,
        last_error="",
        locked_by=None,
        locked_until=None,
        dedupe_key=f"order.auto_confirm:{order}",
        created_at=at(PLACED + dt.timedelta(days=1)),
        finished_at=None,
    )
    return {
        "buyer": buyer,
        "merchant": merchant,
        "setting": setting,
        "order": order,
        "lines": lines,
        "task": task,
    }


def test_a_database_of_the_previous_release_upgrades_in_place(
    mallkit_database_url, empty_database, monkeypatch, tmp_path
):
    try:
        # Today's schema, from every migration applied to an empty database.
        fresh_url = empty_database()
        upgrade_with_the_cli(fresh_url, monkeypatch)
        with dbm.database.connection_context():
            fresh = schema_of(dbm.database)

        url = empty_database()
        ids = build_previous_release(url, tmp_path)
        applied = upgrade_with_the_cli(url, monkeypatch)
        assert "core:0005_order_plugins" in applied
        # Only what came after the release: none of its own migrations runs again.
        again = [a for a in applied if a.split(":")[1] in RELEASE.get(a.split(":")[0], ())]
        assert not again, again

        upgraded = create_app({"DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "TESTING": True})
        with upgraded.app_context():
            check_upgraded(upgraded, ids, fresh)
    finally:
        dbm.bind(mallkit_database_url)  # the session database, as the other tests expect


def check_upgraded(upgraded, ids, fresh) -> None:
    host = upgraded.extensions["mallkit"].plugins
    # Up to date, and the same schema as a database migrated from empty.
    assert all(applied for rows in migrate.status(host).values() for _, applied in rows)
    assert migrate.upgrade(host) == {s.name: [] for s in host.migration_sources()}
    now = schema_of(dbm.database)
    missing = {t: sorted(c - now.get(t, set())) for t, c in fresh.items() if c - now.get(t, set())}
    extra = {t: sorted(c - fresh.get(t, set())) for t, c in now.items() if c - fresh.get(t, set())}
    assert not missing, f"a fresh database has these, the upgraded one not: {missing}"
    assert not extra, f"the upgraded database has these, a fresh one not: {extra}"
    assert "plugins" in now["orders"]

    # The rows, as the release wrote them, read by today's models.
    order = Order.get_by_id(ids["order"])
    assert (order.number, order.status, order.total, order.paid_amount) == (
        "26112008300012345678",
        "shipped",
        7270,
        7270,
    )
    assert order.merchant_id == ids["merchant"] and order.buyer_id == ids["buyer"]
    assert order.plugins == []  # the new column's default
    assert order.address == {"recipient": "张三", "city": "上海市"}
    assert order.pricing == {"applied": [{"source": "coupons", "amount": -500}]}
    assert order.placed_at == PLACED and order.buyer_note == "请尽快发货"
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    assert [ln.id for ln in lines] == ids["lines"]
    assert [(ln.sku_id, ln.quantity, ln.pay_amount, ln.specs) for ln in lines] == [
        (11, 2, 4151, {"颜色": "红"}),
        (12, 1, 3119, {"颜色": "红"}),
    ]
    assert sum(ln.pay_amount for ln in lines) == order.total
    assert User.get_by_id(ids["buyer"]).email == "buyer@old.mallkit.dev"
    assert Merchant.get_by_id(ids["merchant"]).plugin_settings_version == 3
    setting = MerchantPlugin.get_by_id(ids["setting"])
    assert (setting.plugin, setting.enabled) == ("coupons", True)
    assert merchant_plugins(ids["merchant"]).is_enabled("coupons")
    assert merchant_plugins(ids["merchant"]).config("coupons") == {
        "one_per_order": False,
        "return_on_full_refund": True,
    }
    task = ScheduledTask.get_by_id(ids["task"])
    assert (task.kind, task.status, task.payload) == (
        "order.auto_confirm",
        "pending",
        {"order_id": order.id},
    )

    # The release's task still runs on today's worker: the order is confirmed received.
    run_due(worker_id="upgrade-test", now=PLACED + dt.timedelta(days=12))
    assert ScheduledTask.get_by_id(ids["task"]).status == "done"
    assert Order.get_by_id(order.id).status == "completed"
    assert OrderEvent.select().where(OrderEvent.order == order.id).count() == 1
