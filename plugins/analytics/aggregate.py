"""Daily aggregation: one merchant-day of raw events and orders into the ``analytics_daily_*``
tables and the customers it touched.

:func:`aggregate_day` deletes the day's rows and inserts them again in one transaction, from
the events of that day (``Event.day``) and the orders placed or paid within the day's bounds
in the merchant's time zone — so it can run any number of times for a day (the refresh every
``refresh_minutes`` for today, the final run after midnight, a late event, a refund weeks
later) and always leaves the same rows for the same data. Raw events past
``raw_retention_days`` are deleted by :func:`purge_events`; aggregates stay.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

from peewee import fn

from mallkit.core.plugin_api import (
    Merchant,
    Order,
    OrderLine,
    ShareLink,
    Sku,
    User,
    is_postgres,
    merchant_plugins,
    transaction,
    utcnow,
)
from mallkit.plugins.analytics.collector import config, day_bounds, local_day, timezone_of
from mallkit.plugins.analytics.models import (
    AggregatedDay,
    Customer,
    DailyAd,
    DailyCampaign,
    DailyPair,
    DailyProduct,
    DailySales,
    DailyTraffic,
    Event,
)

BOUGHT_WEIGHT = 3  # two products in one order say more than two products viewed
VIEWED_WEIGHT = 1
MAX_VIEWED = 20  # distinct products per visitor and day that form pairs
CHUNK = 500


def _chunks(items: list[Any], size: int = CHUNK):
    it = iter(items)
    while batch := list(itertools.islice(it, size)):
        yield batch


def aggregate_day(merchant_id: int, day: dt.date) -> dict[str, int]:
    """Rebuild the merchant's aggregates of ``day`` (its local date); returns row counts."""
    tz = timezone_of(merchant_id)
    lo, hi = day_bounds(tz, day)
    with transaction():
        # One aggregation of a merchant-day at a time (the nightly run and a refresh may
        # meet): the day's row is created if need be and locked first, so a second run waits
        # and then rebuilds from what the first committed (SQLite serialises writers anyway).
        AggregatedDay.insert(
            merchant_id=merchant_id, day=day, aggregated_at=utcnow(), events=0
        ).on_conflict_ignore().execute()
        if is_postgres():
            AggregatedDay.select(AggregatedDay.id).where(
                (AggregatedDay.merchant_id == merchant_id) & (AggregatedDay.day == day)
            ).for_update().execute()
        events = list(
            Event.select(
                Event.kind,
                Event.visitor,
                Event.user_id,
                Event.product_id,
                Event.ref_id,
                Event.placement,
                Event.source,
                Event.utm_campaign,
                Event.amount,
            )
            .where((Event.merchant_id == merchant_id) & (Event.day == day))
            .order_by(Event.occurred_at, Event.id)
            .tuples()
        )
        paid = list(
            Order.select()
            .where(
                (Order.merchant == merchant_id)
                & Order.paid_at.is_null(False)
                & (Order.paid_at >= lo)
                & (Order.paid_at < hi)
            )
            .order_by(Order.id)
        )
        placed = list(
            Order.select()
            .where(
                (Order.merchant == merchant_id) & (Order.placed_at >= lo) & (Order.placed_at < hi)
            )
            .order_by(Order.id)
        )
        order_ids = list({o.id for o in paid} | {o.id for o in placed})
        lines: dict[int, list[Any]] = defaultdict(list)
        for batch in _chunks(order_ids):
            for line in OrderLine.select().where(OrderLine.order.in_(batch)):
                lines[line.order_id].append(line)
        first_paid = _first_paid(
            merchant_id, {o.buyer_id for o in paid} | {o.buyer_id for o in placed}
        )

        where = lambda m: (m.merchant_id == merchant_id) & (m.day == day)  # noqa: E731
        kept_stock = {
            p: s
            for p, s in DailyProduct.select(DailyProduct.product_id, DailyProduct.stock)
            .where(where(DailyProduct))
            .tuples()
        }
        for model in (DailyTraffic, DailySales, DailyProduct, DailyCampaign, DailyAd, DailyPair):
            model.delete().where(where(model)).execute()

        fresh_stock = day >= local_day(tz, utcnow()) - dt.timedelta(days=1)
        rows = {
            DailyTraffic: _traffic(events),
            DailySales: _sales(paid, lines, first_paid),
            DailyProduct: _products(merchant_id, events, paid, lines, kept_stock, fresh_stock),
            DailyCampaign: _campaigns(merchant_id, placed, lines, first_paid),
            DailyAd: _ads(events),
            DailyPair: _pairs(events, placed, lines),
        }
        counts = {}
        for model, items in rows.items():
            for batch in _chunks(items):
                model.insert_many(
                    [{"merchant_id": merchant_id, "day": day, **r} for r in batch]
                ).execute()
            counts[model._meta.table_name] = len(items)
        users = {u for _, _, u, *_ in events if u} | {o.buyer_id for o in paid}
        counts["customers"] = refresh_customers(merchant_id, users, seen=_seen(events), day=day)
        (
            AggregatedDay.insert(
                merchant_id=merchant_id, day=day, aggregated_at=utcnow(), events=len(events)
            )
            .on_conflict(
                conflict_target=[AggregatedDay.merchant_id, AggregatedDay.day],
                update={AggregatedDay.aggregated_at: utcnow(), AggregatedDay.events: len(events)},
            )
            .execute()
        )
    return counts


def _first_paid(merchant_id: int, buyers: set[int]) -> dict[int, int]:
    """Each buyer's first paid order at the store (by payment time, then id)."""
    out: dict[int, int] = {}
    for batch in _chunks(sorted(buyers)):
        rows = (
            Order.select(Order.buyer, Order.id, Order.paid_at)
            .where(
                (Order.merchant == merchant_id)
                & Order.paid_at.is_null(False)
                & Order.buyer.in_(batch)
            )
            .order_by(Order.paid_at.desc(), Order.id.desc())
            .tuples()
        )
        for buyer_id, order_id, _ in rows:
            out[buyer_id] = order_id  # the last written is the earliest
    return out


def _visitor_sources(events: list[tuple]) -> dict[str, tuple[str, str]]:
    """A visitor's source for the day: that of their first event."""
    out: dict[str, tuple[str, str]] = {}
    for _kind, visitor, _u, _p, _r, _pl, source, campaign, _a in events:
        out.setdefault(visitor, (source, campaign))
    return out


def _traffic(events: list[tuple]) -> list[dict[str, Any]]:
    sources = _visitor_sources(events)
    steps = {
        "add_to_cart": "carts",
        "checkout_started": "checkouts",
        "order_placed": "orders",
        "order_paid": "paid",
    }
    counts = {"page_view": "page_views", "product_view": "product_views", "search": "searches"}
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    reached: set[tuple[str, str]] = set()
    for kind, visitor, _u, _p, _r, _pl, _s, _c, amount in events:
        key = sources[visitor]
        row = rows.setdefault(
            key,
            {"source": key[0], "campaign": key[1], "visitors": 0, "paid_amount": 0}
            | dict.fromkeys(list(steps.values()) + list(counts.values()), 0),
        )
        if (visitor, "visit") not in reached:
            reached.add((visitor, "visit"))
            row["visitors"] += 1
        if kind in counts:
            row[counts[kind]] += 1
        if kind in steps and (visitor, kind) not in reached:
            reached.add((visitor, kind))
            row[steps[kind]] += 1
        if kind == "order_paid":
            row["paid_amount"] += amount
    return list(rows.values())


def _region(order: Any) -> str:
    return str((order.address or {}).get("province") or "")[:64]


def _sales(paid: list[Any], lines: dict[int, list[Any]], first_paid: dict[int, int]) -> list[dict]:
    rows: dict[str, dict[str, Any]] = {}
    buyers: dict[str, set[int]] = defaultdict(set)
    for o in paid:
        region = _region(o)
        row = rows.setdefault(
            region,
            {
                "region": region,
                "orders": 0,
                "paid_amount": 0,
                "refunded_amount": 0,
                "units": 0,
                "buyers": 0,
                "new_buyers": 0,
            },
        )
        row["orders"] += 1
        row["paid_amount"] += o.paid_amount
        row["refunded_amount"] += o.refunded_amount
        row["units"] += sum(line.quantity for line in lines[o.id])
        buyers[region].add(o.buyer_id)
        if first_paid.get(o.buyer_id) == o.id:
            row["new_buyers"] += 1
    for region, row in rows.items():
        row["buyers"] = len(buyers[region])
    return list(rows.values())


def _products(
    merchant_id: int,
    events: list[tuple],
    paid: list[Any],
    lines: dict[int, list[Any]],
    kept_stock: dict[int, int | None],
    fresh_stock: bool,
) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}

    def row(pid: int) -> dict[str, Any]:
        return rows.setdefault(
            pid,
            {
                "product_id": pid,
                "views": 0,
                "visitors": 0,
                "carts": 0,
                "units": 0,
                "refunded_units": 0,
                "revenue": 0,
                "refunds": 0,
                "cost": 0,
                "cost_unknown_units": 0,
                "stock": None,
            },
        )

    viewers: dict[int, set[str]] = defaultdict(set)
    for kind, visitor, _u, pid, *_ in events:
        if pid is None:
            continue
        if kind == "product_view":
            row(pid)["views"] += 1
            viewers[pid].add(visitor)
        elif kind == "add_to_cart":
            row(pid)["carts"] += 1
    for pid, who in viewers.items():
        rows[pid]["visitors"] = len(who)
    for line in (line for o in paid for line in lines[o.id]):
        r = row(line.product_id)
        kept = line.quantity - line.refunded_quantity
        r["units"] += line.quantity
        r["refunded_units"] += line.refunded_quantity
        r["revenue"] += line.pay_amount
        r["refunds"] += line.refunded_amount
        # The cost price written on the line when it was ordered, never the SKU's today.
        if line.unit_cost is None:
            r["cost_unknown_units"] += kept
        else:
            r["cost"] += line.unit_cost * kept
    if fresh_stock:
        stock = dict(
            Sku.select(Sku.product, fn.SUM(Sku.stock))
            .where((Sku.merchant == merchant_id) & Sku.deleted_at.is_null())
            .group_by(Sku.product)
            .tuples()
        )
        for pid, r in rows.items():
            r["stock"] = int(stock.get(pid) or 0)
    else:
        for pid, r in rows.items():
            r["stock"] = kept_stock.get(pid)
    return list(rows.values())


def _campaigns_of(order: Any, order_lines: list[Any], shares: dict[str, Any]) -> dict:
    """The campaigns an order took part in, with the discount each gave it."""
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for a in (order.pricing or {}).get("applied", []):
        data = a.get("data") or {}
        if a.get("kind") == "coupon":
            key = ("coupon", int(data.get("template_id") or 0))
        elif a.get("kind") == "promotion":
            key = ("promotion", int(data.get("promotion_id") or 0))
        else:
            continue
        c = found.setdefault(key, {"name": a.get("label") or "", "discount": 0})
        c["discount"] += -int(a.get("amount") or 0)
    for line in order_lines:
        activity = line.activity or {}
        if activity.get("type") in ("groupbuy", "bargain") and activity.get("id"):
            key = (activity["type"], int(activity["id"]))
            c = found.setdefault(key, {"name": "", "discount": 0})
            c["discount"] += (line.unit_price - line.sale_unit_price) * line.quantity
    share = shares.get(order.share_code or "")
    if share is not None and share.kind.startswith("distribution"):
        found.setdefault(("distribution", share.sharer_id), {"name": "", "discount": 0})
    return found


def _campaigns(
    merchant_id: int, placed: list[Any], lines: dict[int, list[Any]], first_paid: dict[int, int]
) -> list[dict[str, Any]]:
    codes = list({o.share_code for o in placed if o.share_code})
    shares = (
        {s.code: s for s in ShareLink.select().where(ShareLink.code.in_(codes))} if codes else {}
    )
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    people: dict[tuple[str, int], set[int]] = defaultdict(set)
    for o in placed:
        for key, c in _campaigns_of(o, lines[o.id], shares).items():
            row = rows.setdefault(
                key,
                {
                    "kind": key[0],
                    "campaign_id": key[1],
                    "name": c["name"][:200],
                    "participants": 0,
                    "orders": 0,
                    "paid": 0,
                    "revenue": 0,
                    "discount": 0,
                    "new_buyers": 0,
                },
            )
            people[key].add(o.buyer_id)
            row["orders"] += 1
            row["discount"] += c["discount"]
            if o.paid_at is not None:
                row["paid"] += 1
                row["revenue"] += o.paid_amount
                if first_paid.get(o.buyer_id) == o.id:
                    row["new_buyers"] += 1
    for key, row in rows.items():
        row["participants"] = len(people[key])
    return list(rows.values())


def _ads(events: list[tuple]) -> list[dict[str, Any]]:
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for kind, _v, _u, _p, ref, placement, *_ in events:
        if kind not in ("ad_impression", "ad_click") or ref is None:
            continue
        row = rows.setdefault(
            (ref, placement),
            {"creative_id": ref, "placement": placement, "impressions": 0, "clicks": 0},
        )
        row["impressions" if kind == "ad_impression" else "clicks"] += 1
    return list(rows.values())


def _pairs(events: list[tuple], placed: list[Any], lines: dict[int, list[Any]]) -> list[dict]:
    weights: dict[tuple[int, int], int] = defaultdict(int)

    def add(products: list[int], weight: int) -> None:
        for a, b in itertools.permutations(products, 2):
            weights[(a, b)] += weight

    for o in placed:
        add(sorted({line.product_id for line in lines[o.id]}), BOUGHT_WEIGHT)
    viewed: dict[str, list[int]] = defaultdict(list)
    for kind, visitor, _u, pid, *_ in events:
        if kind == "product_view" and pid is not None:
            seen = viewed[visitor]
            if pid not in seen and len(seen) < MAX_VIEWED:
                seen.append(pid)
    for products in viewed.values():
        add(products, VIEWED_WEIGHT)
    return [{"product_id": a, "other_id": b, "weight": w} for (a, b), w in weights.items()]


def _seen(events: list[tuple]) -> set[int]:
    return {u for _, _, u, *_ in events if u}


def refresh_customers(merchant_id: int, users: set[int], seen: set[int], day: dt.date) -> int:
    """Recompute the store's customer rows of ``users`` from their paid orders; ``seen``
    (users with events on ``day``) widen their first/last seen days."""
    if not users:
        return 0
    tz = timezone_of(merchant_id)
    merchant = Merchant.get_by_id(merchant_id)
    hooks = merchant_plugins(merchant_id).hook
    for batch in _chunks(sorted(users)):
        existing = {
            c.user_id: c
            for c in Customer.select().where(
                (Customer.merchant_id == merchant_id) & Customer.user_id.in_(batch)
            )
        }
        orders: dict[int, list[Any]] = defaultdict(list)
        for o in (
            Order.select(
                Order.buyer, Order.paid_at, Order.paid_amount, Order.refunded_amount, Order.address
            )
            .where(
                (Order.merchant == merchant_id)
                & Order.paid_at.is_null(False)
                & Order.buyer.in_(batch)
            )
            .order_by(Order.paid_at, Order.id)
        ):
            orders[o.buyer_id].append(o)
        accounts = {u.id: u for u in User.select().where(User.id.in_(batch))}
        for user_id in batch:
            mine = orders.get(user_id, [])
            old = existing.get(user_id)
            first_seen = [
                d for d in (old and old.first_seen_day, day if user_id in seen else None) if d
            ]
            last_seen = [
                d for d in (old and old.last_seen_day, day if user_id in seen else None) if d
            ]
            account = accounts.get(user_id)
            if account is None:
                continue
            perks = [p for p in hooks.buyer_perks(merchant=merchant, buyer=account) if p]
            values = {
                "registered_day": local_day(tz, account.created_at),
                "first_seen_day": min(first_seen) if first_seen else None,
                "last_seen_day": max(last_seen) if last_seen else None,
                "first_paid_day": local_day(tz, mine[0].paid_at) if mine else None,
                "last_paid_day": local_day(tz, mine[-1].paid_at) if mine else None,
                "orders": len(mine),
                "spend": sum(o.paid_amount - o.refunded_amount for o in mine),
                "region": _region(mine[-1]) if mine else (old.region if old else ""),
                "level": str(perks[0].get("level") or "")[:64] if perks else "",
                "updated_at": utcnow(),
            }
            (
                Customer.insert(merchant_id=merchant_id, user_id=user_id, **values)
                .on_conflict(
                    conflict_target=[Customer.merchant_id, Customer.user_id],
                    update={getattr(Customer, k): v for k, v in values.items()},
                )
                .execute()
            )
    return len(users)


def purge_events(merchant_id: int, today: dt.date) -> int:
    """Delete the store's raw events older than ``raw_retention_days`` (aggregates stay)."""
    keep = int(config(merchant_id).get("raw_retention_days", 90))
    cutoff = today - dt.timedelta(days=keep)
    return Event.delete().where((Event.merchant_id == merchant_id) & (Event.day < cutoff)).execute()


def run_aggregate_day(task: Any) -> None:
    """The task behind a refresh, a late event or an order paid or refunded later."""
    aggregate_day(task.merchant_id, dt.date.fromisoformat(task.payload["day"]))


def run_daily(task: Any) -> None:
    """The nightly job at 01:00 store time: yesterday's final aggregation, then the purge."""
    today = dt.date.fromisoformat(task.payload["local_date"])
    aggregate_day(task.merchant_id, today - dt.timedelta(days=1))
    purge_events(task.merchant_id, today)
