"""The WeChat accounts bound to mall accounts."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, utcnow


class WeChatIdentity(BaseModel):
    """One WeChat user of one WeChat app (a mini-program or an official account: ``appid``),
    known by its ``openid``, bound to one mall account. ``unionid`` is the same person across
    the apps of one WeChat open-platform account: a person bound through the mini-program is
    recognised on the H5 site too. The unique ``(appid, openid)`` index is what makes two
    simultaneous first sign-ins bind once; ``(appid, user_id)`` keeps one WeChat account per
    mall account and app."""

    appid = pw.CharField(max_length=32)
    openid = pw.CharField(max_length=128)
    unionid = pw.CharField(max_length=128, null=True, index=True)
    user_id = pw.IntegerField(index=True)
    nickname = pw.CharField(max_length=100, default="")
    created_at = pw.DateTimeField(default=utcnow)
    last_login_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "wechat_login_identity"
        indexes = (
            (("appid", "openid"), True),
            (("appid", "user_id"), True),
        )
