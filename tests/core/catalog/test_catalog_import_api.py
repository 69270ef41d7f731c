"""CSV import and export over REST (the console's import page): progress streamed as JSON
lines, then the report with every bad row; nothing written when a row is bad."""

from __future__ import annotations

import io
import json

from mallkit.core.accounts.merchants.service import add_staff
from mallkit.core.catalog.models import Product
from mallkit.core.testing import make_account
from tests.core.catalog.test_catalog_import import BAD, GOOD, HEADER


def upload(client, merchant, headers, text, **query):
    data = {"file": (io.BytesIO(text.encode("utf-8")), "products.csv")}
    return client.post(
        f"/api/v1/merchants/{merchant.id}/products/import",
        query_string=query,
        data=data,
        headers=headers,
        content_type="multipart/form-data",
    )


def lines(answer):
    return [json.loads(line) for line in answer.get_data(as_text=True).splitlines() if line]


def test_a_good_file_streams_progress_then_the_report(client, merchant, owner):
    answer = upload(client, merchant, owner.headers, "\ufeff" + HEADER + GOOD)
    assert answer.status_code == 200 and answer.mimetype == "application/x-ndjson"
    events = lines(answer)
    assert events[0] == {"done": 0, "total": 4}
    progress = [e["done"] for e in events if "done" in e]
    assert progress == sorted(progress) and progress[-1] == 4
    report = events[-1]["report"]
    assert report["committed"] and report["errors"] == []
    assert (report["created_products"], report["created_skus"]) == (2, 4)
    assert Product.select().where(Product.merchant == merchant.id).count() == 2


def test_a_bad_row_reports_its_line_and_writes_nothing(client, merchant, owner):
    events = lines(upload(client, merchant, owner.headers, HEADER + GOOD + BAD))
    report = events[-1]["report"]
    assert not report["committed"]
    assert {e["line"] for e in report["errors"]} == {6, 7, 8}
    assert all(e["message"] for e in report["errors"])
    assert Product.select().where(Product.merchant == merchant.id).count() == 0


def test_skip_bad_rows_imports_the_rest(client, merchant, owner):
    events = lines(
        upload(client, merchant, owner.headers, HEADER + GOOD + BAD, skip_bad_rows="true")
    )
    report = events[-1]["report"]
    assert report["committed"] and report["created_products"] == 2
    assert report["skipped_products"] == 3


def test_only_the_store_writers_import_and_export(client, merchant, other_merchant, buyer):
    agent = make_account(email="agent@import.test")
    add_staff(merchant, agent.user.email, "agent")
    for headers in (agent.headers, buyer.headers, other_merchant.owner_account.headers, {}):
        answer = upload(client, merchant, headers, HEADER + GOOD)
        assert answer.status_code in (401, 403)
        export = client.get(f"/api/v1/merchants/{merchant.id}/products/export", headers=headers)
        assert export.status_code in (401, 403)
    assert Product.select().where(Product.merchant == merchant.id).count() == 0


def test_not_utf8_or_no_file_is_a_clear_error(client, merchant, owner):
    answer = client.post(
        f"/api/v1/merchants/{merchant.id}/products/import",
        data={"file": (io.BytesIO("名称".encode("gb18030") + b"\xff\xfe"), "x.csv")},
        headers=owner.headers,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422 and "file" in answer.json["errors"]
    answer = client.post(
        f"/api/v1/merchants/{merchant.id}/products/import",
        data={},
        headers=owner.headers,
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422


def test_export_is_the_import_format(client, merchant, owner):
    assert lines(upload(client, merchant, owner.headers, HEADER + GOOD))[-1]["report"]["committed"]
    answer = client.get(f"/api/v1/merchants/{merchant.id}/products/export", headers=owner.headers)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    text = answer.get_data(as_text=True).lstrip("\ufeff")
    assert text.startswith("product_key,name,")
    assert text.count("\n") == 1 + 4  # the header and one row per SKU
    assert "attachment" in answer.headers["Content-Disposition"]
