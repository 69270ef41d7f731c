"""Build small, real test plugins (modules with ``meta`` and ``@hookimpl`` functions)."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from mallkit.core.plugins import PluginMeta
from mallkit.hookspecs import hookimpl


def make_plugin(name: str, level: str = "merchant", **hooks: Callable[..., Any]):
    """A plugin module called ``name`` implementing ``hooks`` (``hook_name=function``)."""
    module = types.ModuleType(f"mallkit_test_{name}")
    module.meta = PluginMeta(name=name, version="1.0.0", title=name.title(), level=level)
    for hook_name, function in hooks.items():
        function.__name__ = hook_name
        setattr(module, hook_name, hookimpl(function))
    return module
