"""Reviews: who may review what, the rating summary, photos, moderation, replies and
follow-ups, through the REST API on a real database."""

from __future__ import annotations

import io

import pytest

from mallkit.core import plugin_settings
from mallkit.core.audit import AuditLog
from mallkit.core.errors import ValidationError
from mallkit.core.testing import pay_order, place_order, refund_order, skus_of
from mallkit.plugins.reviews.models import ProductRating, ProductTag, Review
from tests.plugins.reviews.conftest import body, lines_of, points, received

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def url(merchant, tail=""):
    return f"/api/v1/merchants/{merchant.id}/reviews{tail}"


def test_a_buyer_reviews_a_received_line_and_the_product_page_shows_the_summary(
    client, merchant, buyer, order, product
):
    line = lines_of(order)[0]
    r = client.post(url(merchant), json=body(line, tags=["质量好"]), headers=buyer.headers)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "visible" and r.json["order_line_id"] == line.id
    assert r.json["buyer"].endswith("**")

    summary = client.get(url(merchant, f"/products/{product.id}/summary")).json
    assert summary["count"] == 1 and summary["average"] == 5.0
    assert summary["distribution"]["5"] == 1 and summary["good_rate"] == 100
    assert summary["tags"] == [{"tag": "质量好", "count": 1}]

    detail = client.get(f"/api/v1/products/{product.id}").json
    assert detail["extensions"]["reviews"]["count"] == 1
    cards = client.get("/api/v1/products").json
    assert [c["extensions"]["reviews"]["average"] for c in cards] == [5.0]

    listed = client.get(url(merchant, f"/products/{product.id}")).json
    assert [x["text"] for x in listed] == ["很好用"]


def test_one_review_per_line(client, merchant, buyer, order):
    line = lines_of(order)[0]
    assert client.post(url(merchant), json=body(line), headers=buyer.headers).status_code == 201
    r = client.post(url(merchant), json=body(line, rating=1), headers=buyer.headers)
    assert r.status_code == 409 and r.json["code"] == "already_reviewed"
    assert Review.select().count() == 1
    assert ProductRating.get().count == 1


def test_a_buyer_cannot_review_someone_elses_order(client, merchant, other_buyer, order):
    r = client.post(url(merchant), json=body(lines_of(order)[0]), headers=other_buyer.headers)
    assert r.status_code == 404
    assert not Review.select().exists()


def test_a_line_not_yet_received_or_refunded_cannot_be_reviewed(
    client, merchant, buyer, reviews, product
):
    sku = skus_of(product)[0]
    paid = pay_order(place_order(buyer, [(sku, 1)]))
    r = client.post(url(merchant), json=body(lines_of(paid)[0]), headers=buyer.headers)
    assert r.status_code == 409 and r.json["code"] == "not_received"
    assert r.json["errors"] == {"status": ["paid"]}

    done = received(buyer, [sku])
    refund_order(done)
    r = client.post(url(merchant), json=body(lines_of(done)[0]), headers=buyer.headers)
    assert r.status_code == 409
    assert not Review.select().exists()


def test_bad_input_is_refused_with_field_errors_and_writes_nothing(client, merchant, buyer, order):
    line = lines_of(order)[0]
    cases = [
        (body(line, rating=6), 422, "rating"),
        (body(line, service_rating="5"), 422, "service_rating"),
        (body(line, logistics_rating=None), 422, "logistics_rating"),
        (body(line, tags=["假冒"]), 422, "tags"),
        (body(line, photos=["https://evil.example/x.png"]), 422, "photos"),
        ({**body(line), "extra": 1}, 422, "extra"),
    ]
    for data, status, field in cases:
        r = client.post(url(merchant), json=data, headers=buyer.headers)
        assert r.status_code == status, (data, r.json)
        assert field in str(r.json["errors"]), r.json
    assert not Review.select().exists()
    assert not ProductRating.select().exists()


def test_photos_are_uploaded_to_the_reviews_folder_and_counted(
    client, merchant, buyer, order, product
):
    r = client.post(
        url(merchant, "/photos"),
        data={"file": (io.BytesIO(PNG), "a.png")},
        headers=buyer.headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.json
    photo = r.json["url"]
    assert photo.startswith(f"/api/v1/media/reviews/{merchant.id}/")
    r = client.post(
        url(merchant, "/photos"),
        data={"file": (io.BytesIO(b"%PDF-1.4 hello"), "a.pdf")},
        headers=buyer.headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and r.json["code"] == "unsupported_media"

    first, second = lines_of(order)
    client.post(url(merchant), json=body(first, photos=[photo]), headers=buyer.headers)
    client.post(url(merchant), json=body(second, rating=3), headers=buyer.headers)
    summary = client.get(url(merchant, f"/products/{product.id}/summary")).json
    assert summary["with_photos"] == 1 and summary["count"] == 2 and summary["average"] == 4.0
    with_photos = client.get(url(merchant, f"/products/{product.id}?with_photos=true")).json
    assert [x["photos"] for x in with_photos] == [[photo]]
    three = client.get(url(merchant, f"/products/{product.id}?rating=3")).json
    assert [x["rating"] for x in three] == [3]


def test_an_anonymous_review_hides_the_buyers_name(client, merchant, buyer, order, product):
    client.post(url(merchant), json=body(lines_of(order)[0], anonymous=True), headers=buyer.headers)
    (shown,) = client.get(url(merchant, f"/products/{product.id}")).json
    assert shown["buyer"] == "匿名用户"


def test_a_sensitive_word_holds_the_review_until_staff_show_it_and_points_are_given_once(
    client, merchant, buyer, owner, order, product, enable_plugin
):
    points.LEDGER.clear()
    with enable_plugin(points, merchant):
        r = client.post(
            url(merchant), json=body(lines_of(order)[0], text="这是假货吗"), headers=buyer.headers
        )
        assert r.json["status"] == "hidden" and r.json["hidden_reason"] == "sensitive_words"
        review_id = r.json["id"]
        assert client.get(url(merchant, f"/products/{product.id}")).json == []
        assert client.get(url(merchant, f"/products/{product.id}/summary")).json["count"] == 0
        assert points.LEDGER == []

        r = client.post(url(merchant, f"/{review_id}/show"), headers=owner.headers)
        assert r.status_code == 200 and r.json["status"] == "visible"
        assert points.LEDGER == [(buyer.user.id, review_id, 10)]
        assert ProductRating.get().count == 1

        r = client.post(url(merchant, f"/{review_id}/show"), headers=owner.headers)
        assert r.status_code == 409 and r.json["errors"] == {"status": ["visible"]}

        r = client.post(
            url(merchant, f"/{review_id}/hide"), json={"reason": "广告"}, headers=owner.headers
        )
        assert r.json["status"] == "hidden" and r.json["hidden_reason"] == "广告"
        assert ProductRating.get().count == 0 and ProductRating.get().star5 == 0
        client.post(url(merchant, f"/{review_id}/show"), headers=owner.headers)
        assert len(points.LEDGER) == 1  # published once, rewarded once
        audit = AuditLog.select().where(AuditLog.target_type == "review").order_by(AuditLog.id)
        assert [(a.action, a.actor_id) for a in audit] == [
            ("reviews.show", owner.user.id),
            ("reviews.hide", owner.user.id),
            ("reviews.show", owner.user.id),
        ]
        assert ProductRating.get().count == 1


def test_nothing_breaks_without_a_points_plugin(client, merchant, buyer, order):
    r = client.post(url(merchant), json=body(lines_of(order)[0]), headers=buyer.headers)
    assert r.status_code == 201


def test_tags_are_counted_while_visible(client, merchant, buyer, owner, order, product):
    first, second = lines_of(order)
    a = client.post(
        url(merchant), json=body(first, tags=["质量好", "物流快"]), headers=buyer.headers
    )
    client.post(url(merchant), json=body(second, tags=["质量好"]), headers=buyer.headers)
    counts = {t.tag: t.count for t in ProductTag.select()}
    assert counts == {"质量好": 2, "物流快": 1}
    client.post(url(merchant, f"/{a.json['id']}/hide"), json={"reason": "x"}, headers=owner.headers)
    tags = client.get(url(merchant, f"/products/{product.id}/summary")).json["tags"]
    assert tags == [{"tag": "质量好", "count": 1}]


def test_the_store_replies_once(client, merchant, buyer, owner, order):
    review_id = client.post(
        url(merchant), json=body(lines_of(order)[0]), headers=buyer.headers
    ).json["id"]
    r = client.post(
        url(merchant, f"/{review_id}/reply"), json={"text": "谢谢"}, headers=owner.headers
    )
    assert r.status_code == 200 and r.json["reply"] == "谢谢"
    r = client.post(
        url(merchant, f"/{review_id}/reply"), json={"text": "again"}, headers=owner.headers
    )
    assert r.status_code == 409 and r.json["code"] == "already_replied"
    assert Review.get_by_id(review_id).reply == "谢谢"


def test_staff_of_another_store_and_buyers_get_404_on_staff_routes(
    app, client, merchant, other_merchant, buyer, order, enable_plugin
):
    review_id = client.post(
        url(merchant), json=body(lines_of(order)[0]), headers=buyer.headers
    ).json["id"]
    stranger = other_merchant.owner_account
    for who in (stranger, buyer):
        assert client.get(url(merchant, "/manage"), headers=who.headers).status_code == 404
        r = client.post(
            url(merchant, f"/{review_id}/reply"), json={"text": "x"}, headers=who.headers
        )
        assert r.status_code == 404
        r = client.post(
            url(merchant, f"/{review_id}/hide"), json={"reason": "x"}, headers=who.headers
        )
        assert r.status_code == 404
    with enable_plugin("reviews", other_merchant):
        r = client.post(
            url(other_merchant, f"/{review_id}/hide"),
            json={"reason": "x"},
            headers=stranger.headers,
        )
        assert r.status_code == 404
    assert Review.get_by_id(review_id).status == "visible"


def test_staff_list_and_statistics(client, merchant, buyer, owner, order):
    first, second = lines_of(order)
    client.post(url(merchant), json=body(first, rating=4), headers=buyer.headers)
    client.post(url(merchant), json=body(second, text="假货"), headers=buyer.headers)
    listed = client.get(url(merchant, "/manage?status=hidden"), headers=owner.headers).json
    assert [x["order_line_id"] for x in listed] == [second.id]
    stats = client.get(url(merchant, "/stats"), headers=owner.headers).json
    assert stats["count"] == 1 and stats["average"] == 4.0
    assert stats["hidden"] == 1 and stats["unreplied"] == 2


def test_one_follow_up_by_the_writer(client, merchant, buyer, other_buyer, order):
    review_id = client.post(
        url(merchant), json=body(lines_of(order)[0]), headers=buyer.headers
    ).json["id"]
    tail = f"/{review_id}/follow-up"
    assert (
        client.post(
            url(merchant, tail), json={"text": "x"}, headers=other_buyer.headers
        ).status_code
        == 404
    )
    r = client.post(url(merchant, tail), json={"text": "用了一个月，还不错"}, headers=buyer.headers)
    assert r.status_code == 200 and r.json["followup_text"] == "用了一个月，还不错"
    r = client.post(url(merchant, tail), json={"text": "again"}, headers=buyer.headers)
    assert r.status_code == 409 and r.json["code"] == "already_followed_up"


def test_the_config_is_validated(app, merchant, enable_plugin):
    for config, field in (
        ({"auto_positive_days": -1}, "auto_positive_days"),
        ({"followup_days": 400}, "followup_days"),
        ({"tags": [""]}, "tags"),
    ):
        with pytest.raises(ValidationError) as caught:
            plugin_settings.enable(merchant, "reviews", config)
        assert field in caught.value.errors


def test_a_buyer_sees_the_received_lines_awaiting_a_review(
    client, merchant, buyer, other_buyer, order, reviews, product
):
    first, second = lines_of(order)
    paid = pay_order(place_order(buyer, [(skus_of(product)[0], 1)]))  # not received
    awaiting = client.get(url(merchant, "/awaiting"), headers=buyer.headers).json
    assert [a["order_line_id"] for a in awaiting] == [first.id, second.id]
    assert all(a["auto_review_at"] for a in awaiting) and paid.id not in [
        a["order_id"] for a in awaiting
    ]
    client.post(url(merchant), json=body(first), headers=buyer.headers)
    awaiting = client.get(url(merchant, "/awaiting"), headers=buyer.headers).json
    assert [a["order_line_id"] for a in awaiting] == [second.id]
    assert client.get(url(merchant, "/awaiting"), headers=other_buyer.headers).json == []


def test_the_store_profile_shows_the_stores_rating(client, merchant, buyer, order):
    assert client.get(f"/api/v1/stores/{merchant.id}").json["extensions"]["reviews"]["count"] == 0
    first, second = lines_of(order)
    client.post(url(merchant), json=body(first, rating=5), headers=buyer.headers)
    client.post(url(merchant), json=body(second, rating=2), headers=buyer.headers)
    rating = client.get(f"/api/v1/stores/{merchant.id}").json["extensions"]["reviews"]
    assert (rating["count"], rating["average"], rating["good_rate"]) == (2, 3.5, 50)
