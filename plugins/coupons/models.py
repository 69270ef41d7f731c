"""Coupon tables: templates a merchant defines, the coupons users hold, single-use redeem codes.

A template's rules are copied onto each user coupon when it is issued, so editing or stopping
a template never changes a coupon someone already holds.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

TYPES = ("full_reduction", "discount", "no_threshold")  # 满减, 折扣, 无门槛
SCOPES = ("all", "products", "categories", "except")
# the scopes and validities named in both languages (the console's selects)
SCOPES_ZH = {
    "all": "全部商品",
    "products": "指定商品",
    "categories": "指定分类",
    "except": "指定商品不可用",
}
SCOPES_EN = {
    "all": "All products",
    "products": "Selected products",
    "categories": "Selected categories",
    "except": "All but selected products",
}
VALIDITY_ZH = {"fixed": "固定日期", "relative": "领取后 N 天有效"}
VALIDITY_EN = {"fixed": "Fixed dates", "relative": "N days after claiming"}
UNUSED, USED, EXPIRED = "unused", "used", "expired"
RULE_FIELDS = ("name", "type", "threshold", "amount", "rate", "cap", "scope", "scope_ids")


class CouponTemplate(BaseModel):
    """What a coupon gives and who may get how many.

    ``type``: ``full_reduction`` (spend ``threshold`` save ``amount``), ``discount`` (pay
    ``rate`` % of the eligible amount, saving at most ``cap``; 0 = no cap; ``threshold``
    optional), ``no_threshold`` (save ``amount``). ``validity``: ``fixed`` (``starts_at`` to
    ``ends_at``) or ``relative`` (``valid_days`` from the claim). ``issued`` counts every
    coupon handed out by any channel and never passes ``total``.
    """

    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=100)
    type = pw.CharField(max_length=16)
    threshold = pw.IntegerField(default=0)
    amount = pw.IntegerField(default=0)
    rate = pw.IntegerField(default=100)
    cap = pw.IntegerField(default=0)
    scope = pw.CharField(max_length=16, default="all")
    scope_ids = JSONField(default=list)
    validity = pw.CharField(max_length=16, default="fixed")
    starts_at = pw.DateTimeField(null=True)
    ends_at = pw.DateTimeField(null=True)
    valid_days = pw.IntegerField(default=0)
    total = pw.IntegerField()
    issued = pw.IntegerField(default=0)
    per_user = pw.IntegerField(default=1)  # 0: no limit
    per_day = pw.IntegerField(default=0)  # per user per day; 0: no limit
    claimable = pw.BooleanField(default=True)  # shown in the coupon centre
    new_user_gift = pw.BooleanField(default=False)
    status = pw.CharField(max_length=16, default="active")  # active | stopped
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "coupon_template"


class UserCoupon(BaseModel):
    """A coupon a user holds, with the template's rules copied in ``rules``."""

    template = pw.ForeignKeyField(CouponTemplate, backref="coupons", on_delete="CASCADE")
    merchant_id = pw.IntegerField(index=True)
    user_id = pw.IntegerField(index=True)
    channel = pw.CharField(max_length=16)  # claim | issue | gift | code
    rules = JSONField(default=dict)
    status = pw.CharField(max_length=16, default=UNUSED)
    starts_at = pw.DateTimeField()
    ends_at = pw.DateTimeField(index=True)
    claimed_at = pw.DateTimeField(default=utcnow)
    claimed_day = pw.CharField(max_length=10)  # YYYY-MM-DD in the store's timezone: per-day limit
    order_id = pw.IntegerField(null=True, index=True)
    order_total = pw.IntegerField(default=0)  # what the order it was used on came to
    used_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "user_coupon"


# What pricing finds a buyer's coupons by (service._offered): a template's unused coupons in the
# order they expire, without reading the buyer's others. Partial: using a coupon removes it
# from the index instead of moving it, and the index holds unused coupons only.
UserCoupon.add_index(
    pw.ModelIndex(
        UserCoupon,
        (
            UserCoupon.user_id,
            UserCoupon.merchant_id,
            UserCoupon.template,
            UserCoupon.ends_at,
            UserCoupon.id,
        ),
        name="user_coupon_unused",
        where=(UserCoupon.status == UNUSED),
    )
)


class RedeemCode(BaseModel):
    """A single-use code that turns into a coupon of its template."""

    template = pw.ForeignKeyField(CouponTemplate, backref="codes", on_delete="CASCADE")
    code = pw.CharField(max_length=32, unique=True)
    used_by = pw.IntegerField(null=True)
    used_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "coupon_redeem_code"
