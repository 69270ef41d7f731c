"""The automatic 5★ review (a durable task, exactly once with two workers) and concurrent
reviews of one product keeping the summary exact (threads; PostgreSQL is the real test)."""

from __future__ import annotations

import datetime as dt

from mallkit.core.db import utcnow
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import concurrently, make_account, refund_order, run_tasks, skus_of
from mallkit.plugins.reviews import service
from mallkit.plugins.reviews.models import ProductRating, Review
from tests.plugins.reviews.conftest import body, lines_of, points, received

LATER = dt.timedelta(days=16)


def test_lines_nobody_reviewed_get_a_5_star_review_after_the_set_days(
    client, merchant, buyer, order, product
):
    first, second = lines_of(order)
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/reviews",
        json=body(first, rating=2),
        headers=buyer.headers,
    )
    assert r.status_code == 201
    run_tasks(at=utcnow() + dt.timedelta(days=14))
    assert Review.select().count() == 1
    run_tasks(at=utcnow() + LATER)
    auto = Review.get(Review.order_line_id == second.id)
    assert auto.auto and auto.rating == 5 and auto.anonymous and auto.text == "系统默认好评"
    assert Review.get(Review.order_line_id == first.id).rating == 2  # the buyer's stays
    rating = ProductRating.get()
    assert (rating.count, rating.total, rating.star5, rating.star2) == (2, 7, 1, 1)


def test_the_auto_review_runs_once_with_two_workers_and_rewards_nothing(
    app, merchant, buyer, order, enable_plugin
):
    points.LEDGER.clear()
    with enable_plugin(points, merchant):
        later = utcnow() + LATER
        concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=later), 2)
        concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=later), 2)
    assert Review.select().count() == 2
    assert ProductRating.get().count == 2
    task = ScheduledTask.get(ScheduledTask.kind == service.AUTO_POSITIVE)
    assert task.status == "done" and task.attempts == 1
    assert points.LEDGER == []


def test_a_line_refunded_in_full_gets_no_auto_review(merchant, buyer, order):
    first, second = lines_of(order)
    refund_order(order, {first: 1})
    run_tasks(at=utcnow() + LATER)
    assert [r.order_line_id for r in Review.select()] == [second.id]


def test_no_auto_review_when_switched_off_or_the_plugin_is_off(
    merchant, buyer, product, enable_plugin
):
    with enable_plugin("reviews", merchant, {"auto_positive_days": 0}):
        received(buyer, skus_of(product))
    assert not ScheduledTask.select().where(ScheduledTask.kind == service.AUTO_POSITIVE).exists()
    with enable_plugin("reviews", merchant):
        received(buyer, skus_of(product))
    # disabled before the task is due: the task runs and writes nothing
    run_tasks(at=utcnow() + LATER)
    assert not Review.select().exists()


def test_concurrent_reviews_of_one_product_keep_exact_counts(app, merchant, reviews, product):
    sku = skus_of(product)[0]
    buyers = [make_account(email=f"r{i}@reviews.test").user for i in range(8)]
    lines = [lines_of(received(b, [sku]))[0] for b in buyers]

    def write(i):
        data = body(lines[i], rating=i % 5 + 1, tags=["质量好"])
        return service.create(merchant.id, buyers[i].id, data)

    results = concurrently(app, write, len(buyers))
    assert all(isinstance(r, Review) for r in results), results
    rating = ProductRating.get()
    assert rating.count == 8
    assert rating.total == sum(i % 5 + 1 for i in range(8))
    assert [rating.star1, rating.star2, rating.star3, rating.star4, rating.star5] == [2, 2, 2, 1, 1]


def test_two_concurrent_reviews_of_one_line_make_one(app, merchant, buyer, order):
    line = lines_of(order)[0]
    results = concurrently(
        app, lambda i: service.create(merchant.id, buyer.user.id, body(line, rating=i + 1)), 2
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Review"]
    assert Review.select().count() == 1 and ProductRating.get().count == 1
