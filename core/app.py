"""The app factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from flask import Flask, request, send_from_directory

from mallkit.core import __version__, db, observability
from mallkit.core.accounts.api import blp as accounts_blp
from mallkit.core.accounts.merchants.api import blp as merchants_blp
from mallkit.core.api import MallkitApi, install_error_handlers, install_request_guards
from mallkit.core.catalog.api import BLUEPRINTS as catalog_blueprints
from mallkit.core.checkout.api import blp as cart_blp
from mallkit.core.config import load_settings
from mallkit.core.console import blp as console_blp
from mallkit.core.console import install_plugin_assets
from mallkit.core.http_headers import install_proxy_fix, install_security_headers
from mallkit.core.limits import init_limits
from mallkit.core.orders.api import blp as orders_blp
from mallkit.core.payments.api import blp as payments_blp
from mallkit.core.plugins import PluginHost
from mallkit.core.shares.api import blp as shares_blp
from mallkit.core.storage import init_app as init_storage
from mallkit.core.tasks import queue as tasks
from mallkit.core.tasks.api import blp as tasks_blp
from mallkit.core.web import install_web_apps


class MallkitFlask(Flask):
    """Flask, remembering which handlers are plain functions: Flask asks ``ensure_sync`` for
    every before/after/teardown function and view on every request, and the question
    (``inspect.iscoroutinefunction``) cost more than most of those functions themselves. A
    method is remembered by its function (a class-based view is a new instance per request)."""

    _SYNC_CACHE_LIMIT = 4096

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._plain: dict[Any, bool] = {}

    def ensure_sync(self, func: Any) -> Any:
        key = getattr(func, "__func__", func)
        try:
            plain = self._plain.get(key)
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        if plain is None:
            plain = super().ensure_sync(func) is func
            if len(self._plain) < self._SYNC_CACHE_LIMIT:
                self._plain[key] = plain
        return func if plain else super().ensure_sync(func)


@dataclass
class Mallkit:
    """What mallkit keeps on ``app.extensions["mallkit"]``."""

    plugins: PluginHost
    api: MallkitApi


def create_app(config: dict[str, Any] | None = None, *, plugins: list | None = None) -> Flask:
    """Build the mallkit WSGI app.

    ``config`` overrides settings (see :mod:`mallkit.core.config`). Every installed plugin is
    loaded from the ``mallkit.plugins`` entry points; ``plugins`` adds plugin modules directly
    (the test kit uses it for test plugins that carry routes).
    """
    settings = load_settings(config)
    app = MallkitFlask("mallkit.core", root_path=str(Path(__file__).parent))
    app.config.update(settings)
    app.json.sort_keys = False
    app.json.ensure_ascii = False  # 中文 stays readable in responses
    app.config.update(
        API_TITLE="mallkit",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs-assets/",
        MAX_CONTENT_LENGTH=int(settings["MAX_CONTENT_LENGTH"]),
    )
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "mallkit REST API: storefront, merchant back office, "
                "platform admin and plugins."
            },
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    db.bind(settings["DATABASE_URL"], pool_size=int(settings["DB_POOL_SIZE"]))

    host = PluginHost()
    host.load_installed(disabled=settings.get("PLUGINS_DISABLED") or ())
    for module in plugins or ():
        host.register(module)
    host.finalize()

    api = MallkitApi(app)
    app.extensions["mallkit"] = Mallkit(plugins=host, api=api)
    observability.install(app)  # first: request ids on every answer, errors included
    install_request_guards(app, api)
    install_security_headers(app)
    install_proxy_fix(app)
    install_error_handlers(app)
    init_limits(app)
    _install_db_lifecycle(app)

    api.register_blueprint(accounts_blp)
    api.register_blueprint(merchants_blp)
    api.register_blueprint(cart_blp)
    api.register_blueprint(orders_blp)
    api.register_blueprint(payments_blp)
    api.register_blueprint(shares_blp)
    api.register_blueprint(tasks_blp)
    api.register_blueprint(console_blp)
    for catalog_blp in catalog_blueprints:
        api.register_blueprint(catalog_blp)
    with app.app_context():
        for blueprints in host.hook.register_blueprints(app=app):
            for blp in blueprints or ():
                api.register_blueprint(blp)
    tasks.init_app(app)  # a job kind registered twice stops start-up here
    install_web_apps(app)
    install_plugin_assets(app)
    init_storage(app)

    assets = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get("/api/docs-assets/<path:filename>")
    def _swagger_assets(filename: str):
        return send_from_directory(assets, filename, max_age=86400)

    @app.get("/")
    def _index():
        return {
            "name": "mallkit",
            "version": __version__,
            "docs": "/api/docs",
            "openapi": "/api/openapi.json",
        }

    return app


def _install_db_lifecycle(app: Flask) -> None:
    """One connection per request, returned to the pool (or closed) at the end."""

    @app.before_request
    def _connect() -> None:
        if request.endpoint not in observability.PROBES:  # they connect when they must
            db.database.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc: BaseException | None) -> None:
        if not db.database.is_closed():
            db.database.close()
