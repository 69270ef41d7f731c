"""checkout_defaults: the core's default delivery, written as a plugin on the public hooks
(one of :data:`mallkit.core.plugins.DEFAULT_PLUGINS`).

When no plugin quotes freight for an order, delivery is free ("standard", 0). It is a
new-style wrapper around ``propose_shipping_quotes``, so it sees every other plugin's quotes
and adds its own only when there are none. A freight plugin therefore replaces it simply by
quoting; leave it out with ``PLUGINS_DISABLED`` to have orders without any quote carry no
delivery at all.
"""

from __future__ import annotations

from mallkit.core.checkout.proposals import ShippingQuote
from mallkit.core.plugins import PluginMeta
from mallkit.hookspecs import hookimpl

meta = PluginMeta(
    name="checkout_defaults",
    version="1.0.0",
    title="Checkout defaults",
    description="Free standard delivery when no plugin quotes freight.",
    level="platform",
    category="core",
    title_zh="结算默认规则",
    description_zh="没有插件报运费时，默认免费标准配送。",
)

FREE_SHIPPING = ShippingQuote("core", "standard", "Standard delivery", 0)


@hookimpl(wrapper=True)
def propose_shipping_quotes(merchant, lines, address):
    results = yield
    if any(results):
        return results
    return [*results, [FREE_SHIPPING]]
