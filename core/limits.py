"""The rate limiter (flask-limiter) every limit in mallkit uses. Storage is
``RATELIMIT_STORAGE_URL`` (``memory://`` for one process; ``redis://...`` when several app
processes serve one platform). The sign-in limits are in :mod:`mallkit.core.accounts.limits`.
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def init_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["RATELIMIT_STORAGE_URL"])
    app.config.setdefault("RATELIMIT_DEFAULT", None)
    limiter.init_app(app)
