"""Invoices REST routes. A buyer's saved titles are theirs across stores (``/me/...``);
everything about one store's invoices is under ``/merchants/<merchant_id>/invoices`` (404
where the store has not enabled the plugin). A buyer asks and reads their own invoices; the
store's staff list, issue and reverse them; the PDFs go to those two only."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from marshmallow import ValidationError as Invalid

from mallkit.core.plugin_api import (
    NotFound,
    PeeweePage,
    User,
    ValidationError,
    plugin_blueprint,
    require_staff,
    require_user,
    utcnow,
)
from mallkit.plugins.invoices import service
from mallkit.plugins.invoices.models import REQUESTED, Invoice, InvoiceTitle
from mallkit.plugins.invoices.schemas import (
    InvoiceListArgs,
    InvoiceOut,
    InvoiceRequestIn,
    InvoiceStatsOut,
    IssueFormIn,
    IssueUploadIn,
    PdfArgs,
    TitleIn,
    TitleOut,
)

blp = plugin_blueprint("invoices", __name__, description="Invoices (发票)")
STAFF = ("owner", "manager")
BASE = "/merchants/<int:merchant_id>/invoices"


def staff_of(merchant_id: int, *roles: str) -> User:
    """Staff of this store (or a platform admin); anyone else gets 404."""
    return require_staff(merchant_id, *roles, not_staff=NotFound("not found"))


def _read(files) -> dict:
    """The issue/reversal document: the form fields, checked, and the uploaded bytes.

    flask-smorest documents one request body per view, so the multipart body is declared
    once (``IssueUploadIn``, files) and its form fields are loaded here."""
    try:
        form = IssueFormIn().load(request.form.to_dict())
    except Invalid as exc:
        raise ValidationError(
            "the form does not validate", code="invalid_form", errors=exc.messages
        ) from None
    upload = files.get("file")
    return {**form, "file": upload.read() if upload is not None else None}


@blp.route("/me/invoice-titles")
class Titles(MethodView):
    @blp.response(200, TitleOut(many=True))
    def get(self):
        """Your saved invoice titles."""
        user = require_user()
        return (
            InvoiceTitle.select().where(InvoiceTitle.user_id == user.id).order_by(InvoiceTitle.id)
        )

    @blp.arguments(TitleIn)
    @blp.response(201, TitleOut)
    def post(self, data):
        """Save an invoice title (a company needs its unified social credit code)."""
        return service.save_title(require_user().id, data)


@blp.route("/me/invoice-titles/<int:title_id>")
class Title(MethodView):
    @blp.response(204)
    def delete(self, title_id):
        """Delete one of your saved titles."""
        service.own_title(require_user().id, title_id).delete_instance()


@blp.route(BASE)
class Invoices(MethodView):
    @blp.arguments(InvoiceListArgs, location="query")
    @blp.response(200, InvoiceOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """The store's invoices, oldest deadline first (staff); ``overdue`` for requests past
        their deadline."""
        staff_of(merchant_id, *STAFF, "agent")
        where = Invoice.merchant_id == merchant_id
        if args["status"]:
            where &= Invoice.status == args["status"]
        if args["overdue"]:
            where &= (Invoice.status == REQUESTED) & (Invoice.due_at < utcnow())
        return Invoice.select().where(where).order_by(Invoice.due_at.asc(nulls="LAST"), Invoice.id)

    @blp.arguments(InvoiceRequestIn)
    @blp.response(201, InvoiceOut)
    def post(self, data, merchant_id):
        """Ask for the invoice of one of your paid orders (one per order)."""
        return service.request(merchant_id, require_user().id, data)


@blp.route(f"{BASE}/mine")
class MyInvoices(MethodView):
    @blp.response(200, InvoiceOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """Your invoices at this store, newest first."""
        user = require_user()
        return (
            Invoice.select()
            .where((Invoice.merchant_id == merchant_id) & (Invoice.buyer_id == user.id))
            .order_by(Invoice.id.desc())
        )


@blp.route(f"{BASE}/stats")
class Stats(MethodView):
    @blp.response(200, InvoiceStatsOut)
    def get(self, merchant_id):
        """Invoices by status and how many requests are overdue (staff)."""
        staff_of(merchant_id, *STAFF, "agent")
        return service.stats(merchant_id)


def _visible(merchant_id: int, invoice_id: int) -> Invoice:
    """The invoice for its buyer or the store's staff; 404 for anyone else."""
    user = require_user()
    invoice = service.store_invoice(merchant_id, invoice_id)
    if invoice.buyer_id == user.id:
        return invoice
    staff_of(merchant_id)
    return invoice


@blp.route(f"{BASE}/<int:invoice_id>")
class InvoiceDetail(MethodView):
    @blp.response(200, InvoiceOut)
    def get(self, merchant_id, invoice_id):
        """One invoice (its buyer or the store's staff)."""
        return _visible(merchant_id, invoice_id)


@blp.route(f"{BASE}/<int:invoice_id>/issue")
class Issue(MethodView):
    @blp.arguments(IssueUploadIn, location="files")
    @blp.response(200, InvoiceOut)
    def post(self, files, merchant_id, invoice_id):
        """Issue the invoice: the e-invoice PDF and its number, or a paper invoice's number
        with the carrier and tracking number (owner or manager). A reversed invoice of an
        order not refunded in full is issued again for what is left."""
        staff = staff_of(merchant_id, *STAFF)
        return service.issue(merchant_id, invoice_id, _read(files), actor_id=staff.id)


@blp.route(f"{BASE}/<int:invoice_id>/reversal")
class Reversal(MethodView):
    @blp.arguments(IssueUploadIn, location="files")
    @blp.response(200, InvoiceOut)
    def post(self, files, merchant_id, invoice_id):
        """Upload the red reversal (红冲) of an invoice a refund left wrong (owner or
        manager)."""
        staff = staff_of(merchant_id, *STAFF)
        return service.reverse(merchant_id, invoice_id, _read(files), actor_id=staff.id)


@blp.route(f"{BASE}/<int:invoice_id>/pdf")
class Pdf(MethodView):
    @blp.arguments(PdfArgs, location="query")
    @blp.response(200, content_type="application/pdf")
    def get(self, args, merchant_id, invoice_id):
        """The issued PDF (or ``kind=reversal``), to the buyer and the store's staff only."""
        invoice = _visible(merchant_id, invoice_id)
        body = service.pdf(invoice, args["kind"], args["round"])
        name = f"invoice-{invoice.id}-{args['round'] or invoice.round}-{args['kind']}.pdf"
        return Response(
            body,
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
