"""The hello_visit table."""

import peewee as pw

from mallkit.core.plugin_api import utcnow


def up(migrator, db):
    class Visit(pw.Model):  # frozen copy: later model changes do not rewrite history
        merchant_id = pw.IntegerField(index=True)
        at = pw.DateTimeField(default=utcnow)

        class Meta:
            database = db
            table_name = "hello_visit"

    db.create_tables([Visit])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "hello_visit"')
