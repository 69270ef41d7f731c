"""The shelf rule: whether buyers see a product at a given moment, as one SQL expression and
the same rule in Python.

A product has a manual state (``is_on_shelf``) and two optional scheduled times. A scheduled
time acts once it has passed, and the latest passed event wins:

- neither time has passed: the manual state decides;
- only ``shelf_on_at`` passed: on shelf; only ``shelf_off_at`` passed: off shelf;
- both passed: the later of the two decides (on at June 1, off at September 1 → off after
  September 1; off at March 1, on again at June 1 → on after June 1).

Setting the manual state clears schedule times that have passed, so a staff action is always
the newest event. A later scheduled task can "flip" a product by applying a passed time to
``is_on_shelf`` and clearing it (:func:`settle`): the visibility is the same before and after.
Deleted products are never visible.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import peewee as pw

from mallkit.core.catalog.models import Product


def on_shelf_expression(now: dt.datetime, product: Any = Product) -> pw.Node:
    """SQL: the product is on shelf at ``now`` (deleted products excluded). ``product`` is what
    the columns are read from: the ``Product`` table, or anything with the same column
    attributes (a subquery's columns)."""
    p = product
    on_passed = p.shelf_on_at.is_null(False) & (p.shelf_on_at <= now)
    off_passed = p.shelf_off_at.is_null(False) & (p.shelf_off_at <= now)
    state = pw.Case(
        None,
        (
            (on_passed & off_passed, p.shelf_on_at > p.shelf_off_at),
            (on_passed, True),
            (off_passed, False),
        ),
        p.is_on_shelf,
    )
    return p.deleted_at.is_null() & (state == True)  # noqa: E712  (SQL, not Python)


def is_on_shelf(product: Product, now: dt.datetime) -> bool:
    """The same rule as :func:`on_shelf_expression` for a loaded product."""
    if product.deleted_at is not None:
        return False
    on_passed = product.shelf_on_at is not None and product.shelf_on_at <= now
    off_passed = product.shelf_off_at is not None and product.shelf_off_at <= now
    if on_passed and off_passed:
        return product.shelf_on_at > product.shelf_off_at
    if on_passed:
        return True
    if off_passed:
        return False
    return bool(product.is_on_shelf)


def settle(now: dt.datetime, product_ids: list[int] | None = None) -> int:
    """Apply passed schedule times to ``is_on_shelf`` and clear them; visibility is unchanged.

    For the future scheduled-task worker (and tidy data); reads never need it. Returns the
    number of products changed.
    """
    passed = (Product.shelf_on_at.is_null(False) & (Product.shelf_on_at <= now)) | (
        Product.shelf_off_at.is_null(False) & (Product.shelf_off_at <= now)
    )
    where = passed & Product.deleted_at.is_null()
    if product_ids is not None:
        where &= Product.id.in_(product_ids)
    keep_on = Product.shelf_on_at.is_null(False) & (Product.shelf_on_at > now)
    keep_off = Product.shelf_off_at.is_null(False) & (Product.shelf_off_at > now)
    return (
        Product.update(
            is_on_shelf=pw.Case(None, ((on_shelf_expression(now), True),), False),
            shelf_on_at=pw.Case(None, ((keep_on, Product.shelf_on_at),), None),
            shelf_off_at=pw.Case(None, ((keep_off, Product.shelf_off_at),), None),
        )
        .where(where)
        .execute()
    )
