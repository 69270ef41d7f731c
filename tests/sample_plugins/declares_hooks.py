"""A plugin that declares a hook of its own, and one that implements it."""

import types

import pluggy

from mallkit.core.plugin_api import PluginMeta
from mallkit.hookspecs import hookimpl

spec = pluggy.HookspecMarker("mallkit")


class Specs:
    @spec
    def on_sample_event(self, value):
        """A hook declared by a plugin."""


meta = PluginMeta(name="declares_hooks", version="1.0.0", title="Declares hooks", level="platform")


@hookimpl
def register_hookspecs():
    return [Specs]


listener = types.ModuleType("listener")
listener.meta = PluginMeta(name="listener", version="1.0.0", title="Listener", level="platform")
listener.SEEN = []


@hookimpl
def _on_sample_event(value):
    listener.SEEN.append(value)


_on_sample_event.__name__ = "on_sample_event"
listener.on_sample_event = _on_sample_event
