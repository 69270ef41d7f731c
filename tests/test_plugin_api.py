"""The declared plugin API: every name in ``__all__`` exists, is documented in
docs/plugins.md, and the built-in plugins import nothing else from the core."""

from __future__ import annotations

import re
from pathlib import Path

from mallkit.core import plugin_api

ROOT = Path(__file__).resolve().parents[1]


def test_every_exported_name_exists_and_is_listed_in_the_plugin_guide():
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    table = text[text.index("## The plugin API") : text.index("## 2. `meta`")]
    listed = set(re.findall(r"`(\w+)`", table))
    missing = [name for name in plugin_api.__all__ if not hasattr(plugin_api, name)]
    assert not missing, f"in __all__ but not defined: {missing}"
    undocumented = sorted(set(plugin_api.__all__) - listed)
    assert not undocumented, f"exported but not in docs/plugins.md: {undocumented}"
    assert len(plugin_api.__all__) == len(set(plugin_api.__all__))


def test_built_in_plugins_import_only_the_plugin_api_from_the_core():
    pattern = re.compile(r"^\s*(?:from|import) (mallkit\.core[\w.]*)", re.M)
    offenders = []
    for base in (ROOT / "plugins", ROOT / "examples"):
        for path in base.rglob("*.py"):
            for module in pattern.findall(path.read_text(encoding="utf-8")):
                if module != "mallkit.core.plugin_api":
                    offenders.append(f"{path.relative_to(ROOT)}: {module}")
    assert not offenders, offenders
