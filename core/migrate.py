"""Applying migrations: the core's folder, then each installed plugin's, in dependency order,
each with its own history table (``migrations_<source>``). Safe to run twice."""

from __future__ import annotations

from playhouse.migrations import Runner

from mallkit.core import db
from mallkit.core.plugins import MigrationSource, PluginHost


def _runner(source: MigrationSource) -> Runner:
    return Runner(db.database.obj, str(source.directory), table_name=f"migrations_{source.name}")


def upgrade(host: PluginHost) -> dict[str, list[str]]:
    """Apply every pending migration; return the names applied per source."""
    applied: dict[str, list[str]] = {}
    with db.database.connection_context():
        for source in host.migration_sources():
            applied[source.name] = _runner(source).up()
    return applied


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
