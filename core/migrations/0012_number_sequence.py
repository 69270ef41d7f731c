"""Order, payment and refund numbers take a counter from the database, so two numbers can
never be the same (they were the time to the second plus eight random digits).

PostgreSQL: a sequence (``nextval`` never blocks another transaction and never hands a value
out twice). SQLite: a one-row counter table, bumped by an upsert inside the writing
transaction (SQLite serialises writers, so the row is no bottleneck).
"""

import peewee as pw


def up(migrator, db):
    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql('CREATE SEQUENCE IF NOT EXISTS "mallkit_number_seq"')
    else:
        db.execute_sql(
            'CREATE TABLE IF NOT EXISTS "number_counter" '
            '("id" INTEGER NOT NULL PRIMARY KEY, "value" INTEGER NOT NULL)'
        )


def down(migrator, db):
    if isinstance(db, pw.PostgresqlDatabase):
        db.execute_sql('DROP SEQUENCE IF EXISTS "mallkit_number_seq"')
    else:
        db.execute_sql('DROP TABLE IF EXISTS "number_counter"')
