"""Invoice tables: buyers' saved titles, one invoice per order, and the PDFs.

The PDFs live in the plugin's own table (``invoices_file``), not in the media store: the
media store serves files publicly and takes images and videos only, while an invoice carries
a tax number and is served only to its buyer and the store's staff.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

# requested -> issued -> reversal_required (a refund after issuing) -> reversed (红冲)
# reversed -> issued again for what is left (the next round) while the order is not refunded
# in full; requested -> cancelled (the order was cancelled or refunded in full first)
REQUESTED, ISSUED, REVERSAL_REQUIRED, REVERSED, CANCELLED = (
    "requested",
    "issued",
    "reversal_required",
    "reversed",
    "cancelled",
)
PERSONAL, COMPANY = "personal", "company"
ELECTRONIC, PAPER = "electronic", "paper"


class InvoiceTitle(BaseModel):
    """An invoice title a buyer saved in their profile (any store may use it)."""

    user_id = pw.IntegerField(index=True)
    kind = pw.CharField(max_length=8)  # personal | company
    name = pw.CharField(max_length=100)
    tax_number = pw.CharField(max_length=20, default="")
    email = pw.CharField(max_length=254, default="")
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "invoices_title"


class Invoice(BaseModel):
    """The invoice of one order: the title as requested (a snapshot), then what was issued.

    ``due_at`` is when the store must have issued it (``issue_days`` after the request, or
    after payment when requested at checkout); ``amount`` is what the buyer paid less
    refunds when it was issued. Every state change is a compare-and-set on ``status``.
    ``round`` counts issues: a reversed invoice issued again for what is left starts the
    next round, and ``history`` keeps the earlier rounds' numbers and amounts."""

    merchant_id = pw.IntegerField()
    order_id = pw.IntegerField(unique=True)
    buyer_id = pw.IntegerField(index=True)
    title_kind = pw.CharField(max_length=8)
    title_name = pw.CharField(max_length=100)
    tax_number = pw.CharField(max_length=20, default="")
    email = pw.CharField(max_length=254, default="")
    medium = pw.CharField(max_length=12, default=ELECTRONIC)  # electronic | paper
    status = pw.CharField(max_length=20, default=REQUESTED)
    provider = pw.CharField(max_length=32, default="")
    number = pw.CharField(max_length=64, default="")
    amount = pw.IntegerField(null=True)
    carrier = pw.CharField(max_length=64, default="")
    tracking_number = pw.CharField(max_length=64, default="")
    reversal_number = pw.CharField(max_length=64, default="")
    reversal_reason = pw.CharField(max_length=200, default="")
    requested_at = pw.DateTimeField(default=utcnow)
    due_at = pw.DateTimeField(null=True)
    issued_at = pw.DateTimeField(null=True)
    reversed_at = pw.DateTimeField(null=True)
    round = pw.IntegerField(default=1)
    history = JSONField(default=list)

    class Meta:
        table_name = "invoices_invoice"
        indexes = ((("merchant_id", "status", "due_at"), False),)


class InvoiceFile(BaseModel):
    """A PDF of an invoice: the issued e-invoice (``issue``) or its red reversal
    (``reversal``), one of each per round."""

    invoice_id = pw.IntegerField()
    round = pw.IntegerField(default=1)
    kind = pw.CharField(max_length=8)  # issue | reversal
    content = pw.BlobField()
    size = pw.IntegerField()
    created_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "invoices_file"
        indexes = ((("invoice_id", "round", "kind"), True),)


MODELS = [InvoiceTitle, Invoice, InvoiceFile]
