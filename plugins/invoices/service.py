"""Invoice rules: titles, requests (at checkout or later), issuing through a provider, the
red reversal (红冲) a refund after issuing calls for, and who may read the PDFs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import peewee as pw
from flask import g
from marshmallow import ValidationError as Invalid

from mallkit.core.plugin_api import (
    Conflict,
    NotFound,
    Order,
    ValidationError,
    merchant_plugins,
    record_audit,
    transaction,
    utcnow,
)
from mallkit.plugins.invoices.models import (
    CANCELLED,
    COMPANY,
    ELECTRONIC,
    ISSUED,
    REQUESTED,
    REVERSAL_REQUIRED,
    REVERSED,
    Invoice,
    InvoiceFile,
    InvoiceTitle,
)
from mallkit.plugins.invoices.providers import InvoiceProvider, ManualUpload
from mallkit.plugins.invoices.schemas import CheckoutInvoiceIn

PLUGIN = "invoices"
# The unified social credit code (统一社会信用代码): 18 characters, no I, O, S, V or Z.
TAX_NUMBER = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
# Orders an invoice may be asked for: paid and not cancelled or refunded in full.
INVOICEABLE = ("paid", "shipped", "completed", "awaiting_group")
TITLE_FIELDS = ("kind", "name", "tax_number", "email")


def config(merchant_id: int) -> dict[str, Any]:
    return merchant_plugins(merchant_id).config(PLUGIN)


# -- titles ----------------------------------------------------------------------------------


def check_title(title: dict[str, Any], medium: str = ELECTRONIC) -> dict[str, Any]:
    """A title's fields when they make a valid invoice title; field errors otherwise."""
    errors: dict[str, list[str]] = {}
    tax = (title.get("tax_number") or "").strip().upper()
    if title["kind"] == COMPANY:
        if not TAX_NUMBER.fullmatch(tax):
            errors["tax_number"] = ["A company needs its 18-character unified social credit code."]
    elif tax:
        errors["tax_number"] = ["A personal title has no tax number."]
    if medium == ELECTRONIC and not title.get("email"):
        errors["email"] = ["An e-invoice is sent by e-mail."]
    if errors:
        raise ValidationError("the invoice title is not valid", code="invalid_title", errors=errors)
    return {**{k: title.get(k) or "" for k in TITLE_FIELDS}, "tax_number": tax}


def save_title(user_id: int, data: dict[str, Any]) -> InvoiceTitle:
    fields = check_title(data, ELECTRONIC if data.get("email") else "paper")
    if InvoiceTitle.select().where(InvoiceTitle.user_id == user_id).count() >= 20:
        raise Conflict("at most 20 saved titles", code="too_many_titles")
    return InvoiceTitle.create(user_id=user_id, **fields)


def own_title(user_id: int, title_id: int) -> InvoiceTitle:
    title = InvoiceTitle.get_or_none(
        (InvoiceTitle.id == title_id) & (InvoiceTitle.user_id == user_id)
    )
    if title is None:
        raise NotFound("invoice title not found", code="title_not_found")
    return title


def _title_of(user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """The title a request names: a saved one (``title_id``) or one given inline."""
    medium = data.get("medium", ELECTRONIC)
    if data.get("title_id") is not None:
        saved = own_title(user_id, data["title_id"])
        title = {k: getattr(saved, k) for k in TITLE_FIELDS}
        if data.get("email"):
            title["email"] = data["email"]
        return check_title(title, medium)
    if not data.get("title"):
        raise ValidationError(
            "name a saved title or give one",
            code="title_required",
            errors={"title": ["Give title_id or title."]},
        )
    return check_title(
        {**data["title"], "email": data["title"].get("email") or data.get("email") or ""}, medium
    )


# -- requests --------------------------------------------------------------------------------


def _due(merchant_id: int, start: dt.datetime) -> dt.datetime:
    return start + dt.timedelta(days=config(merchant_id).get("issue_days", 7))


def _insert(order: Order, title: dict[str, Any], medium: str, due_at) -> Invoice:
    try:
        with transaction():  # a savepoint: a second request must not spoil the caller's
            return Invoice.create(
                merchant_id=order.merchant_id,
                order_id=order.id,
                buyer_id=order.buyer_id,
                title_kind=title["kind"],
                title_name=title["name"],
                tax_number=title["tax_number"],
                email=title["email"],
                medium=medium,
                due_at=due_at,
            )
    except pw.IntegrityError:
        current = Invoice.get(Invoice.order_id == order.id)
        raise Conflict(
            "an invoice was asked for this order already",
            code="invoice_exists",
            errors={"status": [current.status]},
        ) from None


def request(merchant_id: int, user_id: int, data: dict[str, Any]) -> Invoice:
    """The buyer asks for an invoice of a paid order after checkout."""
    with transaction():
        order = Order.get_or_none(
            (Order.id == data["order_id"])
            & (Order.buyer == user_id)
            & (Order.merchant == merchant_id)
        )
        if order is None:
            raise NotFound("order not found", code="order_not_found")
        if order.status not in INVOICEABLE:
            raise Conflict(
                f"a {order.status} order cannot be invoiced",
                code="not_invoiceable",
                errors={"status": [order.status]},
            )
        title = _title_of(user_id, data)
        return _insert(order, title, data.get("medium", ELECTRONIC), _due(merchant_id, utcnow()))


def checkout_request(options: dict[str, Any]) -> dict[str, Any] | None:
    """The invoice a buyer asked for at checkout (``plugins.invoices`` of the store's
    options), loaded and checked; None when they asked for none."""
    mine = (options.get("plugins") or {}).get(PLUGIN)
    if not mine:
        return None
    try:
        return CheckoutInvoiceIn().load(mine)
    except Invalid as exc:
        raise ValidationError(
            "the invoice request is not valid",
            code="invalid_plugin_options",
            errors={PLUGIN: exc.messages},
        ) from None


def validate_checkout(buyer, order: dict[str, Any]) -> None:
    """Check the invoice asked for at checkout, and keep it for ``on_order_placed``.

    ``on_order_placed`` does not see the checkout options, and ``validate_checkout`` runs
    just before it for the same store in the same request (and transaction); so the checked
    title waits in ``flask.g``, keyed by store and buyer, and is taken from there."""
    wanted = checkout_request(order["options"])
    if wanted is None or buyer is None:
        return
    title = _title_of(buyer.id, wanted)
    pending = g.setdefault("invoices_at_checkout", {})
    pending[(order["merchant_id"], buyer.id)] = (title, wanted.get("medium", ELECTRONIC))


def on_order_placed(buyer, order: Order) -> None:
    """Record the invoice asked for at checkout; its deadline starts at payment."""
    pending = g.get("invoices_at_checkout") or {}
    asked = pending.pop((order.merchant_id, order.buyer_id), None)
    if asked is not None:
        _insert(order, asked[0], asked[1], None)


def on_paid(order: Order) -> None:
    Invoice.update(due_at=_due(order.merchant_id, utcnow())).where(
        (Invoice.order_id == order.id) & Invoice.due_at.is_null()
    ).execute()


def on_cancelled(order: Order) -> None:
    Invoice.update(status=CANCELLED).where(
        (Invoice.order_id == order.id) & (Invoice.status == REQUESTED)
    ).execute()


def on_refunded(order: Order, full: bool) -> None:
    """Money went back: an issued invoice now needs its red reversal (红冲); a request not
    yet issued is cancelled when nothing is left to invoice."""
    Invoice.update(status=REVERSAL_REQUIRED, reversal_reason="refund").where(
        (Invoice.order_id == order.id) & (Invoice.status == ISSUED)
    ).execute()
    if full:
        on_cancelled(order)


# -- issuing ---------------------------------------------------------------------------------


def provider_for(merchant_id: int) -> InvoiceProvider:
    cfg = config(merchant_id)
    providers: dict[str, Any] = {"manual": ManualUpload(cfg.get("max_pdf_kb", 5120) * 1024)}
    for found in merchant_plugins(merchant_id).hook.register_invoice_providers():
        for provider in found or ():
            providers[provider.name] = provider
    name = cfg.get("provider", "manual")
    if name not in providers:
        raise Conflict(
            f"the invoice provider {name!r} is not available",
            code="provider_unavailable",
            errors={"provider": [name]},
        )
    return providers[name]


def store_invoice(merchant_id: int, invoice_id: int) -> Invoice:
    invoice = Invoice.get_or_none((Invoice.id == invoice_id) & (Invoice.merchant_id == merchant_id))
    if invoice is None:
        raise NotFound("invoice not found", code="invoice_not_found")
    return invoice


def buyer_invoice(merchant_id: int, user_id: int, invoice_id: int) -> Invoice:
    invoice = store_invoice(merchant_id, invoice_id)
    if invoice.buyer_id != user_id:
        raise NotFound("invoice not found", code="invoice_not_found")
    return invoice


def _invalid_state(invoice: Invoice, action: str) -> Conflict:
    current = Invoice.get_by_id(invoice.id).status
    return Conflict(
        f"a {current} invoice cannot be {action}",
        code="invalid_state",
        errors={"status": [current]},
    )


def issue(
    merchant_id: int, invoice_id: int, document: dict[str, Any], *, actor_id: int | None = None
) -> Invoice:
    """Issue a requested invoice through the store's provider — or, once reversed after a
    partial refund, issue it again for what is left (the next round)."""
    with transaction():
        invoice = store_invoice(merchant_id, invoice_id)
        if invoice.status not in (REQUESTED, REVERSED):
            raise _invalid_state(invoice, "issued")
        order = Order.get_by_id(invoice.order_id)
        left = order.paid_amount - order.refunded_amount
        if order.status not in INVOICEABLE or left <= 0:
            raise Conflict(
                f"a {order.status} order cannot be invoiced",
                code="not_invoiceable",
                errors={"status": [order.status]},
            )
        provider = provider_for(merchant_id)
        issued = provider.issue(invoice, document)
        changes: dict[str, Any] = {
            "status": ISSUED,
            "provider": provider.name,
            "number": issued.number,
            "amount": left,
            "carrier": document.get("carrier") or "",
            "tracking_number": document.get("tracking_number") or "",
            "issued_at": utcnow(),
        }
        if invoice.status == REVERSED:
            changes.update(
                round=invoice.round + 1,
                history=[*invoice.history, _round_record(invoice)],
                reversal_number="",
                reversal_reason="",
                reversed_at=None,
            )
        won = (
            Invoice.update(**changes)
            .where(
                (Invoice.id == invoice.id)
                & (Invoice.status == invoice.status)
                & (Invoice.round == invoice.round)
            )
            .execute()
        )
        if not won:
            raise _invalid_state(invoice, "issued")
        fresh = Invoice.get_by_id(invoice.id)
        record_audit(
            "invoices.issue",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="invoice",
            target_id=invoice.id,
            before={"status": invoice.status, "round": invoice.round},
            after={"status": ISSUED, "round": fresh.round, "number": fresh.number, "amount": left},
        )
        if issued.pdf is not None:
            InvoiceFile.create(
                invoice_id=invoice.id,
                round=fresh.round,
                kind="issue",
                content=issued.pdf,
                size=len(issued.pdf),
            )
        return fresh


def _round_record(invoice: Invoice) -> dict[str, Any]:
    """What an ended round leaves in ``history``."""
    return {
        "round": invoice.round,
        "number": invoice.number,
        "amount": invoice.amount,
        "issued_at": invoice.issued_at.isoformat() if invoice.issued_at else None,
        "reversal_number": invoice.reversal_number,
        "reversed_at": invoice.reversed_at.isoformat() if invoice.reversed_at else None,
    }


def reverse(
    merchant_id: int, invoice_id: int, document: dict[str, Any], *, actor_id: int | None = None
) -> Invoice:
    """Record the red reversal (红冲) of an invoice a refund left wrong."""
    with transaction():
        invoice = store_invoice(merchant_id, invoice_id)
        if invoice.status != REVERSAL_REQUIRED:
            raise _invalid_state(invoice, "reversed")
        provider = provider_for(merchant_id)
        done = provider.reverse(invoice, document)
        won = (
            Invoice.update(status=REVERSED, reversal_number=done.number, reversed_at=utcnow())
            .where((Invoice.id == invoice.id) & (Invoice.status == REVERSAL_REQUIRED))
            .execute()
        )
        if not won:
            raise _invalid_state(invoice, "reversed")
        record_audit(
            "invoices.reverse",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="invoice",
            target_id=invoice.id,
            before={"status": REVERSAL_REQUIRED, "number": invoice.number},
            after={"status": REVERSED, "reversal_number": done.number},
        )
        if done.pdf is not None:
            InvoiceFile.create(
                invoice_id=invoice.id,
                round=invoice.round,
                kind="reversal",
                content=done.pdf,
                size=len(done.pdf),
            )
        return Invoice.get_by_id(invoice.id)


def pdf(invoice: Invoice, kind: str, round_: int | None = None) -> bytes:
    """The PDF of a round (the current one by default)."""
    row = InvoiceFile.get_or_none(
        (InvoiceFile.invoice_id == invoice.id)
        & (InvoiceFile.round == (round_ or invoice.round))
        & (InvoiceFile.kind == kind)
    )
    if row is None:
        raise NotFound("no such PDF for this invoice", code="pdf_not_found")
    return bytes(row.content)


def stats(merchant_id: int) -> dict[str, Any]:
    """Invoices of the store by status, and requests past their deadline."""
    counts = dict(
        Invoice.select(Invoice.status, pw.fn.COUNT(Invoice.id))
        .where(Invoice.merchant_id == merchant_id)
        .group_by(Invoice.status)
        .tuples()
    )
    overdue = (
        Invoice.select()
        .where(
            (Invoice.merchant_id == merchant_id)
            & (Invoice.status == REQUESTED)
            & (Invoice.due_at < utcnow())
        )
        .count()
    )
    statuses = (REQUESTED, ISSUED, REVERSAL_REQUIRED, REVERSED, CANCELLED)
    return {"by_status": {s: counts.get(s, 0) for s in statuses}, "overdue": overdue}
