"""The test kit's app cache: a reused app comes back as it was built, or is not reused."""

from __future__ import annotations

import pytest

from mallkit.core import plugin_settings
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.plugins import merchant_plugins
from mallkit.core.testing import AppCache, _children_first, _test_settings, make_merchant
from tests.sample_plugins import recorder


@pytest.fixture
def cache(mallkit_database_url):
    """A cache of its own (the session's stays untouched) and its one key."""
    cache = AppCache()
    settings = _test_settings(mallkit_database_url, {})
    key = cache.key(settings, None)
    yield lambda: cache.get(key, settings, None), cache
    cache.clear()


def test_a_reused_app_is_put_back_as_it_was_built(cache):
    get, stats = cache
    app = get()
    host = app.extensions["mallkit"].plugins
    limit = app.config["LOGIN_RATE_LIMIT"]
    # One "test": changes config, registers a plugin and enables it, writes rows, serves.
    app.config["LOGIN_RATE_LIMIT"] = "1 per day"
    app.config["API_SPEC_OPTIONS"]["info"]["description"] = "changed in place"
    host.register(recorder)
    with app.app_context():
        merchant = make_merchant("Before")
        plugin_settings.enable(merchant, "recorder", {"label": "x"})
        assert merchant_plugins(merchant.id).is_enabled("recorder")
    assert app.test_client().get("/").status_code == 200

    # The next one gets the same app, as built.
    assert get() is app
    assert app.config["LOGIN_RATE_LIMIT"] == limit
    assert app.config["API_SPEC_OPTIONS"]["info"]["description"].startswith("mallkit REST API")
    assert "recorder" not in host.plugins and "recorder" not in dict(host.pm.list_name_plugin())
    with app.app_context():
        assert Merchant.select().count() == 0
        assert make_merchant("After").id == merchant.id == 1
    # ... and takes routes like a new app.
    app.add_url_rule("/extra", "extra", lambda: "extra")
    assert app.test_client().get("/extra").status_code == 200
    assert stats.stats == {"built": 1, "reused": 1, "discarded": 0, "uncached": 0}


def test_per_merchant_views_do_not_outlive_a_test(cache):
    get, _ = cache
    app = get()
    with app.app_context():
        first = make_merchant("First")
        plugin_settings.enable(first, "hello", {"greeting": "hi"})
        assert merchant_plugins(first.id).enabled == frozenset({"hello"})
    assert get() is app
    with app.app_context():
        # Ids start at 1 again and settings versions at 0: merchant 1 at version 1 is another
        # merchant now (its version moved as another process would move it), which the view
        # cached for the first one must not stand for.
        second = make_merchant("Second")
        assert second.id == first.id
        Merchant.update(plugin_settings_version=1).where(Merchant.id == second.id).execute()
        assert merchant_plugins(second.id).enabled == frozenset()


def test_an_app_changed_beyond_repair_is_not_reused(cache):
    get, stats = cache
    app = get()
    app.add_url_rule("/extra", "extra", lambda: "extra")
    fresh = get()
    assert fresh is not app
    assert "/extra" not in {r.rule for r in fresh.url_map.iter_rules()}

    host = fresh.extensions["mallkit"].plugins
    host.unregister("hello")  # an installed plugin gone cannot be put back in its place
    newer = get()
    assert newer is not fresh and "hello" in newer.extensions["mallkit"].plugins.plugins
    assert stats.stats == {"built": 3, "reused": 0, "discarded": 2, "uncached": 0}


def test_one_test_asking_twice_gets_two_apps(app, make_app):
    other = make_app()
    assert other is not app
    assert make_app() is not other


@pytest.mark.mallkit_fresh_app
def test_a_marked_test_gets_apps_nobody_else_used(make_app, mallkit_app_cache):
    before = dict(mallkit_app_cache.stats)
    make_app()
    assert mallkit_app_cache.stats == {**before, "uncached": before["uncached"] + 1}


def test_settings_and_plugins_make_the_key(mallkit_database_url, monkeypatch):
    base = _test_settings(mallkit_database_url, {})
    key = AppCache.key(base, None)
    assert AppCache.key(dict(base), None) == key
    assert AppCache.key({**base, "TASK_POLL_INTERVAL": 0.5}, None) != key
    assert AppCache.key(base, [recorder]) != key
    assert AppCache.key({**base, "PLUGINS_DISABLED": ["hello"]}, None) != key
    monkeypatch.setenv("MALLKIT_LOGIN_RATE_LIMIT", "1 per day")
    assert AppCache.key(base, None) != key
    assert AppCache.key({**base, "X": object()}, None) is not None  # hashable: by identity
    assert AppCache.key({**base, "X": [bytearray()]}, None) is None  # no key: not cached


def test_tables_are_emptied_children_first():
    fks = [("sku", "product"), ("product", "merchant"), ("category", "category")]
    order = _children_first({"merchant", "product", "sku", "category"}, fks)
    assert order.index("sku") < order.index("product") < order.index("merchant")
    assert "category" in order
    assert _children_first({"a", "b"}, [("a", "b"), ("b", "a")]) is None
