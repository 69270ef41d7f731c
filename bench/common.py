"""What the benchmarks share: a throwaway database on SQLite or PostgreSQL.

The scripts run as ``python bench/<name>.py``, so this module is importable as ``common``.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"


def pg_reachable(base: str = PG_BASE) -> bool:
    try:
        import psycopg

        psycopg.connect(base, connect_timeout=3).close()
        return True
    except Exception:
        return False


class Backend:
    """A throwaway database: a SQLite file in a temporary folder, or a fresh schema in the
    PostgreSQL database at ``base``; ``drop()`` removes it (call it in ``finally``)."""

    def __init__(self, kind: str, base: str = PG_BASE):
        self.kind = kind
        self.base = base
        if kind == "sqlite":
            self.folder = tempfile.mkdtemp(prefix="mallkit-bench-")
            self.url = f"sqlite:///{self.folder}/bench.db"
            self.label = "SQLite"
        else:
            import psycopg

            self.schema = f"bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{self.schema}"')
            self.url = f"{base}{'&' if '?' in base else '?'}search_path={self.schema}"
            self.label = "PostgreSQL"

    def drop(self) -> None:
        from mallkit.core import db

        if db.database.obj is not None and hasattr(db.database.obj, "close_all"):
            db.database.obj.close_all()
        if self.kind == "sqlite":
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        import psycopg

        with psycopg.connect(self.base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
