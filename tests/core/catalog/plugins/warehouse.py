"""Test plugin: allocates from its own warehouses instead of the SKU's stock."""

from mallkit.core.plugin_api import Allocation, PluginMeta
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="warehouse", version="1.0.0", title="Warehouse")
taken: list[tuple] = []


@hookimpl
def allocate_stock(merchant, sku, quantity, reference):
    taken.append((sku.id, quantity, reference.id))
    return Allocation(sku.id, quantity, "warehouse", data={"warehouse": "上海仓"})
