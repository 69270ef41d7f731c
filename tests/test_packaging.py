"""The built wheel holds every package, migration and data file (packages are listed by hand
in pyproject.toml, so a forgotten one must fail here)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {
    ".venv",
    ".git",
    ".import_linter_cache",
    ".grimp_cache",
    "build",
    "dist",
    "tests",
    "examples",
    "bench",
    "docs",
    ".ci",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "media",
}


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    src = tmp_path_factory.mktemp("src") / "mallkit"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "*.db*", "media"
        ),
    )
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "-o", str(out), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("mallkit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


def _source_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if (
            path.is_dir()
            or rel.parts[0] in SKIP_DIRS
            or any(p in SKIP_DIRS or p.endswith(".egg-info") for p in rel.parts)
        ):
            continue
        if path.suffix in {".py", ".html", ".css", ".js", ".svg", ".json", ".txt", ".sql"}:
            files.append(rel)
    return files


def test_every_module_migration_and_data_file_is_in_the_wheel(wheel_names):
    missing = [
        str(rel)
        for rel in _source_files()
        if rel.parts != ("pyproject.toml",) and f"mallkit/{rel.as_posix()}" not in wheel_names
    ]
    assert not missing, f"not in the wheel: {missing}"
    assert "mallkit/hookspecs.py" in wheel_names
    assert "mallkit/core/migrations/0001_initial.py" in wheel_names
    assert "mallkit/__init__.py" not in wheel_names  # mallkit is a namespace package
    assert not any(n.startswith(("mallkit/tests/", "mallkit/examples/")) for n in wheel_names)


def test_built_in_plugins_are_declared_as_entry_points(wheel_names):
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = config["project"]["entry-points"].get("mallkit.plugins", {})
    folders = {p.name for p in (ROOT / "plugins").iterdir() if (p / "__init__.py").exists()}
    assert set(declared) == folders
    for name, target in declared.items():
        assert target == f"mallkit.plugins.{name}"
