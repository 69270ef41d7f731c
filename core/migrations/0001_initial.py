"""Accounts, merchants, staff, plugin settings and the audit log.

The tables as they were when this migration was written (frozen copies: later model
changes come with migrations of their own). Python-side defaults live on the real models."""

import peewee as pw


def up(migrator, db):
    class User(pw.Model):
        email = pw.CharField(unique=True, null=True, max_length=254)
        phone = pw.CharField(unique=True, null=True, max_length=32)
        password_hash = pw.CharField()
        name = pw.CharField(max_length=100, default="")
        avatar_url = pw.CharField(max_length=500, default="")
        birthday = pw.DateField(null=True)
        is_platform_admin = pw.BooleanField(default=False)
        is_active = pw.BooleanField(default=True)
        created_at = pw.DateTimeField()
        last_login_at = pw.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "user"
            legacy_table_names = False

    db.create_tables([User])

    class AccessToken(pw.Model):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        token_hash = pw.CharField(unique=True, max_length=64)
        created_at = pw.DateTimeField()
        expires_at = pw.DateTimeField()
        revoked_at = pw.DateTimeField(null=True)
        last_used_at = pw.DateTimeField(null=True)
        user_agent = pw.CharField(default="")

        class Meta:
            database = db
            table_name = "access_token"
            legacy_table_names = False

    db.create_tables([AccessToken])

    class Address(pw.Model):
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        recipient = pw.CharField(max_length=100)
        phone = pw.CharField(max_length=32)
        country = pw.CharField(max_length=2, default="CN")
        province = pw.CharField(max_length=50)
        city = pw.CharField(max_length=50)
        district = pw.CharField(max_length=50, default="")
        detail = pw.CharField()
        postal_code = pw.CharField(max_length=16, default="")
        is_default = pw.BooleanField(default=False)
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "address"
            legacy_table_names = False

    db.create_tables([Address])

    class AuditLog(pw.Model):
        at = pw.DateTimeField(index=True)
        actor_id = pw.IntegerField(null=True)
        merchant_id = pw.IntegerField(index=True, null=True)
        action = pw.CharField(max_length=64)
        target_type = pw.CharField(max_length=64, default="")
        target_id = pw.CharField(max_length=64, default="")
        before = pw.TextField(null=True)
        after = pw.TextField(null=True)
        ip = pw.CharField(max_length=45, default="")

        class Meta:
            database = db
            table_name = "audit_log"
            legacy_table_names = False

    db.create_tables([AuditLog])

    class Merchant(pw.Model):
        name = pw.CharField(max_length=100)
        logo_url = pw.CharField(max_length=500, default="")
        contact_name = pw.CharField(max_length=100, default="")
        contact_phone = pw.CharField(max_length=32, default="")
        contact_email = pw.CharField(max_length=254, default="")
        address = pw.CharField(default="")
        description = pw.TextField(default="")
        currency = pw.CharField(max_length=3, default="CNY")
        timezone = pw.CharField(max_length=64, default="Asia/Shanghai")
        is_active = pw.BooleanField(default=True)
        plugin_settings_version = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "merchant"
            legacy_table_names = False

    db.create_tables([Merchant])

    class MerchantPlugin(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        plugin = pw.CharField(max_length=64)
        enabled = pw.BooleanField(default=False)
        config = pw.TextField(default=dict)
        version = pw.CharField(max_length=32, default="")
        updated_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "merchant_plugin"
            legacy_table_names = False
            indexes = ((("merchant", "plugin"), True),)

    db.create_tables([MerchantPlugin])

    class StaffMember(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        user = pw.ForeignKeyField(User, on_delete="CASCADE")
        role = pw.CharField(max_length=16)
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "staff_member"
            legacy_table_names = False
            indexes = ((("merchant", "user"), True),)

    db.create_tables([StaffMember])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("staff_member"))
    migrator.migrate(migrator.drop_table("merchant_plugin"))
    migrator.migrate(migrator.drop_table("merchant"))
    migrator.migrate(migrator.drop_table("audit_log"))
    migrator.migrate(migrator.drop_table("address"))
    migrator.migrate(migrator.drop_table("access_token"))
    migrator.migrate(migrator.drop_table("user"))
