"""Invoices: titles, requests at checkout and later, issuing through the manual provider and
a plugged-in one, the PDF's checks and who may read it, and the red reversal after a refund."""

from __future__ import annotations

import datetime as dt
import io
import types

import pytest

from mallkit.core.audit import AuditLog
from mallkit.core.db import utcnow
from mallkit.core.plugins import PluginMeta
from mallkit.core.testing import (
    cancel_order,
    make_product,
    pay_order,
    place_order,
    refund_order,
    skus_of,
)
from mallkit.hookspecs import hookimpl
from mallkit.plugins.invoices.models import Invoice, InvoiceFile
from mallkit.plugins.invoices.providers import Issued

PDF = b"%PDF-1.7\n" + b"0" * 200
TAX = "91310000MA1FL4CT3X"
COMPANY = {"kind": "company", "name": "上海某某科技有限公司", "tax_number": TAX, "email": "f@co.cn"}


@pytest.fixture
def invoices(app, merchant, enable_plugin):
    with enable_plugin("invoices", merchant, {"issue_days": 7, "max_pdf_kb": 16}) as plugin:
        yield plugin


@pytest.fixture
def sku(merchant):
    return skus_of(make_product(merchant, prices=(12900,)))[0]


def url(merchant, tail=""):
    return f"/api/v1/merchants/{merchant.id}/invoices{tail}"


def upload(client, merchant, invoice_id, headers, *, action="issue", data=PDF, number="No1"):
    form = {"number": number}
    if data is not None:
        form["file"] = (io.BytesIO(data), "invoice.pdf")
    return client.post(
        url(merchant, f"/{invoice_id}/{action}"),
        data=form,
        headers=headers,
        content_type="multipart/form-data",
    )


def test_titles_are_saved_in_the_buyers_profile_and_checked(client, buyer, other_buyer, invoices):
    r = client.post("/api/v1/me/invoice-titles", json=COMPANY, headers=buyer.headers)
    assert r.status_code == 201 and r.json["tax_number"] == TAX
    bad = {**COMPANY, "tax_number": "123"}
    r = client.post("/api/v1/me/invoice-titles", json=bad, headers=buyer.headers)
    assert r.status_code == 422 and "tax_number" in r.json["errors"]
    personal = {"kind": "personal", "name": "张三", "tax_number": TAX}
    r = client.post("/api/v1/me/invoice-titles", json=personal, headers=buyer.headers)
    assert r.status_code == 422
    assert len(client.get("/api/v1/me/invoice-titles", headers=buyer.headers).json) == 1
    assert client.get("/api/v1/me/invoice-titles", headers=other_buyer.headers).json == []
    title_id = client.get("/api/v1/me/invoice-titles", headers=buyer.headers).json[0]["id"]
    r = client.delete(f"/api/v1/me/invoice-titles/{title_id}", headers=other_buyer.headers)
    assert r.status_code == 404


def test_an_invoice_asked_for_at_checkout_is_due_days_after_payment(
    client, merchant, buyer, invoices, sku
):
    title_id = client.post("/api/v1/me/invoice-titles", json=COMPANY, headers=buyer.headers).json[
        "id"
    ]
    order = place_order(
        buyer, [(sku, 1)], options={"plugins": {"invoices": {"title_id": title_id}}}
    )
    invoice = Invoice.get(Invoice.order_id == order.id)
    assert invoice.status == "requested" and invoice.due_at is None
    assert invoice.title_name == COMPANY["name"] and invoice.tax_number == TAX
    pay_order(order)
    due = Invoice.get_by_id(invoice.id).due_at
    assert dt.timedelta(days=6, hours=23) < due - utcnow() <= dt.timedelta(days=7)


def test_a_bad_title_at_checkout_refuses_the_order(buyer, other_buyer, invoices, sku):
    from mallkit.core.errors import MallkitError
    from mallkit.core.orders.models import Order

    with pytest.raises(MallkitError) as caught:
        place_order(
            buyer,
            [(sku, 1)],
            options={"plugins": {"invoices": {"title": {**COMPANY, "tax_number": "x"}}}},
        )
    assert "tax_number" in caught.value.errors
    with pytest.raises(MallkitError):
        place_order(buyer, [(sku, 1)], options={"plugins": {"invoices": {"medium": "fax"}}})
    assert not Order.select().exists() and not Invoice.select().exists()


def test_cancelling_the_order_cancels_the_request(buyer, invoices, sku):
    order = place_order(buyer, [(sku, 1)], options={"plugins": {"invoices": {"title": COMPANY}}})
    cancel_order(order)
    assert Invoice.get(Invoice.order_id == order.id).status == "cancelled"


def test_the_store_issues_an_e_invoice_and_only_the_buyer_and_its_staff_read_the_pdf(
    client, merchant, other_merchant, buyer, other_buyer, owner, invoices, sku
):
    order = pay_order(place_order(buyer, [(sku, 2)]))
    r = client.post(
        url(merchant), json={"order_id": order.id, "title": COMPANY}, headers=buyer.headers
    )
    assert r.status_code == 201, r.json
    invoice_id = r.json["id"]
    again = client.post(
        url(merchant), json={"order_id": order.id, "title": COMPANY}, headers=buyer.headers
    )
    assert again.status_code == 409 and again.json["errors"] == {"status": ["requested"]}
    theirs = client.post(
        url(merchant), json={"order_id": order.id, "title": COMPANY}, headers=other_buyer.headers
    )
    assert theirs.status_code == 404

    assert (
        upload(client, merchant, invoice_id, owner.headers, data=b"GIF89a....").status_code == 422
    )
    big = b"%PDF-" + b"0" * (17 * 1024)
    r = upload(client, merchant, invoice_id, owner.headers, data=big)
    assert r.status_code == 422 and r.json["code"] == "file_too_large"
    assert upload(client, merchant, invoice_id, owner.headers, data=None).status_code == 422
    r = upload(client, merchant, invoice_id, owner.headers, number="")
    assert r.status_code == 422 and "number" in r.json["errors"]
    assert upload(client, merchant, invoice_id, buyer.headers).status_code == 404
    stranger = other_merchant.owner_account
    assert upload(client, merchant, invoice_id, stranger.headers).status_code == 404
    assert not InvoiceFile.select().exists()

    r = upload(client, merchant, invoice_id, owner.headers, number="24310000000000000001")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "issued" and r.json["amount"] == 2 * 12900
    assert upload(client, merchant, invoice_id, owner.headers).json["errors"] == {
        "status": ["issued"]
    }

    for who in (buyer, owner):
        r = client.get(url(merchant, f"/{invoice_id}/pdf"), headers=who.headers)
        assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    for who in (other_buyer, stranger):
        assert (
            client.get(url(merchant, f"/{invoice_id}/pdf"), headers=who.headers).status_code == 404
        )
        assert client.get(url(merchant, f"/{invoice_id}"), headers=who.headers).status_code == 404
    assert client.get(url(merchant, f"/{invoice_id}/pdf")).status_code == 401


def test_a_refund_after_issuing_asks_for_the_red_reversal(
    client, merchant, buyer, owner, invoices, sku
):
    order = pay_order(place_order(buyer, [(sku, 2)]))
    invoice_id = client.post(
        url(merchant), json={"order_id": order.id, "title": COMPANY}, headers=buyer.headers
    ).json["id"]
    r = upload(client, merchant, invoice_id, owner.headers, action="reversal")
    assert r.status_code == 409 and r.json["errors"] == {"status": ["requested"]}
    upload(client, merchant, invoice_id, owner.headers)
    line = order.lines.get()
    refund_order(order, {line: 1})
    assert Invoice.get_by_id(invoice_id).status == "reversal_required"
    listed = client.get(url(merchant, "?status=reversal_required"), headers=owner.headers).json
    assert [i["id"] for i in listed] == [invoice_id]

    r = upload(client, merchant, invoice_id, owner.headers, action="reversal", number="RED-1")
    assert (
        r.status_code == 200
        and r.json["status"] == "reversed"
        and r.json["reversal_number"] == "RED-1"
    )
    r = client.get(url(merchant, f"/{invoice_id}/pdf?kind=reversal"), headers=buyer.headers)
    assert r.status_code == 200 and r.data == PDF
    audit = AuditLog.select().where(AuditLog.target_type == "invoice").order_by(AuditLog.id)
    assert [(a.action, a.actor_id) for a in audit] == [
        ("invoices.issue", owner.user.id),
        ("invoices.reverse", owner.user.id),
    ]


def test_after_a_partial_refunds_reversal_the_rest_is_issued_again(
    client, merchant, buyer, owner, invoices, sku
):
    order = pay_order(place_order(buyer, [(sku, 2)]))
    invoice_id = client.post(
        url(merchant), json={"order_id": order.id, "title": COMPANY}, headers=buyer.headers
    ).json["id"]
    upload(client, merchant, invoice_id, owner.headers, number="N-1")
    refund_order(order, {order.lines.get(): 1})
    upload(client, merchant, invoice_id, owner.headers, action="reversal", number="RED-1")
    second = b"%PDF-1.7 second round"
    r = upload(client, merchant, invoice_id, owner.headers, number="N-2", data=second)
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["round"], r.json["amount"]) == ("issued", 2, 12900)
    assert [(h["number"], h["amount"], h["reversal_number"]) for h in r.json["history"]] == [
        ("N-1", 2 * 12900, "RED-1")
    ]
    pdf = f"/{invoice_id}/pdf"
    assert client.get(url(merchant, pdf), headers=buyer.headers).data == second
    assert client.get(url(merchant, pdf + "?round=1"), headers=buyer.headers).data == PDF
    assert (
        client.get(url(merchant, pdf + "?round=1&kind=reversal"), headers=buyer.headers).data == PDF
    )

    refund_order(order)  # the rest: the order closes, the second round needs its reversal
    assert Invoice.get_by_id(invoice_id).status == "reversal_required"
    upload(client, merchant, invoice_id, owner.headers, action="reversal", number="RED-2")
    r = upload(client, merchant, invoice_id, owner.headers, number="N-3")
    assert r.status_code == 409 and r.json["code"] == "not_invoiceable"


def test_a_full_refund_before_issuing_cancels_the_request(client, merchant, buyer, invoices, sku):
    order = pay_order(place_order(buyer, [(sku, 1)]))
    client.post(url(merchant), json={"order_id": order.id, "title": COMPANY}, headers=buyer.headers)
    refund_order(order)
    assert Invoice.get(Invoice.order_id == order.id).status == "cancelled"


def test_an_unpaid_order_cannot_be_invoiced_later(client, merchant, buyer, invoices, sku):
    order = place_order(buyer, [(sku, 1)])
    r = client.post(
        url(merchant), json={"order_id": order.id, "title": COMPANY}, headers=buyer.headers
    )
    assert r.status_code == 409 and r.json["errors"] == {"status": ["pending_payment"]}


def test_a_paper_invoice_is_marked_sent_with_tracking(
    client, merchant, buyer, owner, invoices, sku
):
    order = pay_order(place_order(buyer, [(sku, 1)]))
    personal = {"kind": "personal", "name": "张三"}
    invoice_id = client.post(
        url(merchant),
        json={"order_id": order.id, "title": personal, "medium": "paper"},
        headers=buyer.headers,
    ).json["id"]
    r = upload(client, merchant, invoice_id, owner.headers, data=None)
    assert r.status_code == 422 and "tracking_number" in r.json["errors"]
    r = client.post(
        url(merchant, f"/{invoice_id}/issue"),
        data={"number": "P-1", "carrier": "SF", "tracking_number": "SF123"},
        headers=owner.headers,
        content_type="multipart/form-data",
    )
    assert (
        r.status_code == 200
        and r.json["status"] == "issued"
        and r.json["tracking_number"] == "SF123"
    )


def test_overdue_requests_are_listed_and_counted(client, merchant, buyer, owner, invoices, sku):
    order = pay_order(place_order(buyer, [(sku, 1)]))
    invoice_id = client.post(
        url(merchant), json={"order_id": order.id, "title": COMPANY}, headers=buyer.headers
    ).json["id"]
    assert client.get(url(merchant, "?overdue=true"), headers=owner.headers).json == []
    Invoice.update(due_at=utcnow() - dt.timedelta(hours=1)).execute()
    assert [
        i["id"] for i in client.get(url(merchant, "?overdue=true"), headers=owner.headers).json
    ] == [invoice_id]
    stats = client.get(url(merchant, "/stats"), headers=owner.headers).json
    assert stats["overdue"] == 1 and stats["by_status"]["requested"] == 1


# A real e-invoice service, plugged in through the hook the invoices plugin declares.
fapiao = types.ModuleType("fapiao_cloud")
fapiao.meta = PluginMeta(name="fapiao_cloud", version="1.0.0", title="Fapiao cloud")


class CloudProvider:
    name = "cloud"

    def issue(self, invoice, document):
        return Issued(f"CLOUD-{invoice.order_id}", b"%PDF-1.7 cloud " + invoice.title_name.encode())

    def reverse(self, invoice, document):
        return Issued(f"CLOUD-RED-{invoice.order_id}", b"%PDF-1.7 red")


@hookimpl
def register_invoice_providers():
    return [CloudProvider()]


fapiao.register_invoice_providers = register_invoice_providers


def test_a_provider_plugin_issues_without_an_upload(
    client, merchant, buyer, owner, sku, enable_plugin
):
    with enable_plugin("invoices", merchant, {"provider": "cloud"}):
        order = pay_order(place_order(buyer, [(sku, 1)]))
        invoice_id = client.post(
            url(merchant), json={"order_id": order.id, "title": COMPANY}, headers=buyer.headers
        ).json["id"]
        r = upload(client, merchant, invoice_id, owner.headers, data=None)
        assert r.status_code == 409 and r.json["code"] == "provider_unavailable"
        with enable_plugin(fapiao, merchant):
            r = upload(client, merchant, invoice_id, owner.headers, data=None)
            assert r.status_code == 200, r.json
            assert r.json["provider"] == "cloud" and r.json["number"] == f"CLOUD-{order.id}"
            pdf = client.get(url(merchant, f"/{invoice_id}/pdf"), headers=buyer.headers).data
            assert pdf.startswith(b"%PDF-1.7 cloud")


def test_the_config_is_validated(app, merchant):
    from mallkit.core import plugin_settings
    from mallkit.core.errors import ValidationError

    for config, field in (({"issue_days": 0}, "issue_days"), ({"max_pdf_kb": -1}, "max_pdf_kb")):
        with pytest.raises(ValidationError) as caught:
            plugin_settings.enable(merchant, "invoices", config)
        assert field in caught.value.errors


def test_racing_requests_and_issues_end_with_one_invoice_issued_once(
    app, merchant, buyer, invoices, sku
):
    from mallkit.core.testing import concurrently
    from mallkit.plugins.invoices import service

    order = pay_order(place_order(buyer, [(sku, 1)]))
    asked = concurrently(
        app,
        lambda i: service.request(
            merchant.id, buyer.user.id, {"order_id": order.id, "title": COMPANY}
        ),
        2,
    )
    assert sorted(type(r).__name__ for r in asked) == ["Conflict", "Invoice"]
    (invoice,) = Invoice.select()
    issued = concurrently(
        app, lambda i: service.issue(merchant.id, invoice.id, {"number": f"N{i}", "file": PDF}), 2
    )
    assert sorted(type(r).__name__ for r in issued) == ["Conflict", "Invoice"]
    assert InvoiceFile.select().count() == 1
