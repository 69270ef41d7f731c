"""The product search index without a pending list (PostgreSQL only).

A GIN index built with ``fastupdate`` (PostgreSQL's default) queues new entries in a pending
list that every search then reads in full until a vacuum merges it: up to
``gin_pending_list_limit`` (4 MB) of entries, and a product's entries are queued again on
every update that cannot stay in place (a sale updates ``sales_count``, which is indexed). At
100,000 products the list held ~400 pages and took a search's index scan from 1 ms to 4 ms.
Without it each insert or update adds its entries to the index directly (a little slower per
write); searches read only the index. SQLite's FTS5 table is unchanged."""

import peewee as pw


def up(migrator, db):
    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql("ALTER INDEX product_search_tsv SET (fastupdate = off)")
        db.execute_sql("SELECT gin_clean_pending_list('product_search_tsv'::regclass)")


def down(migrator, db):
    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql("ALTER INDEX product_search_tsv RESET (fastupdate)")
