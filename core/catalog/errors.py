"""Typed catalog errors; all are :class:`mallkit.core.errors.MallkitError` subclasses, so the
API edge renders them in the one JSON error shape."""

from __future__ import annotations

from mallkit.core.errors import Conflict, NotFound


class ProductNotFound(NotFound):
    """No such product for this caller (another merchant's product answers this too)."""

    code = "product_not_found"


class SkuNotFound(NotFound):
    code = "sku_not_found"


class ProductUnavailable(Conflict):
    """The product exists but cannot be bought: off shelf, deleted, or its store is closed."""

    code = "product_unavailable"


class OutOfStock(Conflict):
    """A decrement would take stock below zero. ``errors`` maps each short SKU id to
    ``["requested N, available M"]``."""

    code = "out_of_stock"
