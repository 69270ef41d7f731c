"""The documentation is self-contained: every relative link in README.md and docs/ reaches a
file (and a heading, when it names one) of the repository, every source path the docs name
exists, and nothing points at documents that are not in the repository."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", "build", "dist"}

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# Paths of the repository named in backticks: `core/checkout/pricing.py`, `plugins/bargain`.
SOURCE_PATH = re.compile(r"`((?:core|plugins|tests|bench|examples)/[\w./-]+)(?:::\w+)?`")


def _files(suffixes: tuple[str, ...], top: Path = ROOT) -> list[Path]:
    """The repository's files ending in ``suffixes`` (virtualenvs and caches left out)."""
    out = []
    for folder, dirs, names in os.walk(top):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        out.extend(Path(folder) / n for n in names if n.endswith(suffixes))
    return sorted(out)


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *_files((".md",), ROOT / "docs")]


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """Lines outside fenced code blocks, numbered from 1."""
    out, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            out.append((number, line))
    return out


def slugs(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a markdown file."""
    seen: dict[str, int] = {}
    out = set()
    for _, line in _prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(2))  # a link's text
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def test_slugs_follow_github():
    doc = ROOT / "docs" / "hooks.md"
    assert {"register_job_handlers", "signals-after-commit"} <= slugs(doc)
    assert "group-buy-拼团" in slugs(ROOT / "docs" / "rules.md")


def test_every_relative_link_in_the_docs_resolves():
    broken = []
    checked = 0
    for doc in markdown_files():
        for number, line in _prose_lines(doc.read_text(encoding="utf-8")):
            for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                    continue
                checked += 1
                where = f"{doc.relative_to(ROOT)}:{number}: {target}"
                path_part, _, anchor = target.partition("#")
                resolved = (doc.parent / path_part).resolve() if path_part else doc
                if not resolved.is_relative_to(ROOT) or not resolved.exists():
                    broken.append(f"{where} (no such file)")
                elif anchor and resolved.suffix == ".md" and anchor not in slugs(resolved):
                    broken.append(f"{where} (no such heading)")
    assert checked > 20, "the link pattern found almost nothing; is it still right?"
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_source_paths_named_in_the_docs_exist():
    missing = []
    for doc in markdown_files():
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for name in SOURCE_PATH.findall(line):
                if not (ROOT / name.rstrip("/.")).exists():
                    missing.append(f"{doc.relative_to(ROOT)}:{number}: {name}")
    assert not missing, "the docs name paths that do not exist:\n" + "\n".join(missing)


def test_nothing_points_at_documents_outside_the_repository():
    """The rules live in docs/rules.md; there is no RULES.md, FEATURES.md or feature list
    with ids (``FEATURES M6``) to refer to."""
    outside = re.compile(r"\b(RULES|FEATURES)\.md\b|\bFEATURES\s+[A-Z]\d")
    me = Path(__file__).resolve()
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _files((".py", ".md", ".toml", ".txt", ".rst"))
        if path.resolve() != me
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert not found, "references to documents that are not in the repository:\n" + "\n".join(found)
