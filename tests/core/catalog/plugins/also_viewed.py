"""A related-products plugin: proposes what ``PROPOSALS`` names for a product."""

from mallkit.core.plugin_api import PluginMeta
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="also_viewed", version="1.0.0", title="Also viewed (tests)")

PROPOSALS: dict[int, list[int]] = {}


@hookimpl
def propose_related_products(merchant, product, limit):
    return PROPOSALS.get(product.id, [])[:limit]
