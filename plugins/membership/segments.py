"""Buyer segments (U3): rules over the members' counters, evaluated in SQL.

A segment's rules all hold together (AND): total spend (paid minus refunded, minor units)
between bounds, order count between bounds, a paid order within the last N days or none for
N days, region (the province of the last paid order) in a list, level in a list, any of
some tags. Every rule is a ``WHERE`` clause on ``membership_member``, so a count or a
membership test is one query however many members a store has.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from peewee import fn

from mallkit.core.plugin_api import NotFound, User, is_postgres, transaction, utcnow
from mallkit.plugins.membership.models import Member, Segment


def _tag_clause(tags: list[str]):
    # Tags are a JSON list in a text column: match the quoted tag, exact on both databases.
    clause = None
    for tag in tags:
        needle = '"' + tag.replace("\\", "\\\\").replace('"', '\\"') + '"'
        part = fn.INSTR(Member.tags, needle) > 0
        if is_postgres():
            part = fn.STRPOS(Member.tags, needle) > 0
        clause = part if clause is None else clause | part
    return clause


def where(merchant_id: int, rules: dict[str, Any], now: dt.datetime | None = None):
    """The ``WHERE`` clause selecting the store's members that match ``rules``."""
    now = now or utcnow()
    clause = Member.merchant_id == merchant_id
    if "min_total_spent" in rules:
        clause &= Member.total_spent >= rules["min_total_spent"]
    if "max_total_spent" in rules:
        clause &= Member.total_spent <= rules["max_total_spent"]
    if "min_orders" in rules:
        clause &= Member.order_count >= rules["min_orders"]
    if "max_orders" in rules:
        clause &= Member.order_count <= rules["max_orders"]
    if "ordered_within_days" in rules:
        clause &= Member.last_order_at >= now - dt.timedelta(days=rules["ordered_within_days"])
    if "no_order_for_days" in rules:
        cutoff = now - dt.timedelta(days=rules["no_order_for_days"])
        clause &= Member.last_order_at.is_null() | (Member.last_order_at < cutoff)
    if rules.get("regions"):
        clause &= Member.region.in_(rules["regions"])
    if rules.get("levels"):
        clause &= Member.level.in_(rules["levels"])
    if rules.get("tags"):
        clause &= _tag_clause(rules["tags"])
    return clause


def get(merchant_id: int, segment_id: int) -> Segment:
    row = Segment.get_or_none((Segment.id == segment_id) & (Segment.merchant_id == merchant_id))
    if row is None:
        raise NotFound("no such segment", code="segment_not_found")
    return row


def create(merchant_id: int, data: dict[str, Any]) -> Segment:
    with transaction():
        return Segment.create(merchant_id=merchant_id, name=data["name"], rules=data["rules"])


def count(segment: Segment) -> int:
    return Member.select().where(where(segment.merchant_id, segment.rules)).count()


def member_ids(merchant_id: int, segment_id: int) -> list[int] | None:
    segment = Segment.get_or_none((Segment.id == segment_id) & (Segment.merchant_id == merchant_id))
    if segment is None:
        return None
    return [
        m.user_id
        for m in Member.select(Member.user_id)
        .where(where(merchant_id, segment.rules))
        .order_by(Member.user_id)
    ]


def contains(merchant_id: int, user: User, segment_id: int) -> bool | None:
    segment = Segment.get_or_none((Segment.id == segment_id) & (Segment.merchant_id == merchant_id))
    if segment is None:
        return None
    return (
        Member.select()
        .where(where(merchant_id, segment.rules) & (Member.user_id == user.id))
        .exists()
    )


def listing(merchant_id: int) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "name": s.name, "rules": s.rules, "members": count(s)}
        for s in Segment.select().where(Segment.merchant_id == merchant_id).order_by(Segment.id)
    ]
