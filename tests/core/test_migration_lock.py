"""``mallkit db upgrade`` holds a database lock: two processes upgrading the same database at
the same moment never both apply a migration (PostgreSQL advisory lock, SQLite file lock)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from mallkit.core.testing import TEST_SECRET, postgres_url

# A process that upgrades the database at URL at the wall-clock time START, with a plugin
# whose one migration takes a second: two such processes overlap for certain.
SCRIPT = textwrap.dedent(
    """
    import json, sys, time, types
    from pathlib import Path

    from mallkit.core import migrate
    from mallkit.core.app import create_app
    from mallkit.core.plugin_api import MigrationSource, PluginMeta
    from mallkit.hookspecs import hookimpl

    url, folder, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
    slow = types.ModuleType("slow")
    slow.meta = PluginMeta(name="slow", version="1.0", title="Slow", level="platform")

    @hookimpl
    def register_migrations():
        return [MigrationSource("slow", Path(folder))]

    slow.register_migrations = register_migrations
    app = create_app({"DATABASE_URL": url, "TESTING": True}, plugins=[slow])
    time.sleep(max(start - time.time(), 0))
    applied = migrate.upgrade(app.extensions["mallkit"].plugins)
    print(json.dumps({k: v for k, v in applied.items() if v}))
    """
)

SLOW_MIGRATION = textwrap.dedent(
    """
    import time


    def up(migrator, db):
        time.sleep(1.0)
        db.execute_sql('CREATE TABLE "slow_marker" ("id" INTEGER PRIMARY KEY)')


    def down(migrator, db):
        db.execute_sql('DROP TABLE "slow_marker"')
    """
)


def _race(url: str, tmp_path: Path) -> list[dict[str, list[str]]]:
    folder = tmp_path / "slow_migrations"
    folder.mkdir()
    (folder / "0001_slow.py").write_text(SLOW_MIGRATION)
    script = tmp_path / "upgrade.py"
    script.write_text(SCRIPT)
    start = time.time() + 3.0  # both have imported mallkit by then
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLKIT_")}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), url, str(folder), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _check(results: list[dict[str, list[str]]]) -> None:
    winner, loser = sorted(results, key=len, reverse=True)
    assert loser == {}, results  # the second found everything applied
    assert winner["slow"] == ["0001_slow"]
    assert winner["core"][0] == "0001_initial"


def test_two_upgrades_at_once_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    _check(_race(url, tmp_path))


@pytest.mark.skipif(postgres_url() is None, reason="needs MALLKIT_TEST_DATABASE_URL")
def test_two_upgrades_at_once_on_postgres(tmp_path):
    import psycopg

    base = postgres_url()
    schema = f"mallkit_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        sep = "&" if "?" in base else "?"
        _check(_race(f"{base}{sep}search_path={schema}", tmp_path))
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_the_cli_upgrade_waits_for_another(tmp_path):
    """Two ``mallkit db upgrade`` commands started together: both succeed, one applies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLKIT_")}
    env.update(
        MALLKIT_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", MALLKIT_SECRET_KEY=TEST_SECRET
    )
    mallkit = str(Path(sys.executable).with_name("mallkit"))
    procs = [
        subprocess.Popen(
            [mallkit, "db", "upgrade"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        outs.append(out.strip().splitlines()[-1])
    counts = sorted(int(line.split()[0]) for line in outs)
    assert counts[0] == 0 and counts[1] > 20, outs
