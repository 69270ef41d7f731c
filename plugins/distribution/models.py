"""Distribution tables: promoter groups, promoters, bindings, applications, the promoters of
each order, commission records, the promoter's ledger and withdrawals.

Money is integer fen. A promoter's ``balance`` is the sum of their ledger rows (``amount``)
and ``debt`` the sum of the rows' ``debt_delta``; both columns change only together with the
ledger row that explains them, in one transaction, with the promoter's row locked.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

ACTIVE, FROZEN = "active", "frozen"  # promoter status
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"  # application status
# commission status: frozen (waiting to settle), settled (in the balance), cancelled
# (refunded before it settled)
C_FROZEN, C_SETTLED, C_CANCELLED = "frozen", "settled", "cancelled"
# withdrawal status
REQUESTED, PAYING, PAID, FAILED = "requested", "paying", "paid", "failed"

# codes named in both languages (the console's selects and cells), value → (中文, English);
# where the shared status text means something else (paid: an order's 待发货), a name here
PROMOTER_STATUSES = {ACTIVE: ("正常", "Active"), FROZEN: ("已冻结", "Frozen")}
# how a buyer became a promoter (Promoter.source)
SOURCES = {
    "everyone": ("自动成为", "Every buyer"),
    "appointed": ("商家指定", "Appointed"),
    "application": ("申请通过", "Application"),
    "spend": ("消费达标", "Spend"),
}
COMMISSION_STATUSES = {
    C_FROZEN: ("待结算", "Frozen"),
    C_SETTLED: ("已结算", "Settled"),
    C_CANCELLED: ("已取消", "Cancelled"),
}
WITHDRAWAL_STATUSES = {
    REQUESTED: ("待审核", "Requested"),
    PAYING: ("打款中", "Paying"),
    PAID: ("已打款", "Paid"),
    FAILED: ("打款失败", "Failed"),
    REJECTED: ("已驳回", "Rejected"),
}
WITHDRAWAL_CHANNELS = {"manual_bank": ("银行卡（人工打款）", "Bank transfer (manual)")}


class PromoterGroup(BaseModel):
    """A promoter tier (普通/高级) with its own rates, in basis points (1000 = 10 %)."""

    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=50)
    level1_bp = pw.IntegerField()
    level2_bp = pw.IntegerField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "distribution_group"
        indexes = ((("merchant_id", "name"), True),)


class Promoter(BaseModel):
    """A buyer who earns commission at one store. ``parent_id`` is the promoter they were
    bound to when they became a promoter, fixed from then on (staff may re-bind)."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField(index=True)
    code = pw.CharField(max_length=16, unique=True)
    status = pw.CharField(max_length=8, default=ACTIVE)
    group_id = pw.IntegerField(null=True)
    parent_id = pw.IntegerField(null=True, index=True)
    source = pw.CharField(max_length=16)  # everyone | appointed | application | spend
    balance = pw.IntegerField(default=0)  # withdrawable: the sum of the ledger
    debt = pw.IntegerField(default=0)  # reversals the balance could not cover
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "distribution_promoter"
        indexes = ((("merchant_id", "user_id"), True),)


class Binding(BaseModel):
    """Which promoter a buyer belongs to at one store (one row per buyer and store)."""

    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    promoter_id = pw.IntegerField(index=True)
    source = pw.CharField(max_length=16)  # registration | share | code | order | staff
    share_code = pw.CharField(max_length=32, default="")
    bound_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField(null=True)  # None: permanent

    class Meta:
        table_name = "distribution_binding"
        indexes = ((("merchant_id", "user_id"), True),)


class Application(BaseModel):
    """A buyer asking to become a promoter. ``open_key`` is set while pending, so a unique
    index allows one pending application per buyer and store."""

    merchant_id = pw.IntegerField(index=True)
    user_id = pw.IntegerField(index=True)
    fields = JSONField(default=dict)
    status = pw.CharField(max_length=8, default=PENDING)
    reason = pw.CharField(max_length=255, default="")
    open_key = pw.CharField(max_length=40, null=True, unique=True)
    reviewed_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    reviewed_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "distribution_application"


class ProductRule(BaseModel):
    """A product's own commission, overriding the group rates: ``mode`` ``rate`` (basis
    points of what the line paid) or ``fixed`` (fen per unit, at most what the line paid)."""

    merchant_id = pw.IntegerField()
    product_id = pw.IntegerField()
    mode = pw.CharField(max_length=8)
    level1 = pw.IntegerField()
    level2 = pw.IntegerField()

    class Meta:
        table_name = "distribution_product_rule"
        indexes = ((("merchant_id", "product_id"), True),)


class Commission(BaseModel):
    """One promoter's commission on one order line at one level. ``cancelled`` is the part
    taken back by refunds; ``settled`` what went into the balance when it settled."""

    merchant_id = pw.IntegerField(index=True)
    promoter_id = pw.IntegerField(index=True)
    order_id = pw.IntegerField(index=True)
    order_line_id = pw.IntegerField()
    product_id = pw.IntegerField()
    buyer_id = pw.IntegerField()
    level = pw.SmallIntegerField()
    base = pw.IntegerField()  # what the line paid, freight excluded unless configured
    line_paid = pw.IntegerField()  # the line's pay_amount: refunds are shares of it
    rule = pw.CharField(max_length=8)  # rate | fixed
    rate = pw.IntegerField()  # basis points, or fen per unit for fixed
    amount = pw.IntegerField()
    refunded = pw.IntegerField(default=0)  # of line_paid
    cancelled = pw.IntegerField(default=0)
    settled = pw.IntegerField(default=0)
    status = pw.CharField(max_length=10, default=C_FROZEN, index=True)
    created_at = pw.DateTimeField(default=utcnow, index=True)
    settled_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "distribution_commission"
        indexes = ((("order_line_id", "level"), True),)


class LedgerEntry(BaseModel):
    """A movement of a promoter's balance (``amount``) and debt (``debt_delta``)."""

    merchant_id = pw.IntegerField()
    promoter_id = pw.IntegerField(index=True)
    # commission | reversal | debt_repayment | withdrawal | withdrawal_returned
    kind = pw.CharField(max_length=20)
    amount = pw.IntegerField()
    debt_delta = pw.IntegerField(default=0)
    commission_id = pw.IntegerField(null=True)
    withdrawal_id = pw.IntegerField(null=True)
    note = pw.CharField(max_length=255, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "distribution_ledger"


class Withdrawal(BaseModel):
    """A promoter taking money out: requested → paying → paid / failed, or rejected."""

    number = pw.CharField(max_length=32, unique=True)
    merchant_id = pw.IntegerField(index=True)
    promoter_id = pw.IntegerField(index=True)
    amount = pw.IntegerField()
    fee = pw.IntegerField()
    net = pw.IntegerField()
    channel = pw.CharField(max_length=32)
    account = JSONField(default=dict)
    status = pw.CharField(max_length=10, default=REQUESTED, index=True)
    reason = pw.CharField(max_length=255, default="")
    reference = pw.CharField(max_length=64, default="")
    day = pw.CharField(max_length=10)  # the store's calendar day it was requested on
    idempotency_key = pw.CharField(max_length=128, null=True)
    reviewed_by = pw.IntegerField(null=True)
    created_at = pw.DateTimeField(default=utcnow)
    reviewed_at = pw.DateTimeField(null=True)
    finished_at = pw.DateTimeField(null=True)

    class Meta:
        table_name = "distribution_withdrawal"
        indexes = ((("promoter_id", "idempotency_key"), True),)
