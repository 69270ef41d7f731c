"""A merchant-level plugin that requires ``recorder``."""

from mallkit.core.plugin_api import PluginMeta
from mallkit.hookspecs import hookimpl

CALLS: list[tuple] = []

meta = PluginMeta(
    name="needs_recorder",
    version="1.0.0",
    title="Needs recorder",
    requires=("recorder",),
)


@hookimpl
def extend_store_profile(merchant):
    CALLS.append(("extend_store_profile", merchant.id))
    return {"needs_recorder": True}
