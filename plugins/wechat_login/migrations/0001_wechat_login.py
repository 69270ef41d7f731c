"""WeChat login tables (mallkit.plugins.wechat_login.models), frozen as they were when written."""

import peewee as pw


class WeChatIdentity(pw.Model):
    appid = pw.CharField(max_length=32)
    openid = pw.CharField(max_length=128)
    unionid = pw.CharField(max_length=128, null=True, index=True)
    user_id = pw.IntegerField(index=True)
    nickname = pw.CharField(max_length=100, default="")
    created_at = pw.DateTimeField()
    last_login_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "wechat_login_identity"
        indexes = (
            (("appid", "openid"), True),
            (("appid", "user_id"), True),
        )


MODELS = [WeChatIdentity]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
