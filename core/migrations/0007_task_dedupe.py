"""A task's ``dedupe_key`` holds only while the task is ``pending`` or ``running``.

0003 made ``scheduled_task.dedupe_key`` UNIQUE, so a key stayed taken for ever: a plugin that
cancelled its daily task and scheduled it again the same day got the cancelled task back and
nothing ran. The UNIQUE index is replaced by

- a *partial* unique index over the tasks that are still to run, ``WHERE status IN
  ('pending', 'running')`` (SQLite ≥ 3.8 and PostgreSQL both have them): the database itself
  keeps two live tasks from sharing a key, so racing ``schedule()`` calls stay race-free, and
  a ``done``, ``failed`` or ``cancelled`` task frees its key without being touched;
- a plain index on ``dedupe_key``, for looking a key up whatever its tasks' states.

No model is needed: plain DDL, the same on both databases (the index names are peewee's for
the frozen model of 0003).
"""

UNIQUE = "scheduled_task_dedupe_key"
PLAIN = "scheduled_task_dedupe_key_any"
LIVE = "scheduled_task_dedupe_key_live"


def up(migrator, db):
    db.execute_sql(f'DROP INDEX IF EXISTS "{UNIQUE}"')
    db.execute_sql(f'CREATE INDEX "{PLAIN}" ON "scheduled_task" ("dedupe_key")')
    db.execute_sql(
        f'CREATE UNIQUE INDEX "{LIVE}" ON "scheduled_task" ("dedupe_key") '
        "WHERE \"status\" IN ('pending', 'running')"
    )


def down(migrator, db):
    # Finished tasks may share a key now; the newest task keeps it, older ones lose it.
    db.execute_sql(
        'UPDATE "scheduled_task" SET "dedupe_key" = NULL WHERE "dedupe_key" IS NOT NULL '
        'AND EXISTS (SELECT 1 FROM "scheduled_task" AS "newer" '
        'WHERE "newer"."dedupe_key" = "scheduled_task"."dedupe_key" '
        'AND "newer"."id" > "scheduled_task"."id")'
    )
    db.execute_sql(f'DROP INDEX IF EXISTS "{LIVE}"')
    db.execute_sql(f'DROP INDEX IF EXISTS "{PLAIN}"')
    db.execute_sql(f'CREATE UNIQUE INDEX "{UNIQUE}" ON "scheduled_task" ("dedupe_key")')
