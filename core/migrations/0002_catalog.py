"""Catalog and inventory: categories, brands, suppliers, tags, products, SKUs, the stock
ledger, low-stock alerts, catalog settings — and the full-text search structures (an FTS5
table with sync triggers on SQLite, generated tsvector columns with a GIN index on
PostgreSQL; see :mod:`mallkit.core.catalog.search`)."""

import peewee as pw

from mallkit.core.catalog import search
from mallkit.core.catalog.models import MODELS


def _is_postgres(db) -> bool:
    return isinstance(db, pw.PostgresqlDatabase)


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)
        # SKU codes are unique per merchant among live SKUs (deleted ones keep theirs).
        db.execute_sql(
            'CREATE UNIQUE INDEX IF NOT EXISTS "sku_live_code" ON "sku" ("merchant_id", "code") '
            'WHERE "deleted_at" IS NULL'
        )
    for statement in search.POSTGRES_DDL if _is_postgres(db) else search.SQLITE_DDL:
        db.execute_sql(statement)


def down(migrator, db):
    if not _is_postgres(db):
        for statement in search.SQLITE_DROP:
            db.execute_sql(statement)
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
