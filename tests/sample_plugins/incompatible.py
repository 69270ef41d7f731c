"""A plugin for a future mallkit: start-up must refuse it."""

from mallkit.core.plugin_api import PluginMeta

meta = PluginMeta(name="incompatible", version="1.0.0", title="Incompatible", mallkit=">=9")
