"""Properties of the points and balance ledgers under any sequence of moves: the member's
points are the sum of the active lots and of the ledger, the balance the sum of its ledger,
and neither is ever negative."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict
from mallkit.plugins.membership import points, wallet
from mallkit.plugins.membership.models import BalanceEntry, Member, PointEntry, PointLot

USER_IDS = itertools.count(100_000)  # a fresh member per example; no user row is needed

point_moves = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 500)),
        st.tuples(st.just("take"), st.integers(1, 700)),
        st.tuples(st.just("reverse"), st.integers(1, 700)),  # partial: never below zero
        st.tuples(st.just("age"), st.integers(0, 5)),  # the n-th lot's date passes
        st.tuples(st.just("expire"), st.just(0)),
    ),
    max_size=25,
)
balance_moves = st.lists(
    st.tuples(st.integers(-30_000, 30_000), st.integers(-5_000, 5_000)), max_size=25
)


def check_points(merchant_id: int, user_id: int) -> None:
    member = Member.get(Member.merchant_id == merchant_id, Member.user_id == user_id)
    lots = PointLot.select().where(
        (PointLot.merchant_id == merchant_id) & (PointLot.user_id == user_id)
    )
    entries = PointEntry.select().where(
        (PointEntry.merchant_id == merchant_id) & (PointEntry.user_id == user_id)
    )
    assert member.points >= 0
    assert all(lot.remaining >= 0 for lot in lots)
    assert member.points == sum(lot.remaining for lot in lots if lot.status == "active")
    assert member.points == sum(e.delta for e in entries)
    assert all(lot.remaining == 0 for lot in lots if lot.status == "expired")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=point_moves)
def test_points_are_the_sum_of_lots_and_of_the_ledger_and_never_negative(
    membership, merchant, moves
):
    user_id = next(USER_IDS)
    for op, n in moves:
        if op == "add":
            points.add(merchant.id, user_id, n, "adjust")
        elif op == "take":
            row = Member.get_or_none(Member.merchant_id == merchant.id, Member.user_id == user_id)
            have = row.points if row else 0
            try:
                assert points.take(merchant.id, user_id, n, "adjust") == n <= have
            except Conflict as exc:
                assert exc.code == "points_insufficient" and n > have
        elif op == "reverse":
            points.take(merchant.id, user_id, n, "reverse", partial=True)
        elif op == "age":
            lots = list(
                PointLot.select()
                .where((PointLot.user_id == user_id) & (PointLot.status == "active"))
                .order_by(PointLot.id)
            )
            if lots:
                PointLot.update(expires_at=utcnow() - dt.timedelta(seconds=1)).where(
                    PointLot.id == lots[n % len(lots)].id
                ).execute()
        else:
            points.expire_due(merchant.id)
        if Member.select().where(Member.user_id == user_id).exists():
            check_points(merchant.id, user_id)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moves=balance_moves)
def test_balance_and_frozen_are_their_ledger_sums_and_never_negative(membership, merchant, moves):
    user_id = next(USER_IDS)
    for n, (delta, frozen) in enumerate(moves):
        before = Member.get_or_none(Member.merchant_id == merchant.id, Member.user_id == user_id)
        try:
            wallet.move(
                merchant.id, user_id, delta, "adjust", key=f"p{user_id}:{n}", frozen_delta=frozen
            )
        except Conflict as exc:
            assert exc.code == "balance_insufficient"
            assert before is None or before.balance + delta < 0 or before.frozen + frozen < 0
        member = Member.get_or_none(
            Member.merchant_id == merchant.id, Member.user_id == user_id
        ) or Member(balance=0, frozen=0)  # a refused first move leaves no member row
        entries = list(BalanceEntry.select().where(BalanceEntry.user_id == user_id))
        assert member.balance >= 0 and member.frozen >= 0
        assert member.balance == sum(e.delta for e in entries)
        assert member.frozen == sum(e.frozen_delta for e in entries)
