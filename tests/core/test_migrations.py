"""Migrations: per-source history tables, dependency order, idempotence."""

from __future__ import annotations

from click.testing import CliRunner

from mallkit.core import cli as cli_module
from mallkit.core import db as dbm
from mallkit.core import migrate
from mallkit.core.testing import TEST_SECRET


def test_upgrade_twice_applies_nothing_the_second_time(app):
    host = app.extensions["mallkit"].plugins
    assert migrate.upgrade(host) == {s.name: [] for s in host.migration_sources()}
    tables = set(dbm.database.get_tables())
    assert {
        "migrations_core",
        "migrations_hello",
        "user",
        "merchant_plugin",
        "hello_visit",
    } <= tables
    status = migrate.status(host)
    assert status["core"][0] == ("0001_initial", True)


def test_core_runs_first_then_plugins_in_dependency_order(app):
    from tests.sample_plugins import needs_recorder, recorder

    host = app.extensions["mallkit"].plugins
    host.register(needs_recorder)
    host.register(recorder)
    order = host.dependency_order()
    assert order.index("recorder") < order.index("needs_recorder")
    assert host.migration_sources()[0].name == "core"


def test_cli_db_upgrade_and_create_admin(app):
    runner = CliRunner()

    class Ctx(cli_module.Context):
        @property
        def app(self):
            return app

    r = runner.invoke(cli_module.cli, ["db", "upgrade"], obj=Ctx())
    assert r.exit_code == 0 and "0 migration(s) applied" in r.output
    r = runner.invoke(
        cli_module.cli,
        ["users", "create-admin", "--email", "root@x.io", "--password", "admin-pass-1"],
        obj=Ctx(),
    )
    assert r.exit_code == 0, r.output
    from mallkit.core.accounts.models import User

    assert User.get(User.email == "root@x.io").is_platform_admin
    r = runner.invoke(
        cli_module.cli,
        ["users", "create-admin", "--email", "root@x.io", "--password", "admin-pass-1"],
        obj=Ctx(),
    )
    assert r.exit_code == 1 and "already exists" in r.output


def test_plugins_add_cli_commands(app, merchant, mallkit_database_url, monkeypatch):
    from mallkit_hello.models import Visit

    Visit.create(merchant_id=merchant.id)
    monkeypatch.setenv("MALLKIT_DATABASE_URL", mallkit_database_url)
    monkeypatch.setenv("MALLKIT_SECRET_KEY", TEST_SECRET)
    r = CliRunner().invoke(cli_module.cli, ["hello-visits", "--merchant", str(merchant.id)])
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"merchant {merchant.id}: 1 visit(s)"


def test_migrations_are_frozen_not_importing_live_models():
    """A migration that imports today's models would create tomorrow's columns on a fresh
    database and break the migration that adds them: every script declares its own copy."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    scripts = [p for p in root.glob("**/migrations/[0-9]*.py") if ".venv" not in p.parts]
    assert scripts
    live = re.compile(r"^\s*(from|import)\s+mallkit[\w.]*\.(models|search)\b", re.M)
    offenders = [str(p.relative_to(root)) for p in scripts if live.search(p.read_text())]
    assert not offenders, f"migrations importing live models: {offenders}"


def test_commands_on_a_database_never_migrated_say_to_run_db_upgrade(tmp_path, monkeypatch):
    """No traceback: a message naming ``mallkit db upgrade`` and exit status 1."""
    url = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    monkeypatch.setenv("MALLKIT_DATABASE_URL", url)
    monkeypatch.setenv("MALLKIT_SECRET_KEY", TEST_SECRET)
    runner = CliRunner()
    commands = [
        ["plugins", "enable", "hello", "--merchant", "1"],
        ["plugins", "disable", "hello", "--merchant", "1"],
        ["plugins", "config", "hello", "--merchant", "1"],
        ["plugins", "list", "--merchant", "1"],
        ["merchants", "list"],
        ["merchants", "create", "--name", "Shop"],
        ["users", "create-admin", "--email", "root@x.io", "--password", "admin-pass-1"],
    ]
    for args in commands:
        r = runner.invoke(cli_module.cli, args)
        assert r.exit_code == 1, (args, r.output)
        assert isinstance(r.exception, SystemExit), (args, r.exception)  # no traceback
        assert "Traceback" not in r.output
        assert f"the database {url} is not migrated" in r.output, (args, r.output)
        assert "run `mallkit db upgrade` first" in r.output
    # Listing the installed plugins needs no database.
    r = runner.invoke(cli_module.cli, ["plugins", "list"])
    assert r.exit_code == 0 and "hello" in r.output

    # Migrated, but one migration behind: named.
    assert runner.invoke(cli_module.cli, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(cli_module.cli, ["merchants", "list"]).exit_code == 0
    dbm.database.execute_sql("DELETE FROM migrations_hello")
    r = runner.invoke(cli_module.cli, ["merchants", "list"])
    assert r.exit_code == 1 and "has 1 pending migration(s) (hello:0001_visit)" in r.output


def test_the_database_url_in_messages_hides_the_password():
    assert (
        cli_module._redacted("postgresql://shop:s3cret@db.internal:5432/shop")
        == "postgresql://shop:***@db.internal:5432/shop"
    )
    assert cli_module._redacted("sqlite:///mallkit.db") == "sqlite:///mallkit.db"
