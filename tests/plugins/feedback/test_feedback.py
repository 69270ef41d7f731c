"""Feedback: buyers send to a store or the platform; staff tag, answer and close; counts by
category; nobody else reads it."""

from __future__ import annotations

import io

import pytest

from mallkit.plugins.feedback.models import Feedback

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def feedback(app, merchant, enable_plugin):
    with enable_plugin("feedback", merchant) as plugin:
        yield plugin


def store(merchant, tail=""):
    return f"/api/v1/merchants/{merchant.id}/feedback{tail}"


def send(client, base, headers, **data):
    r = client.post(
        base, json={"category": "suggestion", "text": "希望增加夜间配送", **data}, headers=headers
    )
    assert r.status_code == 201, r.json
    return r.json


def test_a_buyer_sends_feedback_with_a_photo_and_staff_answer_and_close_it(
    client, merchant, buyer, owner, feedback
):
    r = client.post(
        store(merchant, "/photos"),
        data={"file": (io.BytesIO(PNG), "a.png")},
        headers=buyer.headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 201 and r.json["url"].startswith(
        f"/api/v1/media/feedback/{merchant.id}/"
    )
    sent = send(
        client, store(merchant), buyer.headers, photos=[r.json["url"]], category="logistics"
    )
    assert sent["status"] == "new"

    r = client.put(
        store(merchant, f"/{sent['id']}/tags"),
        json={"tags": ["配送", "夜间"]},
        headers=owner.headers,
    )
    assert r.json["tags"] == ["配送", "夜间"]
    listed = client.get(store(merchant, "/manage?tag=夜间"), headers=owner.headers).json
    assert [f["id"] for f in listed] == [sent["id"]]
    assert client.get(store(merchant, "/manage?tag=夜"), headers=owner.headers).json == []

    r = client.post(
        store(merchant, f"/{sent['id']}/answer"), json={"text": "已在安排"}, headers=owner.headers
    )
    assert r.status_code == 200 and r.json["status"] == "answered"
    r = client.post(
        store(merchant, f"/{sent['id']}/answer"), json={"text": "again"}, headers=owner.headers
    )
    assert r.status_code == 409 and r.json["errors"] == {"status": ["answered"]}
    assert (
        client.post(store(merchant, f"/{sent['id']}/close"), headers=owner.headers).json["status"]
        == "closed"
    )
    r = client.post(store(merchant, f"/{sent['id']}/close"), headers=owner.headers)
    assert r.status_code == 409 and r.json["errors"] == {"status": ["closed"]}

    (mine,) = client.get("/api/v1/me/feedback", headers=buyer.headers).json
    assert mine["answer"] == "已在安排" and "tags" not in mine


def test_feedback_to_the_platform_is_for_admins(client, merchant, buyer, owner, admin, feedback):
    sent = send(client, "/api/v1/feedback", buyer.headers, category="app")
    assert sent["merchant_id"] is None
    assert client.get("/api/v1/feedback/manage", headers=owner.headers).status_code == 403
    assert client.get(store(merchant, "/manage"), headers=owner.headers).json == []
    listed = client.get("/api/v1/feedback/manage", headers=admin.headers).json
    assert [f["id"] for f in listed] == [sent["id"]]
    r = client.post(
        f"/api/v1/feedback/{sent['id']}/answer", json={"text": "谢谢"}, headers=admin.headers
    )
    assert r.json["status"] == "answered"
    r = client.post(
        store(merchant, f"/{sent['id']}/answer"), json={"text": "x"}, headers=owner.headers
    )
    assert r.status_code == 404


def test_counts_by_category(client, merchant, buyer, owner, feedback):
    send(client, store(merchant), buyer.headers, category="product")
    send(client, store(merchant), buyer.headers, category="product")
    closed = send(client, store(merchant), buyer.headers, category="service")
    client.post(store(merchant, f"/{closed['id']}/close"), headers=owner.headers)
    stats = client.get(store(merchant, "/stats"), headers=owner.headers).json
    assert stats["by_category"]["product"] == 2 and stats["by_category"]["service"] == 1
    assert stats["by_status"] == {"new": 2, "answered": 0, "closed": 1} and stats["total"] == 3


def test_others_get_404_and_bad_input_writes_nothing(
    client, merchant, other_merchant, buyer, other_buyer, feedback
):
    sent = send(client, store(merchant), buyer.headers)
    stranger = other_merchant.owner_account.headers
    for headers in (stranger, buyer.headers, other_buyer.headers):
        assert client.get(store(merchant, "/manage"), headers=headers).status_code == 404
        r = client.post(store(merchant, f"/{sent['id']}/close"), headers=headers)
        assert r.status_code == 404
    assert client.get("/api/v1/me/feedback", headers=other_buyer.headers).json == []
    for data in (
        {"category": "nonsense", "text": "x"},
        {"category": "other", "text": ""},
        {"category": "other", "text": "x", "photos": ["https://evil.example/a.png"]},
        {
            "category": "other",
            "text": "x",
            "photos": [f"/api/v1/media/feedback/{merchant.id}/../x"],
        },
    ):
        r = client.post(store(merchant), json=data, headers=buyer.headers)
        assert r.status_code == 422, (data, r.json)
    assert Feedback.select().count() == 1
    assert client.post(store(merchant), json={"category": "other", "text": "x"}).status_code == 401


def test_the_console_shows_each_feedback_the_buttons_its_state_allows(
    client, feedback, merchant, buyer, owner
):
    """The store's feedback page as the console reads it: a new one can be answered or
    closed, an answered one closed, a closed one nothing."""
    pages = client.get(f"/api/v1/merchants/{merchant.id}/console", headers=owner.headers).json
    (page,) = [p for p in pages["pages"] if p["id"] == "feedback/feedback"]
    sent = send(client, store(merchant), buyer.headers)
    fill = {"{merchant_id}": str(merchant.id), "{id}": str(sent["id"])}

    def url(path):
        for key, value in fill.items():
            path = path.replace(key, value)
        return "/api/v1" + path

    def buttons():
        (row,) = client.get(url(page["path"]), headers=owner.headers).json
        shown = [
            a
            for a in page["actions"]
            if all(row.get(field) in values for field, values in a["when"].items())
        ]
        return row["status"], {a["key"]: url(a["path"]) for a in shown}

    status, shown = buttons()
    assert (status, sorted(shown)) == ("new", ["answer", "close"])
    answered = client.post(shown["answer"], json={"text": "已在安排"}, headers=owner.headers)
    assert answered.status_code == 200
    status, shown = buttons()
    assert (status, sorted(shown)) == ("answered", ["close"])
    assert client.post(shown["close"], headers=owner.headers).status_code == 200
    assert buttons() == ("closed", {})
