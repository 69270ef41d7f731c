"""``mallkit new-plugin`` writes a plugin that loads and whose own test passes."""

from __future__ import annotations

import importlib
import sys

from click.testing import CliRunner

from mallkit.core.cli import cli


def test_new_plugin_scaffold_loads_and_answers_only_where_enabled(tmp_path, make_app, monkeypatch):
    r = CliRunner().invoke(cli, ["new-plugin", "gift_wrap", "--directory", str(tmp_path)])
    assert r.exit_code == 0, r.output
    root = tmp_path / "mallkit-gift-wrap"
    assert (root / "pyproject.toml").read_text().count('gift_wrap = "mallkit_gift_wrap"') == 1
    monkeypatch.syspath_prepend(str(root))
    module = importlib.import_module("mallkit_gift_wrap")
    try:
        app = make_app(plugins=[module])
        from mallkit.core.plugin_settings import enable
        from mallkit.core.testing import make_merchant

        client = app.test_client()
        with app.app_context():
            merchant = make_merchant("Wrap shop")
            url = f"/api/v1/merchants/{merchant.id}/gift_wrap"
            assert client.get(url).status_code == 404
            enable(merchant, "gift_wrap", {"message": "包装好了"})
            assert client.get(url).json == {"message": "包装好了"}
    finally:
        sys.modules.pop("mallkit_gift_wrap", None)
    again = CliRunner().invoke(cli, ["new-plugin", "gift_wrap", "--directory", str(tmp_path)])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = CliRunner().invoke(cli, ["new-plugin", "Bad-Name", "--directory", str(tmp_path)])
    assert bad.exit_code == 1
