""" "Recommended for you": item-to-item co-occurrence from the daily pair table, falling back
to best sellers.

The buyer's history is what they bought at the store and the products they viewed in the
last ``HISTORY_DAYS`` (raw events, while kept). Candidates are the products that went with
those — bought in one order or viewed by one visitor — weighted over the last
``PAIR_DAYS`` of ``analytics_daily_pair``; then the store's best sellers by units over the
last 30 days; then its other products by sales count. Products the buyer already bought,
products off the shelf and products without stock are left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from peewee import fn

from mallkit.core.plugin_api import Order, OrderLine, Product, Sku, utcnow
from mallkit.plugins.analytics.collector import local_day, timezone_of
from mallkit.plugins.analytics.models import DailyPair, DailyProduct, Event

HISTORY_DAYS = 30
PAIR_DAYS = 90
MAX_HISTORY = 20
MAX_ITEMS = 100


def recommend(merchant_id: int, user_id: int | None) -> list[dict[str, Any]]:
    """Up to ``MAX_ITEMS`` products for the buyer, best first, each with why."""
    today = local_day(timezone_of(merchant_id), utcnow())
    bought: set[int] = set()
    history: list[int] = []
    if user_id is not None:
        bought = {
            pid
            for (pid,) in OrderLine.select(OrderLine.product_id)
            .join(Order)
            .where(
                (Order.merchant == merchant_id)
                & (Order.buyer == user_id)
                & Order.paid_at.is_null(False)
            )
            .distinct()
            .tuples()
        }
        viewed = (
            Event.select(Event.product_id, fn.MAX(Event.occurred_at))
            .where(
                (Event.merchant_id == merchant_id)
                & (Event.user_id == user_id)
                & (Event.day >= today - dt.timedelta(days=HISTORY_DAYS))
                & Event.product_id.is_null(False)
            )
            .group_by(Event.product_id)
            # Views at one instant (a batch sent without times) tie on occurred_at: the one
            # recorded last counts as the latest, so the history cut is the same everywhere.
            .order_by(fn.MAX(Event.occurred_at).desc(), fn.MAX(Event.id).desc())
            .limit(MAX_HISTORY)
            .tuples()
        )
        history = [pid for pid, _ in viewed]
        history += [pid for pid in sorted(bought) if pid not in history]
        history = history[:MAX_HISTORY]
    ranked: list[tuple[int, str]] = []
    if history:
        weight = fn.SUM(DailyPair.weight)
        related = (
            DailyPair.select(DailyPair.other_id, weight)
            .where(
                (DailyPair.merchant_id == merchant_id)
                & DailyPair.product_id.in_(history)
                & (DailyPair.day >= today - dt.timedelta(days=PAIR_DAYS))
            )
            .group_by(DailyPair.other_id)
            .order_by(weight.desc(), DailyPair.other_id)
            .limit(MAX_ITEMS * 2)
            .tuples()
        )
        ranked += [(pid, "related") for pid, _ in related]
    units = fn.SUM(DailyProduct.units)
    best = (
        DailyProduct.select(DailyProduct.product_id, units)
        .where(
            (DailyProduct.merchant_id == merchant_id)
            & (DailyProduct.day >= today - dt.timedelta(days=30))
        )
        .group_by(DailyProduct.product_id)
        .having(units > 0)
        .order_by(units.desc(), DailyProduct.product_id)
        .limit(MAX_ITEMS * 2)
        .tuples()
    )
    ranked += [(pid, "best_seller") for pid, _ in best]
    return _available(merchant_id, ranked, exclude=bought)


def _available(merchant_id: int, ranked: list[tuple[int, str]], exclude: set[int]) -> list[dict]:
    """The ranked products that are on the shelf with stock, then the store's others by
    sales count, without ``exclude`` or repeats, as the items the route answers."""
    stock = fn.SUM(Sku.stock)
    live = (
        Product.select(
            Product.id, Product.name, Product.price_min, Product.images, Product.sales_count
        )
        .join(Sku, on=(Sku.product == Product.id) & Sku.deleted_at.is_null())
        .where(
            (Product.merchant == merchant_id)
            & Product.deleted_at.is_null()
            & (Product.is_on_shelf == True)  # noqa: E712
        )
        .group_by(Product.id, Product.name, Product.price_min, Product.images, Product.sales_count)
        .having(stock > 0)
    )
    products = {p.id: p for p in live}
    out: list[dict[str, Any]] = []
    seen = set(exclude)
    others = sorted(products.values(), key=lambda p: (-p.sales_count, p.id))
    for pid, reason in [*ranked, *((p.id, "popular") for p in others)]:
        if pid in seen or pid not in products:
            continue
        seen.add(pid)
        p = products[pid]
        out.append(
            {
                "product_id": pid,
                "name": p.name,
                "price": p.price_min,
                "image_url": p.cover_url,
                "reason": reason,
            }
        )
        if len(out) >= MAX_ITEMS:
            break
    return out
