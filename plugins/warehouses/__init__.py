"""warehouses (多仓库存): a store's warehouses with priority and served regions, stock per
SKU per warehouse (the SKU's sellable stock is their sum), allocation of orders to the
nearest serving warehouse by priority (split when needed) through ``allocate_stock``,
stock released back where it came from through ``release_stock``, and transfer documents;
the catalog's own stock-take and adjustments are refused for a warehoused SKU
(``validate_stock_change``), so its stock stays the sum of its warehouses.
See docs/plugins/warehouses.md.
"""

from __future__ import annotations

from pathlib import Path

from mallkit.core.plugin_api import MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.warehouses import demo, service
from mallkit.plugins.warehouses.api import blp

meta = PluginMeta(
    name="warehouses",
    version="1.0.0",
    title="Warehouses (多仓库存)",
    description="Stock per warehouse, orders allocated to the nearest serving warehouse, "
    "transfer documents.",
    mallkit=">=0.1,<1",
    level="merchant",
    category="logistics",
    title_zh="多仓库存",
    description_zh="按仓库管理库存，订单分配给就近可发货的仓库，仓库间调拨。",
)


@hookimpl
def register_migrations():
    return [MigrationSource("warehouses", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_console_pages():
    from mallkit.plugins.warehouses.console import PAGES

    return PAGES


@hookimpl
def allocate_stock(merchant, sku, quantity, reference):
    return service.allocate(merchant, sku, quantity, reference)


@hookimpl
def release_stock(merchant, sku, quantity, reference, reason, actor_id):
    return service.release(merchant, sku, quantity, reference, reason, actor_id)


@hookimpl
def validate_stock_change(merchant, sku_ids, reason):
    service.refuse_warehoused(merchant.id, sku_ids)


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)
