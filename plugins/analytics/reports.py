"""The reports A1–A5 and the store dashboard, read from the daily aggregates.

Every report takes a store (or ``None``: the platform, every store) and a range of days in
store time, and answers ``{"report", "start", "end", "timezone", "currency", "totals",
"rows", "sections"}``; ``rows`` is what the CSV export writes. Reports read only the
``analytics_daily_*`` tables and ``analytics_customer`` — never the raw events — so their
cost follows the number of days, products and campaigns, not the number of events. Ratios
are floats rounded to 4 places; money stays integer fen.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from peewee import Case, fn

from mallkit.core.plugin_api import (
    Merchant,
    NotFound,
    Order,
    OrderLine,
    Product,
    Sku,
    ValidationError,
    utcnow,
)
from mallkit.plugins.analytics.collector import config, day_bounds, local_day, timezone_of
from mallkit.plugins.analytics.models import (
    Customer,
    DailyAd,
    DailyCampaign,
    DailyProduct,
    DailySales,
    DailyTraffic,
)

MAX_DAYS = 366
FUNNEL = ("visitors", "carts", "checkouts", "orders", "paid")


def ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


class Scope:
    """Whose data: one store, or every store (``merchant_id`` None) for the platform."""

    def __init__(self, merchant_id: int | None, start: dt.date | None, end: dt.date | None):
        self.merchant_id = merchant_id
        if merchant_id is not None:
            merchant = Merchant.get_or_none(Merchant.id == merchant_id)
            if merchant is None:
                raise NotFound("no such store", code="merchant_not_found")
            self.tz = timezone_of(merchant_id)
            self.timezone = merchant.timezone
            self.currency = merchant.currency
        else:
            self.tz = dt.UTC
            self.timezone = "store time"
            currencies = {c for (c,) in Merchant.select(Merchant.currency).distinct().tuples()}
            self.currency = currencies.pop() if len(currencies) == 1 else "mixed"
        self.today = local_day(self.tz, utcnow())
        self.end = end or self.today - dt.timedelta(days=1)
        self.start = start or self.end - dt.timedelta(days=29)
        if self.end < self.start or (self.end - self.start).days >= MAX_DAYS:
            raise ValidationError(
                "the range runs from start to end, at most 366 days",
                code="invalid_range",
                errors={"end": ["On or after start, within 366 days."]},
            )

    def where(self, model: Any) -> Any:
        cond = (model.day >= self.start) & (model.day <= self.end)
        if self.merchant_id is not None:
            cond &= model.merchant_id == self.merchant_id
        return cond

    def report(self, name: str, totals: dict, rows: list, **sections: Any) -> dict[str, Any]:
        return {
            "report": name,
            "start": self.start,
            "end": self.end,
            "timezone": self.timezone,
            "currency": self.currency,
            "totals": totals,
            "rows": rows,
            "sections": sections,
        }


def _funnel(row: dict[str, Any]) -> dict[str, Any]:
    v = row["visitors"]
    return row | {
        "cart_rate": ratio(row["carts"], v),
        "order_rate": ratio(row["orders"], v),
        "conversion": ratio(row["paid"], v),
    }


# -- A1 traffic -------------------------------------------------------------------------------


def traffic(scope: Scope) -> dict[str, Any]:
    """A1: visitors and the funnel visit → cart → checkout → order → paid per source, per
    UTM campaign, and the ads' impressions, clicks and CTR."""
    t = DailyTraffic
    keys = (*FUNNEL, "page_views", "product_views", "searches", "paid_amount")
    sums = [fn.SUM(getattr(t, f)) for f in keys]

    def grouped(*by):
        query = t.select(*by, *sums).where(scope.where(t)).group_by(*by).order_by(*by).tuples()
        return [
            dict(zip([b.name for b in by], r[: len(by)], strict=True))
            | {k: int(v or 0) for k, v in zip(keys, r[len(by) :], strict=True)}
            for r in query
        ]

    rows = [_funnel(r) for r in grouped(t.source)]
    campaigns = [_funnel(r) for r in grouped(t.campaign, t.source) if r["campaign"]]
    totals = _funnel({k: sum(r[k] for r in rows) for k in keys})
    return scope.report("traffic", totals, rows, campaigns=campaigns, ads=ads(scope))


def ads(scope: Scope) -> list[dict[str, Any]]:
    a = DailyAd
    query = (
        a.select(a.creative_id, a.placement, fn.SUM(a.impressions), fn.SUM(a.clicks))
        .where(scope.where(a))
        .group_by(a.creative_id, a.placement)
        .order_by(a.creative_id, a.placement)
        .tuples()
    )
    return [
        {
            "creative_id": c,
            "placement": p,
            "impressions": int(i or 0),
            "clicks": int(k or 0),
            "ctr": ratio(int(k or 0), int(i or 0)),
        }
        for c, p, i, k in query
    ]


# -- A2 campaigns -----------------------------------------------------------------------------


def campaigns(scope: Scope) -> dict[str, Any]:
    """A2: per coupon template, promotion, group buy, bargain and promoter: participants,
    orders, paid orders, revenue, discount given, conversion (paid ÷ orders), new buyers."""
    c = DailyCampaign
    fields = ("participants", "orders", "paid", "revenue", "discount", "new_buyers")
    query = (
        c.select(c.kind, c.campaign_id, fn.MAX(c.name), *[fn.SUM(getattr(c, f)) for f in fields])
        .where(scope.where(c))
        .group_by(c.kind, c.campaign_id)
        .order_by(c.kind, c.campaign_id)
        .tuples()
    )
    rows = []
    for kind, cid, name, *values in query:
        row = {"kind": kind, "campaign_id": cid, "name": name or ""}
        row |= {f: int(v or 0) for f, v in zip(fields, values, strict=True)}
        row["conversion"] = ratio(row["paid"], row["orders"])
        rows.append(row)
    totals = {f: sum(r[f] for r in rows) for f in fields if f != "participants"}
    totals["conversion"] = ratio(totals["paid"], totals["orders"])
    return scope.report("campaigns", totals, rows)


# -- A3 users ---------------------------------------------------------------------------------


def users(scope: Scope) -> dict[str, Any]:
    """A3: the store's customers — registered and new (first paid order) in the range, active
    (paid or visited within ``active_days`` up to the end day) and dormant (paid before, not
    within ``dormant_days``) — in total and by region and member level."""
    cfg = config(scope.merchant_id) if scope.merchant_id is not None else {}
    active_from = scope.end - dt.timedelta(days=int(cfg.get("active_days", 30)) - 1)
    dormant_before = scope.end - dt.timedelta(days=int(cfg.get("dormant_days", 90)) - 1)
    c = Customer

    def count(cond):
        return fn.SUM(Case(None, [(cond, 1)], 0))

    in_range = lambda f: (f >= scope.start) & (f <= scope.end)  # noqa: E731
    figures = {
        "customers": fn.COUNT(c.id),
        "registered": count(in_range(c.registered_day)),
        "new": count(in_range(c.first_paid_day)),
        "active": count((c.last_paid_day >= active_from) | (c.last_seen_day >= active_from)),
        "dormant": count(c.last_paid_day < dormant_before),
    }
    where = c.merchant_id == scope.merchant_id if scope.merchant_id is not None else True
    query = (
        c.select(c.region, c.level, *figures.values())
        .where(where)
        .group_by(c.region, c.level)
        .order_by(c.region, c.level)
        .tuples()
    )
    rows = [
        {"region": region, "level": level}
        | {k: int(v or 0) for k, v in zip(figures, values, strict=True)}
        for region, level, *values in query
    ]
    totals = {k: sum(r[k] for r in rows) for k in figures}
    by_region: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(figures, 0))
    by_level: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(figures, 0))
    for r in rows:
        for k in figures:
            by_region[r["region"]][k] += r[k]
            by_level[r["level"]][k] += r[k]
    return scope.report(
        "users",
        totals,
        rows,
        regions=[{"region": k} | v for k, v in sorted(by_region.items())],
        levels=[{"level": k} | v for k, v in sorted(by_level.items())],
    )


def customer_profile(merchant_id: int, user_id: int) -> dict[str, Any]:
    """A3: one customer of the store — paid orders, spend, first and last order, region,
    level and favourite categories (by units bought)."""
    row = Customer.get_or_none(
        (Customer.merchant_id == merchant_id) & (Customer.user_id == user_id)
    )
    if row is None:
        raise NotFound("no such customer of the store", code="customer_not_found")
    units = fn.SUM(OrderLine.quantity - OrderLine.refunded_quantity)
    favourites = (
        Product.select(Product.category, units)
        .join(OrderLine, on=OrderLine.product_id == Product.id)
        .join(Order, on=OrderLine.order == Order.id)
        .where(
            (Order.merchant == merchant_id)
            & (Order.buyer == user_id)
            & Order.paid_at.is_null(False)
            & Product.category.is_null(False)
        )
        .group_by(Product.category)
        .order_by(units.desc(), Product.category)
        .limit(3)
        .tuples()
    )
    return {
        "user_id": user_id,
        "orders": row.orders,
        "spend": row.spend,
        "first_order_day": row.first_paid_day,
        "last_order_day": row.last_paid_day,
        "last_seen_day": row.last_seen_day,
        "region": row.region,
        "level": row.level,
        "favourite_categories": [
            {"category_id": cat, "units": int(n or 0)} for cat, n in favourites
        ],
    }


# -- A4 products ------------------------------------------------------------------------------


def products(scope: Scope, limit: int = 10) -> dict[str, Any]:
    """A4: per product — views, visitors, carts, units, revenue, refunds, cost (each line's
    cost price when ordered × units kept), the units kept whose cost price is unknown (not in
    ``cost``), gross profit (revenue − refunds − cost), average stock and turnover (units kept
    ÷ average stock) — with the best sellers and the slow sellers (the store's products that
    sold least)."""
    p = DailyProduct
    fields = (
        "views",
        "visitors",
        "carts",
        "units",
        "refunded_units",
        "revenue",
        "refunds",
        "cost",
        "cost_unknown_units",
    )
    query = (
        p.select(
            p.product_id,
            *[fn.SUM(getattr(p, f)) for f in fields],
            fn.SUM(p.stock),
            fn.COUNT(p.stock),
        )
        .where(scope.where(p))
        .group_by(p.product_id)
        .tuples()
    )
    rows: dict[int, dict[str, Any]] = {}
    for pid, *values in query:
        row = {"product_id": pid} | {
            f: int(v or 0) for f, v in zip(fields, values[: len(fields)], strict=True)
        }
        stock_sum, stock_days = int(values[-2] or 0), int(values[-1] or 0)
        row["gross_profit"] = row["revenue"] - row["refunds"] - row["cost"]
        row["average_stock"] = round(stock_sum / stock_days, 2) if stock_days else None
        kept = row["units"] - row["refunded_units"]
        row["turnover"] = round(kept / row["average_stock"], 4) if row["average_stock"] else None
        rows[pid] = row
    names = _product_names(scope, set(rows))
    for pid, row in rows.items():
        row["name"] = names.get(pid, "")
    ordered = sorted(rows.values(), key=lambda r: (-r["revenue"], r["product_id"]))
    best = sorted(rows.values(), key=lambda r: (-r["units"], r["product_id"]))[:limit]
    totals = {f: sum(r[f] for r in ordered) for f in (*fields[3:], "gross_profit")}
    return scope.report(
        "products", totals, ordered, best_sellers=best, slow_sellers=_slow(scope, rows, limit)
    )


def _product_names(scope: Scope, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(Product.select(Product.id, Product.name).where(Product.id.in_(list(ids))).tuples())


def _slow(scope: Scope, rows: dict[int, dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The store's products on the shelf that sold the fewest units in the range (none
    first), with their stock; the platform's view lists them across stores."""
    where = Product.deleted_at.is_null() & (Product.is_on_shelf == True)  # noqa: E712
    if scope.merchant_id is not None:
        where &= Product.merchant == scope.merchant_id
    live = (
        Product.select(Product.id, Product.name, fn.SUM(Sku.stock))
        .join(Sku, on=(Sku.product == Product.id) & Sku.deleted_at.is_null())
        .where(where)
        .group_by(Product.id, Product.name)
        .tuples()
    )
    out = [
        {
            "product_id": pid,
            "name": name,
            "units": rows.get(pid, {}).get("units", 0),
            "revenue": rows.get(pid, {}).get("revenue", 0),
            "stock": int(stock or 0),
        }
        for pid, name, stock in live
    ]
    return sorted(out, key=lambda r: (r["units"], r["revenue"], -r["stock"], r["product_id"]))[
        :limit
    ]


# -- A5 sales ---------------------------------------------------------------------------------


def label(day: dt.date, period: str) -> str:
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.strftime("%Y-%m")


def sales(scope: Scope, period: str = "day") -> dict[str, Any]:
    """A5: paid orders, sales, refunds, units, buyers (buyer-days) and new buyers per day,
    ISO week (Monday first) or month of store time, and by region."""
    s = DailySales
    fields = ("orders", "paid_amount", "refunded_amount", "units", "buyers", "new_buyers")
    sums = [fn.SUM(getattr(s, f)) for f in fields]
    buckets: dict[str, dict[str, Any]] = {}
    day = scope.start
    while day <= scope.end:
        buckets.setdefault(
            label(day, period), {"period": label(day, period)} | dict.fromkeys(fields, 0)
        )
        day += dt.timedelta(days=1)
    for day, *values in s.select(s.day, *sums).where(scope.where(s)).group_by(s.day).tuples():
        b = buckets[label(_as_date(day), period)]
        for f, v in zip(fields, values, strict=True):
            b[f] += int(v or 0)
    rows = list(buckets.values())
    for b in rows:
        b["average_order_value"] = b["paid_amount"] // b["orders"] if b["orders"] else 0
    regions = [
        {"region": region} | {f: int(v or 0) for f, v in zip(fields, values, strict=True)}
        for region, *values in s.select(s.region, *sums)
        .where(scope.where(s))
        .group_by(s.region)
        .order_by(fn.SUM(s.paid_amount).desc(), s.region)
        .tuples()
    ]
    totals = {f: sum(b[f] for b in rows) for f in fields}
    totals["average_order_value"] = (
        totals["paid_amount"] // totals["orders"] if totals["orders"] else 0
    )
    return scope.report("sales", totals, rows, period=period, regions=regions)


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# -- the dashboard ----------------------------------------------------------------------------


def dashboard(merchant_id: int) -> dict[str, Any]:
    """Today so far against yesterday: sales, paid orders and paying buyers straight from
    the orders (live), visitors from today's aggregates (refreshed every
    ``refresh_minutes``), conversion = paying buyers ÷ visitors."""
    scope = Scope(merchant_id, None, None)
    yesterday = scope.today - dt.timedelta(days=1)
    out = {}
    for name, day in (("today", scope.today), ("yesterday", yesterday)):
        lo, hi = day_bounds(scope.tz, day)
        orders, paid, buyers = (
            Order.select(
                fn.COUNT(Order.id), fn.SUM(Order.paid_amount), fn.COUNT(fn.DISTINCT(Order.buyer))
            )
            .where((Order.merchant == merchant_id) & (Order.paid_at >= lo) & (Order.paid_at < hi))
            .tuples()
            .first()
        )
        visitors = (
            DailyTraffic.select(fn.SUM(DailyTraffic.visitors))
            .where((DailyTraffic.merchant_id == merchant_id) & (DailyTraffic.day == day))
            .scalar()
        )
        figures = {
            "day": day,
            "sales": int(paid or 0),
            "orders": int(orders or 0),
            "buyers": int(buyers or 0),
            "visitors": int(visitors or 0),
        }
        figures["conversion"] = ratio(figures["buyers"], figures["visitors"])
        figures["average_order_value"] = (
            figures["sales"] // figures["orders"] if figures["orders"] else 0
        )
        out[name] = figures
    out["change"] = {
        k: _change(out["today"][k], out["yesterday"][k])
        for k in ("sales", "orders", "buyers", "visitors", "conversion")
    }
    out |= {"timezone": scope.timezone, "currency": scope.currency}
    return out


def _change(now: float, before: float) -> float | None:
    """Today against yesterday as a fraction (0.25: 25 % up); None when yesterday was 0."""
    return round((now - before) / before, 4) if before else None


REPORTS = {
    "traffic": traffic,
    "campaigns": campaigns,
    "users": users,
    "products": products,
    "sales": sales,
}
