"""Browser apps the server hands out as static files: the console (``/console/``) and the demo
storefront (``/shop/``). Each is a folder of plain ES modules that talk to the public REST API
only; there is no build step and nothing is loaded from another origin.

Shared third-party code lives in ``vendor/`` (served at ``/web/vendor/``), pinned and with its
licence beside it:

- ``htm-preact-3.1.1.js`` — htm 3.1.1's ``preact/standalone.module.js`` (Preact 10 with hooks
  and the ``html`` tagged template in 13 kB), from the npm package ``htm@3.1.1``
  (Apache-2.0; Preact is MIT). Import it as ``import { html, render, useState } from
  "/web/vendor/htm-preact-3.1.1.js"``.

An app registers itself by adding a :class:`WebApp` to :data:`WEB_APPS`: its files are served
under its prefix, and any path there that is not a file gets the app's ``index.html`` (the
app routes in the browser).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory

HERE = Path(__file__).parent


@dataclass(frozen=True)
class WebApp:
    """A static browser app: ``folder`` (beside this module) served at ``/<prefix>/``."""

    name: str
    prefix: str
    folder: str


WEB_APPS: list[WebApp] = [
    # the demo storefront (docs/storefront.md): a phone-first H5 shop on the public REST API
    WebApp("shop", "shop", "shop"),
    WebApp("console", "console", "console"),  # merchant and platform console (docs/console.md)
]


def _blueprint(name: str, root: Path, url_prefix: str, *, spa: bool) -> Blueprint:
    blp = Blueprint(f"web_{name}", __name__, url_prefix=url_prefix)

    @blp.get("/")
    @blp.get("/<path:filename>")
    def _serve(filename: str = "index.html"):
        target = root / filename
        if target.is_file():
            # index.html revalidates on every load so a new release is picked up at once;
            # the rest may be cached briefly (names are not content-hashed).
            max_age = 0 if filename.endswith("index.html") else 300
            return send_from_directory(root, filename, max_age=max_age)
        if not spa or "." in filename.rsplit("/", 1)[-1]:
            abort(404)
        return send_from_directory(root, "index.html", max_age=0)

    return blp


def install_web_apps(app: Flask) -> None:
    """Serve the vendored libraries and every registered app."""
    app.register_blueprint(_blueprint("vendor", HERE / "vendor", "/web/vendor", spa=False))
    for web_app in WEB_APPS:
        app.register_blueprint(
            _blueprint(web_app.name, HERE / web_app.folder, f"/{web_app.prefix}", spa=True)
        )
