"""Test plugin: a notifier whose gateway is down."""

from mallkit.core.plugin_api import PluginMeta
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="broken_notifier", version="1.0.0", title="Broken notifier")


@hookimpl
def on_low_stock(merchant, sku, stock, threshold):
    raise RuntimeError("SMS gateway down")
