"""Staff sign-in security: TOTP two-factor on accounts (``user.totp_*``, hashed recovery
codes), and per store the staff roles that must use it and the addresses staff may work
from (``merchant.two_factor_roles``, ``merchant.staff_ip_allowlist``)."""

import peewee as pw


class RecoveryCode(pw.Model):
    user_id = pw.IntegerField(index=True)
    code_hash = pw.CharField(max_length=64, unique=True)
    used_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "recovery_code"
        legacy_table_names = False


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("user", "totp_secret", pw.TextField(null=True)),
        migrator.add_column("user", "totp_enabled_at", pw.DateTimeField(null=True)),
        migrator.add_column("user", "totp_last_step", pw.BigIntegerField(default=0)),
        migrator.add_column("merchant", "two_factor_roles", pw.TextField(default="[]")),
        migrator.add_column("merchant", "staff_ip_allowlist", pw.TextField(default="[]")),
    )
    with db.bind_ctx([RecoveryCode]):
        db.create_tables([RecoveryCode])


def down(migrator, db):
    with db.bind_ctx([RecoveryCode]):
        db.drop_tables([RecoveryCode])
    migrator.migrate(
        migrator.drop_column("merchant", "staff_ip_allowlist"),
        migrator.drop_column("merchant", "two_factor_roles"),
        migrator.drop_column("user", "totp_last_step"),
        migrator.drop_column("user", "totp_enabled_at"),
        migrator.drop_column("user", "totp_secret"),
    )
