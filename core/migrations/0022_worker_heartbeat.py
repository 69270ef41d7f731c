"""Task workers report that they are alive (``worker_heartbeat``, core/tasks/heartbeat.py):
one row per running worker, its ``seen_at`` refreshed as it polls, read by ``/readyz`` and the
task queue metrics."""


def up(migrator, db):
    db.execute_sql(
        'CREATE TABLE "worker_heartbeat" ('
        '"worker_id" VARCHAR(100) NOT NULL PRIMARY KEY, '
        '"hostname" VARCHAR(255) NOT NULL, '
        '"pid" INTEGER NOT NULL, '
        '"started_at" TIMESTAMP NOT NULL, '
        '"seen_at" TIMESTAMP NOT NULL)'
    )
    db.execute_sql('CREATE INDEX "worker_heartbeat_seen_at" ON "worker_heartbeat" ("seen_at")')


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "worker_heartbeat"')
