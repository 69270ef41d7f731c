"""Share links (``share_link``, ``share_visit``, ``share_signup``) and the attribution of an
order to the share it came through (``orders.share_id``, ``share_code``, ``source_channel``,
``utm_source``, ``utm_medium``, ``utm_campaign``). Frozen copies of the tables as written."""

import peewee as pw


def up(migrator, db):
    class Merchant(pw.Model):
        class Meta:
            database = db
            table_name = "merchant"
            legacy_table_names = False

    class User(pw.Model):
        class Meta:
            database = db
            table_name = "user"
            legacy_table_names = False

    class ShareLink(pw.Model):
        code = pw.CharField(max_length=32, unique=True)
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        sharer = pw.ForeignKeyField(User, on_delete="CASCADE")
        kind = pw.CharField(max_length=64)
        target_id = pw.IntegerField()
        channel = pw.CharField(max_length=16, default="link")
        utm_source = pw.CharField(max_length=100, default="")
        utm_medium = pw.CharField(max_length=100, default="")
        utm_campaign = pw.CharField(max_length=100, default="")
        generation = pw.IntegerField(default=0)
        expires_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "share_link"
            legacy_table_names = False
            indexes = (
                (("sharer", "merchant", "kind", "target_id", "channel", "generation"), True),
                (("merchant", "kind", "target_id"), False),
            )

    class ShareVisit(pw.Model):
        share = pw.ForeignKeyField(ShareLink, on_delete="CASCADE")
        merchant_id = pw.IntegerField(index=True)
        user_id = pw.IntegerField(null=True)
        device_id = pw.CharField(max_length=64, default="")
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "share_visit"
            legacy_table_names = False

    class ShareSignup(pw.Model):
        share = pw.ForeignKeyField(ShareLink, on_delete="CASCADE")
        merchant_id = pw.IntegerField(index=True)
        user = pw.ForeignKeyField(User, unique=True, on_delete="CASCADE")
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "share_signup"
            legacy_table_names = False

    db.create_tables([ShareLink, ShareVisit, ShareSignup])
    migrator.migrate(
        migrator.add_column("orders", "share_id", pw.IntegerField(null=True)),
        migrator.add_column("orders", "share_code", pw.CharField(max_length=32, default="")),
        migrator.add_column("orders", "source_channel", pw.CharField(max_length=16, default="")),
        migrator.add_column("orders", "utm_source", pw.CharField(max_length=100, default="")),
        migrator.add_column("orders", "utm_medium", pw.CharField(max_length=100, default="")),
        migrator.add_column("orders", "utm_campaign", pw.CharField(max_length=100, default="")),
        migrator.add_index("orders", ("share_id",), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("orders", "orders_share_id"),
        *(
            migrator.drop_column("orders", column)
            for column in (
                "utm_campaign",
                "utm_medium",
                "utm_source",
                "source_channel",
                "share_code",
                "share_id",
            )
        ),
        migrator.drop_table("share_signup"),
        migrator.drop_table("share_visit"),
        migrator.drop_table("share_link"),
    )
