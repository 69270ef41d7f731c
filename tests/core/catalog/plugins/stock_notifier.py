"""Test plugin: records every ``on_low_stock`` call (a notification plugin stand-in)."""

from mallkit.core.plugin_api import PluginMeta
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="stock_notifier", version="1.0.0", title="Stock notifier")
calls: list[tuple] = []


@hookimpl
def on_low_stock(merchant, sku, stock, threshold):
    calls.append((merchant.id, sku.id, sku.product.name, stock, threshold))
