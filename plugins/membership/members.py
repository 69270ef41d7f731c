"""Members: the per-store row of a buyer, the store's settings, and growth and levels.

Lock order: every change of a member's points, balance or growth first takes the member's
row lock (:func:`lock`; PostgreSQL ``FOR UPDATE``, SQLite's ``BEGIN IMMEDIATE`` already
serialises writers), then touches lots or ledgers, so spending, expiry, refunds and
sign-ins of one member queue behind each other instead of deadlocking.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from peewee import fn

from mallkit.core.plugin_api import (
    Merchant,
    database,
    is_postgres,
    merchant_plugins,
    transaction,
    utcnow,
)
from mallkit.plugins.membership.models import GrowthEntry, LevelChange, Member
from mallkit.plugins.membership.schemas import MembershipConfig

PLUGIN = "membership"


def config(merchant_id: int) -> dict[str, Any]:
    """The store's settings; the defaults when it never enabled the plugin or turned it off
    (compensations for old orders still need them)."""
    saved = merchant_plugins(merchant_id).config(PLUGIN)
    return saved or MembershipConfig().load({})


def levels(merchant_id: int) -> list[dict[str, Any]]:
    return [{"rank": n, **level} for n, level in enumerate(config(merchant_id)["levels"])]


def level_for(levels_: list[dict[str, Any]], growth: int) -> int:
    """The highest level whose threshold the growth reaches."""
    rank = 0
    for n, level in enumerate(levels_):
        if growth >= level["threshold"]:
            rank = n
    return rank


def local_date(merchant_id: int, at: dt.datetime | None = None) -> dt.date:
    """The store's calendar date at ``at`` (naive UTC; default now)."""
    merchant = Merchant.get_by_id(merchant_id)
    at = (at or utcnow()).replace(tzinfo=dt.UTC)
    return at.astimezone(ZoneInfo(merchant.timezone or "UTC")).date()


def find(merchant_id: int, user_id: int) -> Member | None:
    # Raw SQL: every pricing of a signed-in buyer reads it (bench/membership.py).
    p = database.param
    rows = list(
        Member.raw(
            f"SELECT * FROM membership_member WHERE merchant_id = {p} AND user_id = {p}",
            merchant_id,
            user_id,
        )
    )
    return rows[0] if rows else None


def ensure(merchant_id: int, user_id: int) -> Member:
    """The member row, created on first use (racing creators end with one row)."""
    Member.insert(merchant_id=merchant_id, user_id=user_id).on_conflict_ignore().execute()
    return find(merchant_id, user_id)


def lock(merchant_id: int, user_id: int) -> Member:
    """Create if needed and take the member's row lock for the current transaction."""
    query = Member.select().where((Member.merchant_id == merchant_id) & (Member.user_id == user_id))
    if is_postgres():
        query = query.for_update()
    member = query.first()
    if member is None:
        ensure(merchant_id, user_id)
        member = query.clone().first()
    return member


def change_growth(
    merchant_id: int,
    user_id: int,
    delta: int,
    kind: str,
    *,
    key: str | None = None,
    order_id: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
) -> int:
    """Add (or take back, never below zero) growth and move the level with it; returns the
    change made (0 when ``key`` was already applied)."""
    with transaction():
        member = lock(merchant_id, user_id)
        if key and GrowthEntry.select().where(GrowthEntry.key == key).exists():
            return 0
        delta = max(delta, -member.growth)
        GrowthEntry.create(
            merchant_id=merchant_id,
            user_id=user_id,
            delta=delta,
            kind=kind,
            key=key,
            order_id=order_id,
            reason=reason[:255],
            actor_id=actor_id,
        )
        growth = member.growth + delta
        rank = level_for(levels(merchant_id), growth)
        Member.update(growth=growth, level=rank).where(Member.id == member.id).execute()
        if rank != member.level:
            LevelChange.create(
                merchant_id=merchant_id,
                user_id=user_id,
                from_level=member.level,
                to_level=rank,
                growth=growth,
            )
    return delta


def relevel_all(merchant_id: int, table: list[dict[str, Any]] | None = None) -> int:
    """After the level thresholds changed (``table``: the new levels; default the saved
    ones): put every member on the level its growth reaches, with a history row for each
    move. Returns how many moved."""
    table = table if table is not None else levels(merchant_id)
    moved = 0
    with transaction():
        for member in Member.select().where(Member.merchant_id == merchant_id):
            rank = level_for(table, member.growth)
            if rank != member.level:
                Member.update(level=rank).where(Member.id == member.id).execute()
                LevelChange.create(
                    merchant_id=merchant_id,
                    user_id=member.user_id,
                    from_level=member.level,
                    to_level=rank,
                    growth=member.growth,
                )
                moved += 1
    return moved


def perks(merchant_id: int, user_id: int) -> dict[str, Any] | None:
    """The buyer's level perks in the ``buyer_perks`` hook's shape."""
    member = find(merchant_id, user_id)
    table = levels(merchant_id)
    level = table[min(member.level, len(table) - 1)] if member else table[0]
    return {
        "level": level["name"],
        "early_access_minutes": level["early_access_minutes"],
        "free_shipping": level["free_shipping"],
        "priority_shipping": level["priority_shipping"],
        "service_queue": level["service_queue"],
    }


def record_paid(order: Any) -> None:
    """Count a paid order on the member's segment counters (recharges are not purchases)."""
    with transaction():
        member = lock(order.merchant_id, order.buyer_id)
        region = (order.address or {}).get("province") or member.region
        Member.update(
            total_spent=Member.total_spent + order.paid_amount,
            order_count=Member.order_count + 1,
            last_order_at=order.paid_at or utcnow(),
            region=region[:64],
        ).where(Member.id == member.id).execute()


def record_refund(order: Any, amount: int) -> None:
    with transaction():
        member = lock(order.merchant_id, order.buyer_id)
        Member.update(total_spent=Member.total_spent - min(amount, member.total_spent)).where(
            Member.id == member.id
        ).execute()


def growth_for(order: Any) -> int:
    return order.paid_amount // 100 * config(order.merchant_id)["growth_per_yuan"]


def growth_taken_back(order_id: int) -> int:
    """The (negative) growth already reversed for an order's refunds."""
    return (
        GrowthEntry.select(fn.COALESCE(fn.SUM(GrowthEntry.delta), 0))
        .where((GrowthEntry.order_id == order_id) & (GrowthEntry.kind == "reverse"))
        .scalar()
    )
