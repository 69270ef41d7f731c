"""Order, payment and refund numbers never collide, even made in the same second by many
threads (the old scheme — the second plus 8 random digits — clashed at ~700 orders/s)."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from mallkit.core.db import transaction
from mallkit.core.orders import service
from mallkit.core.orders.models import Order
from mallkit.core.testing import concurrently, make_product, pay_order, place_order, skus_of

FROZEN = dt.datetime(2026, 11, 26, 12, 0, 0)
FORMAT = re.compile(r"[A-Za-z0-9_-]{6,32}")


def test_numbers_made_in_one_second_by_many_threads_are_all_different(app, monkeypatch):
    # The old clash, forced: one second and the same "random" digits every time.
    monkeypatch.setattr(service, "utcnow", lambda: FROZEN)
    monkeypatch.setattr(secrets, "randbelow", lambda n: 42)

    def make(i):
        out = []
        for _ in range(50):
            with transaction():
                out.append(service.new_number("P" if i % 2 else ""))
        return out

    results = concurrently(app, make, 8)
    numbers = [n for batch in results for n in batch]
    assert len(numbers) == 400 and len(set(numbers)) == 400
    assert all(FORMAT.fullmatch(n) for n in numbers)
    plain = sorted(n for n in numbers if not n.startswith("P"))
    assert all(n.startswith("261126120000") and len(n) == 20 for n in plain)


def test_orders_placed_in_the_same_second_all_get_numbers(app, merchant, buyer, monkeypatch):
    monkeypatch.setattr(service, "utcnow", lambda: FROZEN)
    sku = skus_of(make_product(merchant, stocks=(1000,)))[0]
    results = concurrently(app, lambda i: place_order(buyer, [(sku, 1)]), 12)
    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = [o.number for o in Order.select()]
    assert len(numbers) == 12 == len(set(numbers))
    paid = pay_order(Order.get_by_id(results[0].id))
    assert paid.status == "paid"


def test_numbers_grow_past_eight_digits_and_still_sort_by_time(app, monkeypatch):
    monkeypatch.setattr(service, "next_counter", lambda: 123_456_789_012)
    monkeypatch.setattr(service, "utcnow", lambda: FROZEN)
    number = service.new_number("R")
    assert number == "R261126120000123456789012" and FORMAT.fullmatch(number)
