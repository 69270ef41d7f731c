"""order_defaults: the core's default order behaviour, written as a plugin on the same hooks a
third-party plugin uses (one of :data:`mallkit.core.plugins.DEFAULT_PLUGINS`).

- ``order.auto_confirm``: confirm receipt of an order shipped long enough ago.
- Related products "bought together": products that appear in the same paid orders, offered
  through ``propose_related_products`` for the catalog's related products.

Platform-level: it runs for every merchant. Leave it out with the ``PLUGINS_DISABLED`` setting
to replace either with your own plugin.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.errors import Conflict
from mallkit.core.orders import service
from mallkit.core.orders.machine import SYSTEM
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.plugins import PluginMeta
from mallkit.core.tasks.queue import JobHandler
from mallkit.hookspecs import hookimpl

meta = PluginMeta(
    name="order_defaults",
    version="1.0.0",
    title="Order defaults",
    description="Automatic receipt confirmation; related products bought together.",
    level="platform",
    category="core",
    title_zh="订单默认规则",
    description_zh="自动确认收货；一起购买的相关商品。",
)


def auto_confirm(task) -> None:
    """Confirm receipt of an order shipped long enough ago."""
    order = Order.get_or_none(Order.id == task.payload["order_id"])
    if order is None or order.status != "shipped":
        return
    try:
        service.confirm_receipt(order, SYSTEM)
    except Conflict:
        return


@hookimpl
def register_job_handlers():
    return [JobHandler(service.AUTO_CONFIRM, auto_confirm)]


@hookimpl
def propose_related_products(merchant, product, limit):
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
