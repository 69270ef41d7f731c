"""catalog_defaults: the core's default catalog behaviour, written as a plugin on the same
hooks a third-party plugin uses (one of :data:`mallkit.core.plugins.DEFAULT_PLUGINS`).

``allocate_stock`` takes the ordered quantity off the SKU's own stock and ``release_stock``
puts it back, both registered ``trylast`` so a warehouse plugin that answers first replaces
them. Platform-level: it runs for every
merchant. Leave it out with the ``PLUGINS_DISABLED`` setting when a plugin of yours
allocates every SKU.
"""

from __future__ import annotations

from mallkit.core.catalog import stock
from mallkit.core.plugins import PluginMeta
from mallkit.hookspecs import hookimpl

meta = PluginMeta(
    name="catalog_defaults",
    version="1.0.0",
    title="Catalog defaults",
    description="Default stock allocation: the SKU's own stock.",
    level="platform",
    category="core",
    title_zh="商品默认规则",
    description_zh="默认库存分配：使用 SKU 自身的库存。",
)


@hookimpl(trylast=True)
def allocate_stock(merchant, sku, quantity, reference):
    """Take the quantity off the SKU's own stock (one conditional update and a ledger row)."""
    movement = stock.decrement(
        sku.id, quantity, reason="sale", reference=reference, merchant_id=merchant.id
    )
    return stock.Allocation(
        sku_id=sku.id, quantity=quantity, source="sku", movement_ids=(movement.id,)
    )


@hookimpl(trylast=True)
def release_stock(merchant, sku, quantity, reference, reason, actor_id):
    """Put the quantity back on the SKU's own stock."""
    movement = stock.increment(
        sku.id, quantity, reason=reason, reference=reference, actor_id=actor_id
    )
    return stock.Allocation(
        sku_id=sku.id, quantity=quantity, source="sku", movement_ids=(movement.id,)
    )


release_stock.takes_sku_stock = True


# While this is the only allocator, checkout takes all of an order's SKUs in one batch
# (``stock.decrement_many``), which has the same outcome as calling it once per SKU.
allocate_stock.takes_sku_stock = True
