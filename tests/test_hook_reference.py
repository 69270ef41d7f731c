"""Every hook in hookspecs.py is documented in docs/hooks.md and exercised by a test through a
real plugin (an ``@hookimpl`` in a plugin the tests load), or is waiting for its caller."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from mallkit import hookspecs

ROOT = Path(__file__).resolve().parents[1]

# Hooks specified ahead of the code that calls them. Each names the issue that brings the
# caller; the last test keeps this list honest.
AWAITING_CALLER = {}


def hook_names() -> list[str]:
    return sorted(
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, "mallkit_spec")
    )


def _implemented_in(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    pattern = re.compile(r"@hookimpl(?:\([^)]*\))?\s*\n\s*def (\w+)")
    for base in paths:
        for path in base.rglob("*.py"):
            if ".venv" in path.parts:
                continue
            found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_hook_is_documented():
    text = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^### `?(\w+)", text, flags=re.M))
    missing = [h for h in hook_names() if h not in documented]
    assert not missing, f"hooks missing from docs/hooks.md: {missing}"
    stale = documented - set(hook_names())
    assert not stale, f"docs/hooks.md documents hooks that do not exist: {stale}"


def test_every_hook_is_exercised_through_a_real_plugin():
    implemented = _implemented_in([ROOT / "tests", ROOT / "examples", ROOT / "plugins"])
    untested = [h for h in hook_names() if h not in implemented and h not in AWAITING_CALLER]
    assert not untested, f"hooks no test plugin implements: {untested}"


def test_hooks_awaiting_a_caller_are_really_not_called_yet():
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "core").rglob("*.py"))
    called = [h for h in AWAITING_CALLER if re.search(rf"\.{h}\(", code)]
    assert not called, (
        f"called now; test them through a plugin and drop them from the list: {called}"
    )
    assert set(AWAITING_CALLER) <= set(hook_names())
