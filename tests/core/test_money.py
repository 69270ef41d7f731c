"""Money arithmetic and exact apportionment."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mallkit.core.money import Money, apportion


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    weights=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=60),
)
def test_shares_always_add_up_to_the_amount(amount, weights):
    shares = apportion(amount, weights)
    assert sum(shares) == amount
    assert len(shares) == len(weights)
    total = sum(weights)
    if total:
        for share, w in zip(shares, weights, strict=True):
            # Each share is within one unit of its exact proportional share.
            assert abs(share * total - amount * w) < total


def test_largest_remainder_goes_to_the_biggest_fraction_then_the_earlier_line():
    assert apportion(100, [1, 1, 1]) == [34, 33, 33]
    assert apportion(10, [3000, 2000, 5000]) == [3, 2, 5]
    assert apportion(1, [1, 2]) == [0, 1]
    assert apportion(7, [0, 0]) == [4, 3]
    assert apportion(-100, [1, 1, 1]) == [-34, -33, -33]


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(19.9)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Money(1, "CNY") + Money(1, "USD")
    assert (Money(1990) * 3 - Money(70)).to_dict() == {"amount": 5900, "currency": "CNY"}


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (0, "CNY", "¥0.00"),
        (5, "CNY", "¥0.05"),
        (1234, "CNY", "¥12.34"),
        (123456789, "CNY", "¥1,234,567.89"),
        (-50, "CNY", "-¥0.50"),
        (99_999_999_999_999_999, "CNY", "¥999,999,999,999,999.99"),  # no float rounds it
        (120000, "USD", "1,200.00 USD"),
    ],
)
def test_money_text_is_yuan_from_fen_without_a_float(amount, currency, text):
    assert Money(amount, currency).text() == text
