"""The cut algorithm of docs/rules.md, property-tested: for any N and prices the floor is reached
exactly at help N, every cut is at least 1 fen, the price never goes below the floor, and a
bargain's cuts replay from its seed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mallkit.plugins.bargain.service import cut_amount, plan


@st.composite
def bargains(draw):
    helpers = draw(st.integers(min_value=1, max_value=60))
    floor = draw(st.integers(min_value=0, max_value=1_000_000))
    start = floor + draw(st.integers(min_value=helpers, max_value=2_000_000))
    seed = draw(st.text(alphabet="0123456789abcdef", min_size=1, max_size=16))
    return seed, start, floor, helpers


@settings(max_examples=400, deadline=None)
@given(bargains())
def test_the_floor_is_reached_exactly_at_help_n(case):
    seed, start, floor, helpers = case
    cuts = plan(seed, start, floor, helpers)
    assert len(cuts) == helpers
    assert all(c >= 1 for c in cuts)
    assert sum(cuts) == start - floor
    price = start
    for k, cut in enumerate(cuts, 1):
        price -= cut
        # never below the floor, and 1 fen kept for every helper still to come
        assert price - floor >= helpers - k
    assert price == floor


@settings(max_examples=200, deadline=None)
@given(bargains())
def test_cuts_replay_from_the_seed(case):
    assert plan(*case) == plan(*case)


def test_each_cut_is_20_to_80_percent_of_the_spare_amount():
    seed, remaining, left = "ab12", 10_000, 5
    spare = remaining - (left - 1)
    cut = cut_amount(seed, 1, remaining, left)
    assert spare * 20 // 100 <= cut <= spare * 80 // 100
    assert cut_amount(seed, 3, 7, 1) == 7  # the last helper takes the exact remainder
    assert cut_amount(seed, 2, 3, 3) == 1  # only the kept-back fen: a 1-fen cut
