"""The demo store shows the service plugins working: a review with a reply, an issued
e-invoice, an FAQ with a warranty, an answered suggestion — and running it again adds
nothing."""

from __future__ import annotations

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.cli import demo_store as demo
from mallkit.plugins.faq.models import FaqEntry, ProductCare
from mallkit.plugins.feedback.models import Feedback
from mallkit.plugins.invoices.models import Invoice, InvoiceFile
from mallkit.plugins.reviews.models import Review


def login(client, email, password):
    r = client.post("/api/v1/auth/login", json={"login": email, "password": password})
    return {"Authorization": f"Bearer {r.json['token']}"}


def counts():
    return (
        Review.select().count(),
        Invoice.select().count(),
        FaqEntry.select().count(),
        ProductCare.select().count(),
        Feedback.select().count(),
    )


def test_the_demo_shows_reviews_invoices_faq_and_feedback(app, client):
    demo.seed(app)
    lines = demo.attach_services(app, "http://127.0.0.1:5000", [])
    for name in ("reviews", "invoices", "faq", "feedback"):
        assert any(line.startswith(name) for line in lines), lines
    merchant = Merchant.get(Merchant.name == demo.STORE)
    buyer = login(client, *demo.BUYER)
    owner = login(client, *demo.OWNER)

    (review,) = Review.select()
    r = client.get(f"/api/v1/merchants/{merchant.id}/reviews/products/{review.product_id}")
    assert [x["reply"] for x in r.json] == ["感谢支持，欢迎再次光临！"]
    detail = client.get(f"/api/v1/products/{review.product_id}").json
    assert detail["extensions"]["reviews"]["count"] == 1

    (invoice,) = Invoice.select()
    assert invoice.status == "issued" and InvoiceFile.select().count() == 1
    pdf = client.get(f"/api/v1/merchants/{merchant.id}/invoices/{invoice.id}/pdf", headers=buyer)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and b"%%EOF" in pdf.data

    found = client.get(f"/api/v1/merchants/{merchant.id}/faq/entries?q=发票").json
    assert [e["question"] for e in found] == ["怎么开发票？"]
    assert client.get("/api/v1/faq/entries").json[0]["question"] == "如何联系平台客服？"

    (sent,) = client.get(f"/api/v1/merchants/{merchant.id}/feedback/manage", headers=owner).json
    assert sent["status"] == "answered" and sent["tags"] == ["配送"]

    before = counts()
    demo.seed(app)
    demo.attach_services(app, "http://127.0.0.1:5000", [])
    assert counts() == before
