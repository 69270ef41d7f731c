"""Issuing providers: who makes the invoice.

A provider is any object with a ``name`` and the two methods of :class:`InvoiceProvider`.
The built-in :class:`ManualUpload` is the store issuing elsewhere (its tax software, the tax
bureau's portal) and uploading the e-invoice PDF, or marking a paper invoice sent. A plugin
for a real e-invoice service returns its provider from ``register_invoice_providers`` (a hook
this plugin declares) and the store picks it with the ``provider`` setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mallkit.core.plugin_api import ValidationError
from mallkit.plugins.invoices.models import ELECTRONIC, Invoice

PDF_SIGNATURE = b"%PDF-"


@dataclass(frozen=True)
class Issued:
    """What a provider returns: the invoice number and, for an e-invoice, its PDF."""

    number: str
    pdf: bytes | None = None


class InvoiceProvider(Protocol):
    """The issuing-provider interface.

    ``document`` is what the staff sent: ``number``, ``file`` (the uploaded bytes or None),
    ``carrier`` and ``tracking_number`` (a paper invoice). Raise a ``ValidationError`` for
    bad input, a ``Conflict`` when the service refuses; nothing is written then."""

    name: str

    def issue(self, invoice: Invoice, document: dict[str, Any]) -> Issued: ...

    def reverse(self, invoice: Invoice, document: dict[str, Any]) -> Issued: ...


def checked_pdf(data: bytes | None, limit: int) -> bytes:
    """The uploaded bytes when they are a PDF of at most ``limit`` bytes."""
    if not data:
        raise ValidationError(
            "upload the invoice PDF", code="pdf_required", errors={"file": ["A PDF is required."]}
        )
    if len(data) > limit:
        raise ValidationError(
            f"the PDF is over {limit // 1024} KB",
            code="file_too_large",
            errors={"file": [f"At most {limit // 1024} KB."]},
        )
    if not data.startswith(PDF_SIGNATURE):
        raise ValidationError(
            "only PDF files", code="unsupported_media", errors={"file": ["Not a PDF."]}
        )
    return data


class ManualUpload:
    """The store uploads what it issued elsewhere: a PDF for an e-invoice, nothing for a
    paper one (its carrier and tracking number instead)."""

    name = "manual"

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def issue(self, invoice: Invoice, document: dict[str, Any]) -> Issued:
        if invoice.medium == ELECTRONIC:
            return Issued(document["number"], checked_pdf(document.get("file"), self.max_bytes))
        if not document.get("carrier") or not document.get("tracking_number"):
            raise ValidationError(
                "a paper invoice is sent by post: give the carrier and tracking number",
                code="tracking_required",
                errors={"tracking_number": ["Required for a paper invoice."]},
            )
        return Issued(document["number"])

    def reverse(self, invoice: Invoice, document: dict[str, Any]) -> Issued:
        return Issued(document["number"], checked_pdf(document.get("file"), self.max_bytes))
