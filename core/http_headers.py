"""Response headers every answer carries, and cross-origin access (docs/security.md).

- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
  strict-origin-when-cross-origin``, ``Cross-Origin-Opener-Policy: same-origin`` and a
  ``Content-Security-Policy`` that lets an API answer load nothing (``default-src 'none';
  frame-ancestors 'none'``); the Swagger UI page gets one that allows its own scripts and
  styles from this origin.
- ``Strict-Transport-Security`` on answers to HTTPS requests (``HSTS_SECONDS``, default one
  year; 0 turns it off).
- Behind reverse proxies (``TRUSTED_PROXY_HOPS`` = how many, 0 by default): the client's
  address and scheme come from the last N hops of ``X-Forwarded-For``/``X-Forwarded-Proto``
  (werkzeug's ProxyFix), so rate limits, the audit log and admin address allow-lists see the
  client rather than the proxy, and HSTS sees HTTPS. Never set it without a proxy in front
  that overwrites those headers: a client could then claim any address.
- CORS is off unless ``CORS_ORIGINS`` lists the origins allowed to call the API from a
  browser (flask-cors), e.g. a storefront served from another domain.
"""

from __future__ import annotations

from flask import Flask, request

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)
EXPOSED = [
    "Retry-After",
    "X-Pagination",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "X-Request-Id",
]
ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "X-Mallkit-Device",
    "X-Request-Id",
]


def install_proxy_fix(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops < 0:
        raise ValueError("TRUSTED_PROXY_HOPS is the number of proxies in front (0 or more)")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def install_security_headers(app: Flask) -> None:
    origins = app.config.get("CORS_ORIGINS") or []
    if origins:
        from flask_cors import CORS

        CORS(
            app,
            resources={r"/api/*": {"origins": origins}},
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED,
            max_age=600,
        )

    hsts = int(app.config.get("HSTS_SECONDS", 31536000))
    common = (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    )

    @app.after_request
    def _headers(response):
        # One pass over the headers already set (a view may have set its own): werkzeug's
        # setdefault scans the list and builds a KeyError for each header it does not find.
        headers = response.headers
        present = {key.lower() for key in headers.keys()}
        wanted = [*common]
        html = response.mimetype == "text/html"
        wanted.append(("Content-Security-Policy", PAGE_POLICY if html else API_POLICY))
        if hsts and request.is_secure:
            wanted.append(("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains"))
        for key, value in wanted:
            if key.lower() not in present:
                headers.add(key, value)
        return response
