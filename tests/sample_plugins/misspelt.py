"""A plugin with a misspelt hook name: start-up must refuse it."""

from mallkit.core.plugin_api import PluginMeta
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="misspelt", version="1.0.0", title="Misspelt")


@hookimpl
def on_plugin_enabeld(merchant, plugin, config):  # sic
    pass
