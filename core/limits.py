"""The rate limiter (flask-limiter) every limit in mallkit uses. Storage is
``RATELIMIT_STORAGE_URL`` (``memory://`` for one process; ``redis://...`` when several app
processes serve one platform). The sign-in limits are in :mod:`mallkit.core.accounts.limits`.
"""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, headers_enabled=True)


def init_limits(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["RATELIMIT_STORAGE_URL"])
    app.config.setdefault("RATELIMIT_DEFAULT", None)
    limiter.init_app(app)
    _check_before_requests_only_where_needed(app)


def _check_before_requests_only_where_needed(app: Flask) -> None:
    """flask-limiter checks, before every request, every limit that could apply to it:
    default, application-wide, meta, blueprint and the view's own. A view's own limits (all
    of mallkit's: sign-in, codes, password checks) are checked again by their decorator when
    the view runs, so the check before the request finds something to do only where default,
    application, meta or blueprint limits exist. Finding that out on every request cost a
    tenth of a cart add's CPU; here it is found out once per blueprint."""
    funcs = app.before_request_funcs.setdefault(None, [])
    check = limiter._check_request_limit  # the function init_app registered (a bound method)
    if check not in funcs:
        return
    manager = limiter.limit_manager
    needed: dict[str | None, bool] = {}

    def _limits_before_request() -> None:
        blueprint = request.blueprint
        wanted = needed.get(blueprint)
        if wanted is None:
            wanted = needed[blueprint] = bool(
                manager.application_limits
                or manager.default_limits
                or app.config.get("RATELIMIT_META")
                or (blueprint and manager.blueprint_limits(app, blueprint))
            )
        if wanted:
            check()

    funcs[funcs.index(check)] = _limits_before_request
