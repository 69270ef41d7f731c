"""The event collector: storefront batches and server-side events, appended to
``analytics_event``.

Every event gets ``day``, its date in the merchant's time zone at ``occurred_at``. An event
for a day that was already aggregated — today's, refreshed every ``refresh_minutes``, or a
late one for an earlier day (an app that was offline) — schedules that day's aggregation
once (a durable task with a dedupe key per merchant and day), so the day's aggregates catch
up without anyone re-running anything by hand.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from mallkit.core.plugin_api import (
    Merchant,
    ShareLink,
    ValidationError,
    merchant_plugins,
    schedule_task,
    transaction,
    utcnow,
)
from mallkit.plugins.analytics.models import AggregatedDay, Event

PLUGIN = "analytics"
AGGREGATE_DAY = "analytics.aggregate_day"
MAX_AGE = dt.timedelta(days=7)  # a storefront may send events this late, no later
MAX_SKEW = dt.timedelta(minutes=5)  # a clock this far ahead is taken as now


def config(merchant_id: int) -> dict[str, Any]:
    return merchant_plugins(merchant_id).config(PLUGIN)


def timezone_of(merchant_id: int) -> zoneinfo.ZoneInfo:
    name = Merchant.select(Merchant.timezone).where(Merchant.id == merchant_id).scalar()
    return zoneinfo.ZoneInfo(name or "UTC")


def local_day(tz: zoneinfo.ZoneInfo, at: dt.datetime) -> dt.date:
    """The merchant's date at ``at`` (naive UTC)."""
    return at.replace(tzinfo=dt.UTC).astimezone(tz).date()


def day_bounds(tz: zoneinfo.ZoneInfo, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The naive UTC instants where the merchant's ``day`` starts and the next one starts."""

    def start(d: dt.date) -> dt.datetime:
        return dt.datetime.combine(d, dt.time(), tz).astimezone(dt.UTC).replace(tzinfo=None)

    return start(day), start(day + dt.timedelta(days=1))


def _clean(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _when(raw: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if raw is None:
        return now
    at = raw.astimezone(dt.UTC).replace(tzinfo=None) if raw.tzinfo else raw
    return min(at, now)


def record_batch(
    merchant_id: int, user_id: int | None, device_id: str, events: list[dict[str, Any]]
) -> int:
    """Append a storefront batch (already schema-checked). A signed-in buyer's events carry
    their user id, taken from the token, never from the body; an anonymous batch needs the
    device id. The whole batch is refused when one event is out of bounds."""
    now = utcnow()
    if user_id is None and not device_id:
        raise ValidationError(
            "an anonymous batch needs a device_id",
            code="device_id_required",
            errors={"device_id": ["Required without a signed-in buyer."]},
        )
    visitor = f"u{user_id}" if user_id is not None else f"d{device_id}"
    tz = timezone_of(merchant_id)
    errors: dict[str, list[str]] = {}
    rows = []
    for i, e in enumerate(events):
        at = _when(e.get("at"), now)
        if at < now - MAX_AGE:
            errors[f"events.{i}.at"] = ["At most 7 days ago."]
            continue
        if e["kind"] in ("ad_impression", "ad_click") and not e.get("ad_id"):
            errors[f"events.{i}.ad_id"] = ["Required for ad events."]
            continue
        rows.append(
            {
                "merchant_id": merchant_id,
                "day": local_day(tz, at),
                "kind": e["kind"],
                "occurred_at": at,
                "received_at": now,
                "visitor": visitor,
                "user_id": user_id,
                "product_id": e.get("product_id"),
                "ref_id": e.get("ad_id"),
                "placement": _clean(e.get("placement"), 32),
                "source": e.get("source") or "direct",
                "utm_source": _clean(e.get("utm_source"), 100),
                "utm_medium": _clean(e.get("utm_medium"), 100),
                "utm_campaign": _clean(e.get("utm_campaign"), 100),
                "share_code": _clean(e.get("share_code"), 32),
                "query": _clean(e.get("query"), 64),
            }
        )
    if errors:
        raise ValidationError("some events are out of bounds", code="invalid_events", errors=errors)
    if foreign := foreign_ads(merchant_id, [r["ref_id"] for r in rows if r["ref_id"]]):
        raise ValidationError(
            "unknown ads",
            code="unknown_ads",
            errors={"events": [f"Not this store's ads: {foreign}."]},
        )
    _infer_sources(merchant_id, rows)
    with transaction():
        Event.insert_many(rows).execute()
        refresh_days(merchant_id, {r["day"] for r in rows}, tz, now)
    return len(rows)


def foreign_ads(merchant_id: int, ad_ids: list[int]) -> list[int]:
    """The ids among ``ad_ids`` that no plugin of the store claims as its ad (the ``ads``
    plugin answers ``own_ads``; a store without it has no ads), sorted: an ad event is
    counted in a store's ads report only for its own ads."""
    if not ad_ids:
        return []
    plugins = merchant_plugins(merchant_id)
    merchant = Merchant.get_by_id(merchant_id)
    own = {i for found in plugins.hook.own_ads(merchant=merchant, ad_ids=ad_ids) for i in found}
    return sorted(set(ad_ids) - own)


def _infer_sources(merchant_id: int, rows: list[dict[str, Any]]) -> None:
    """A share code of the store makes an event's source ``share`` (with the link's UTM
    fields when the event has none); an unknown code is dropped."""
    codes = {r["share_code"] for r in rows if r["share_code"]}
    if not codes:
        return
    links = {
        s.code: s
        for s in ShareLink.select().where(
            ShareLink.code.in_(list(codes)) & (ShareLink.merchant == merchant_id)
        )
    }
    for r in rows:
        link = links.get(r["share_code"])
        if link is None:
            r["share_code"] = ""
            continue
        r["source"] = "share"
        if not r["utm_campaign"]:
            r["utm_source"] = link.utm_source
            r["utm_medium"] = link.utm_medium
            r["utm_campaign"] = link.utm_campaign


def refresh_days(
    merchant_id: int, days: set[dt.date], tz: zoneinfo.ZoneInfo, now: dt.datetime
) -> None:
    """Schedule the aggregation of ``days``: today's every ``refresh_minutes``, an earlier
    day only when it was aggregated before (a late event); one pending task per day."""
    today = local_day(tz, now)
    past = [d for d in days if d < today]
    done = set()
    if past:
        done = {
            d
            for (d,) in AggregatedDay.select(AggregatedDay.day)
            .where((AggregatedDay.merchant_id == merchant_id) & AggregatedDay.day.in_(past))
            .tuples()
        }
    minutes = int(config(merchant_id).get("refresh_minutes", 10))
    for day in sorted(days):
        if day < today and day not in done:
            continue
        schedule_task(
            AGGREGATE_DAY,
            delay=dt.timedelta(minutes=minutes),
            payload={"day": day.isoformat()},
            merchant_id=merchant_id,
            dedupe_key=f"{AGGREGATE_DAY}:{merchant_id}:{day.isoformat()}",
        )


def record_server(
    merchant_id: int,
    kind: str,
    user_id: int | None,
    *,
    device_id: str = "",
    order: Any = None,
    product_id: int | None = None,
    share_code: str = "",
    at: dt.datetime | None = None,
) -> None:
    """Append one server-side event (an order placed or paid, a share link opened), inside
    the caller's transaction. An order's source is its share link's, else ``direct``."""
    if user_id is None and not device_id:
        return
    at = at or utcnow()
    row: dict[str, Any] = {
        "merchant_id": merchant_id,
        "day": local_day(timezone_of(merchant_id), at),
        "kind": kind,
        "occurred_at": at,
        "received_at": utcnow(),
        "visitor": f"u{user_id}" if user_id is not None else f"d{device_id}",
        "user_id": user_id,
        "product_id": product_id,
        "share_code": share_code,
        "source": "share" if share_code else "direct",
    }
    if order is not None:
        row.update(
            order_id=order.id,
            amount=order.paid_amount if kind == "order_paid" else order.total,
            share_code=order.share_code or "",
            source="share" if order.share_code else "direct",
            utm_source=order.utm_source or "",
            utm_medium=order.utm_medium or "",
            utm_campaign=order.utm_campaign or "",
        )
    Event.insert(**row).execute()


def reaggregate_order_days(order: Any) -> None:
    """An order paid or refunded after its days were aggregated: schedule those days again
    (the day it was placed, for campaigns; the day it was paid, for sales and products)."""
    tz = timezone_of(order.merchant_id)
    days = {local_day(tz, order.placed_at)}
    if order.paid_at:
        days.add(local_day(tz, order.paid_at))
    now = utcnow()
    today = local_day(tz, now)
    past = {d for d in days if d < today}
    if past:
        refresh_days(order.merchant_id, past, tz, now)
