"""One-time verification codes (core/accounts/codes.py): sign in or sign up, and reset a
password, with a code sent by e-mail or SMS; stored as an HMAC, never in clear."""

import peewee as pw


class VerificationCode(pw.Model):
    recipient = pw.CharField(max_length=300)
    purpose = pw.CharField(max_length=20)
    code_hash = pw.CharField(max_length=64)
    created_at = pw.DateTimeField()
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)
    tries = pw.IntegerField(default=0)

    class Meta:
        table_name = "verification_code"
        legacy_table_names = False
        indexes = ((("recipient", "purpose", "created_at"), False), (("expires_at",), False))


def up(migrator, db):
    with db.bind_ctx([VerificationCode]):
        db.create_tables([VerificationCode])


def down(migrator, db):
    with db.bind_ctx([VerificationCode]):
        db.drop_tables([VerificationCode])
