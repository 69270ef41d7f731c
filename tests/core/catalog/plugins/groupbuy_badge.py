"""Test plugin: a group-buy badge on every product of the merchants that enable it."""

from mallkit.core.plugin_api import PluginMeta
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="groupbuy_badge", version="1.0.0", title="Group-buy badge")


@hookimpl
def extend_product(merchant, product, data):
    return {"groupbuy": {"badge": "2人团", "price": product.price_min - 1000}}
