"""Order statistics (O6): count, sales and average order value per day, week, month or year,
cut in the merchant's time zone.

An order counts in the period it was paid; ``sales`` is what was paid, ``refunds`` what went
back (by the same order's period), average order value = sales / count, rounded down.
Buckets are cut in Python from one query over the range, so the result is the same on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.errors import ValidationError
from mallkit.core.orders.models import Order

MAX_DAYS = 3 * 366


def _label(local: dt.datetime, period: str) -> str:
    if period == "day":
        return local.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return local.strftime("%Y-%m")
    return local.strftime("%Y")


def _labels(start: dt.date, end: dt.date, period: str) -> list[str]:
    out: list[str] = []
    day = start
    while day <= end:
        label = _label(dt.datetime.combine(day, dt.time()), period)
        if not out or out[-1] != label:
            out.append(label)
        day += dt.timedelta(days=1)
    return out


def order_stats(merchant: Merchant, period: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    if end < start or (end - start).days > MAX_DAYS:
        raise ValidationError(
            "the range runs from start to end, at most three years",
            errors={"end": ["After start, within three years."]},
        )
    tz = zoneinfo.ZoneInfo(merchant.timezone)
    lo = dt.datetime.combine(start, dt.time(), tz).astimezone(dt.UTC).replace(tzinfo=None)
    hi = (
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tz)
        .astimezone(dt.UTC)
        .replace(tzinfo=None)
    )
    rows = (
        Order.select(Order.paid_at, Order.paid_amount, Order.refunded_amount)
        .where(
            (Order.merchant == merchant.id)
            & Order.paid_at.is_null(False)
            & (Order.paid_at >= lo)
            & (Order.paid_at < hi)
        )
        .tuples()
    )
    buckets = {
        label: {"period": label, "count": 0, "sales": 0, "refunds": 0}
        for label in _labels(start, end, period)
    }
    for paid_at, paid, refunded in rows:
        local = paid_at.replace(tzinfo=dt.UTC).astimezone(tz)
        b = buckets[_label(local, period)]
        b["count"] += 1
        b["sales"] += paid
        b["refunds"] += refunded
    for b in buckets.values():
        b["average_order_value"] = b["sales"] // b["count"] if b["count"] else 0
    count = sum(b["count"] for b in buckets.values())
    sales = sum(b["sales"] for b in buckets.values())
    return {
        "currency": merchant.currency,
        "timezone": merchant.timezone,
        "period": period,
        "buckets": list(buckets.values()),
        "count": count,
        "sales": sales,
        "average_order_value": sales // count if count else 0,
    }
