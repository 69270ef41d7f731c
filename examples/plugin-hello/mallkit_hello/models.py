"""The plugin's own table."""

import peewee as pw

from mallkit.core.plugin_api import BaseModel, utcnow


class Visit(BaseModel):
    merchant_id = pw.IntegerField(index=True)
    at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "hello_visit"
