"""Demo data: the buyer of the demo store's received order saved a company title, asked for
an e-invoice, and the store issued it (a one-page PDF made here). Only ``mallkit demo``
calls it; running it again adds nothing."""

from __future__ import annotations

from mallkit.core.plugin_api import Order, merchant_plugins
from mallkit.plugins.invoices import service
from mallkit.plugins.invoices.models import Invoice, InvoiceTitle

TITLE = {
    "kind": "company",
    "name": "上海演示科技有限公司",
    "tax_number": "91310000MA1FL4CT3X",
    "email": "finance@demo.mallkit.dev",
}


def one_page_pdf(text: str) -> bytes:
    """A minimal valid PDF showing ``text`` (ASCII) — a stand-in for a real e-invoice."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def attach(app, merchant, base_url) -> list[str]:
    if not merchant_plugins(merchant.id).is_enabled(service.PLUGIN):
        return []
    order = (
        Order.select()
        .where((Order.merchant == merchant.id) & Order.status.in_(service.INVOICEABLE))
        .order_by(Order.id)
        .first()
    )
    if order is None:
        return []
    if not InvoiceTitle.select().where(InvoiceTitle.user_id == order.buyer_id).exists():
        service.save_title(order.buyer_id, TITLE)
    invoice = Invoice.get_or_none(Invoice.order_id == order.id)
    if invoice is None:
        title = InvoiceTitle.get(InvoiceTitle.user_id == order.buyer_id)
        invoice = service.request(
            merchant.id, order.buyer_id, {"order_id": order.id, "title_id": title.id}
        )
        pdf = one_page_pdf(f"Demo e-invoice for order {order.number}")
        service.issue(merchant.id, invoice.id, {"number": f"DEMO{order.id:016d}", "file": pdf})
    return [
        f"invoices        the demo order's e-invoice: {base_url}/api/v1/merchants/"
        f"{merchant.id}/invoices/{invoice.id}/pdf (as its buyer)"
    ]
