"""Share-link tables: the links, their visits and the sign-ups they brought. Orders carry
their own attribution (``orders.share_id``, ``share_code``, ``source_channel``, ``utm_*``)."""

from __future__ import annotations

import peewee as pw

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.db import BaseModel, utcnow

# Targets the core knows (and checks); plugins use their own kinds ("group", "bargain",
# "promoter" or "<plugin>.<kind>") and check their targets themselves.
CORE_KINDS = ("product", "store")
CHANNELS = ("wechat", "moments", "qq", "weibo", "link", "poster", "qrcode", "sms", "email", "other")


class ShareLink(BaseModel):
    """A share link: ``code`` (URL-safe, random) opens ``kind``/``target_id`` of ``merchant``.

    One live link per (sharer, merchant, kind, target, channel): ``generation`` numbers the
    links of that key, so an expired link is followed by a new one, and the unique index
    lets exactly one of two racing creations win.
    """

    code = pw.CharField(max_length=32, unique=True)
    merchant = pw.ForeignKeyField(Merchant, backref="share_links", on_delete="CASCADE")
    sharer = pw.ForeignKeyField(User, backref="share_links", on_delete="CASCADE")
    kind = pw.CharField(max_length=64)
    target_id = pw.IntegerField()
    channel = pw.CharField(max_length=16, default="link")
    utm_source = pw.CharField(max_length=100, default="")
    utm_medium = pw.CharField(max_length=100, default="")
    utm_campaign = pw.CharField(max_length=100, default="")
    generation = pw.IntegerField(default=0)
    expires_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "share_link"
        indexes = (
            (("sharer", "merchant", "kind", "target_id", "channel", "generation"), True),
            (("merchant", "kind", "target_id"), False),
        )

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or utcnow())


class ShareVisit(BaseModel):
    """Someone opened a share link: a signed-in user, or an anonymous device."""

    share = pw.ForeignKeyField(ShareLink, backref="visits", on_delete="CASCADE")
    merchant_id = pw.IntegerField(index=True)
    user_id = pw.IntegerField(null=True)
    device_id = pw.CharField(max_length=64, default="")
    created_at = pw.DateTimeField(default=utcnow)


class ShareSignup(BaseModel):
    """A user who registered with a share code (at most one share per user)."""

    share = pw.ForeignKeyField(ShareLink, backref="signups", on_delete="CASCADE")
    merchant_id = pw.IntegerField(index=True)
    user = pw.ForeignKeyField(User, unique=True, on_delete="CASCADE")
    created_at = pw.DateTimeField(default=utcnow)
