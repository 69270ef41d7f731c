"""“Bought together”: products that appear in the same paid orders, for the catalog's related
products (installed into :mod:`mallkit.core.catalog.browse` when the app is created)."""

from __future__ import annotations

import peewee as pw

from mallkit.core.catalog import browse
from mallkit.core.orders.models import Order, OrderLine


def bought_together(product, limit: int) -> list[int]:
    """Ids of products bought in the same paid orders as ``product``, most often first."""
    other = OrderLine.alias()
    times = pw.fn.COUNT(pw.fn.DISTINCT(OrderLine.order)).alias("times")
    rows = (
        OrderLine.select(OrderLine.product_id, times)
        .join(other, on=(other.order == OrderLine.order))
        .join(Order, on=(Order.id == OrderLine.order))
        .where(
            (other.product_id == product.id)
            & (OrderLine.product_id != product.id)
            & Order.paid_at.is_null(False)
        )
        .group_by(OrderLine.product_id)
        .order_by(times.desc(), OrderLine.product_id)
        .limit(limit)
        .tuples()
    )
    return [product_id for product_id, _ in rows]


browse.use_bought_together(bought_together)
