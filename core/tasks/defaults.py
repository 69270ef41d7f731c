"""task_defaults: the core's wiring of recurring jobs (``JobHandler(..., daily_at=...)``),
written as a plugin on the same hooks a third-party plugin uses (one of
:data:`mallkit.core.plugins.DEFAULT_PLUGINS`).

- ``on_plugin_enabled``: schedule the merchant's first occurrence of each recurring job of the
  plugin being enabled, in the enabling transaction;
- ``on_plugin_disabled``: cancel the merchant's pending occurrences.

Platform-level. Leaving it out (``PLUGINS_DISABLED``) leaves recurring jobs to the workers'
periodic :func:`mallkit.core.tasks.recurring.ensure_scheduled` and to the check each run makes
before it starts (a disabled plugin's pending occurrence is then cancelled when it falls due).
"""

from __future__ import annotations

from mallkit.core.plugins import PluginMeta
from mallkit.core.tasks import recurring
from mallkit.hookspecs import hookimpl

meta = PluginMeta(
    name="task_defaults",
    version="1.0.0",
    title="Task defaults",
    description="Recurring jobs follow their plugin being enabled and disabled per merchant.",
    level="platform",
    category="core",
    title_zh="任务默认规则",
    description_zh="定时任务随插件在各店铺的启用和停用而开关。",
)


@hookimpl
def on_plugin_enabled(merchant, plugin, config):
    recurring.plugin_enabled(merchant, plugin)


@hookimpl
def on_plugin_disabled(merchant, plugin):
    recurring.plugin_disabled(merchant, plugin)
