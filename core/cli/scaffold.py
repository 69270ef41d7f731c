"""``mallkit new-plugin NAME``: a plugin distribution that installs, loads and passes its own
test from the first minute (the shape of ``examples/plugin-hello``)."""

from __future__ import annotations

import re
from pathlib import Path

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

FILES = {
    "pyproject.toml": """[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "mallkit-{dash}"
version = "0.1.0"
description = "{title}: a mallkit plugin."
requires-python = ">=3.11"
dependencies = ["mallkit>=0.1"]

[project.optional-dependencies]
test = ["pytest>=8"]

[project.entry-points."mallkit.plugins"]
{name} = "mallkit_{name}"

[tool.setuptools]
packages = ["mallkit_{name}", "mallkit_{name}.migrations"]
""",
    "README.md": """# mallkit-{dash}

{title}: a mallkit plugin.

```bash
pip install -e '.[test]' && pytest
mallkit plugins enable {name} --merchant 1
```
""",
    "mallkit_{name}/__init__.py": '''"""{title}: a mallkit plugin."""

from pathlib import Path

from flask.views import MethodView
from marshmallow import Schema, fields

from mallkit.core.plugin_api import (
    MigrationSource,
    PluginMeta,
    merchant_plugins,
    plugin_blueprint,
)
from mallkit.hookspecs import hookimpl


class Config(Schema):
    message = fields.String(load_default="Hello from {title}")


meta = PluginMeta(
    name="{name}",
    version="0.1.0",
    title="{title}",
    description="",
    mallkit=">=0.1,<1",
    config_schema=Config,
    level="merchant",
)

blp = plugin_blueprint("{name}", __name__, description="{title}")


@blp.route("/merchants/<int:merchant_id>/{name}")
class Index(MethodView):
    @blp.response(200)
    def get(self, merchant_id):
        """Answers 404 for merchants that have not enabled the plugin."""
        return {{"message": merchant_plugins(merchant_id).config("{name}")["message"]}}


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_migrations():
    return [MigrationSource("{name}", Path(__file__).parent / "migrations")]
''',
    "mallkit_{name}/migrations/__init__.py": (
        '"""Numbered migration scripts: 0001_name.py, up(migrator, db) and down."""\n'
    ),
    "tests/conftest.py": """pytest_plugins = ["mallkit.core.testing"]
""",
    "tests/test_{name}.py": """def test_route_answers_only_where_enabled(
    client, merchant, enable_plugin
):
    url = f"/api/v1/merchants/{{merchant.id}}/{name}"
    assert client.get(url).status_code == 404
    with enable_plugin("{name}", merchant, {{"message": "hi"}}):
        assert client.get(url).json == {{"message": "hi"}}
    assert client.get(url).status_code == 404
""",
}


def new_plugin(name: str, target: Path, title: str | None = None) -> Path:
    """Write the plugin distribution ``mallkit-<name>`` under ``target``; return its folder."""
    if not NAME_RE.match(name):
        raise ValueError(
            "a plugin name is lower-case letters, digits and _, 2-41 characters, "
            "starting with a letter"
        )
    root = target / f"mallkit-{name.replace('_', '-')}"
    if root.exists():
        raise FileExistsError(f"{root} already exists")
    values = {
        "name": name,
        "dash": name.replace("_", "-"),
        "title": title or name.replace("_", " ").title(),
    }
    for rel, template in FILES.items():
        path = root / rel.format(**values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values), encoding="utf-8")
    return root
