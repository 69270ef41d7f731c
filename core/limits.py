"""Rate limits (flask-limiter): sign-in attempts per account and per client address.

Only failed attempts count, so a person who types the password right is never held back by
their own earlier successes. Storage is ``RATELIMIT_STORAGE_URL`` (``memory://`` for one
process; ``redis://...`` when several app processes serve one platform).
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def _login_key() -> str:
    data = request.get_json(silent=True)
    login = data.get("login") if isinstance(data, dict) else None
    return f"login:{str(login).strip().lower()}" if login else "login:-"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _failed(response) -> bool:
    return response.status_code == 401


limit_login = limiter.shared_limit(
    _login_limit, scope="login-account", key_func=_login_key, deduct_when=_failed
)
limit_login_address = limiter.shared_limit(
    _login_limit, scope="login-address", key_func=get_remote_address, deduct_when=_failed
)


def init_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["RATELIMIT_STORAGE_URL"])
    app.config.setdefault("RATELIMIT_DEFAULT", None)
    limiter.init_app(app)
