"""Settings: defaults, then an optional config file, then ``MALLKIT_*`` environment variables,
then the mapping passed to :func:`mallkit.core.app.create_app` (highest precedence)."""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "sqlite:///mallkit.db",
    "SECRET_KEY": None,  # required outside TESTING and DEMO (ConfigurationError)
    "MEDIA_ROOT": "media",
    "TOKEN_TTL_SECONDS": 30 * 24 * 3600,
    # Failed sign-ins (core/accounts/limits.py, docs/security.md)
    "LOGIN_PAIR_RATE_LIMIT": "5 per minute;10 per 10 minutes;20 per hour",
    "LOGIN_RATE_LIMIT": "50 per hour",
    "LOGIN_ADDRESS_RATE_LIMIT": "100 per 10 minutes",
    "PASSWORD_CHECK_RATE_LIMIT": "5 per 10 minutes",
    # One-time verification codes (core/accounts/codes.py, docs/security.md)
    "CODE_RECIPIENT_RATE_LIMIT": "1 per minute;5 per hour;10 per day",
    "CODE_ADDRESS_RATE_LIMIT": "20 per hour",
    "CODE_CHECK_RATE_LIMIT": "30 per 10 minutes",
    "VERIFICATION_CODE_TTL_SECONDS": 600,
    "VERIFICATION_CODE_MAX_TRIES": 5,
    # Platform admins must sign in with two factors (core/accounts/two_factor.py); the demo
    # and the test kit turn it off.
    "REQUIRE_ADMIN_2FA": True,
    "RATELIMIT_STORAGE_URL": "memory://",
    "PLUGINS_DISABLED": [],  # installed plugins the operator keeps out of this instance
    # Payment gateway base URLs merchants may use besides the official ones
    # (core/payments/gateways.py); the demo's simulators add themselves.
    "PAYMENT_GATEWAYS": [],
    # Browser origins allowed to call the API (CORS; off when empty) and HSTS on HTTPS
    # answers (core/http_headers.py)
    "CORS_ORIGINS": [],
    "HSTS_SECONDS": 31536000,
    # Reverse proxies in front that set X-Forwarded-For/-Proto (0: clients connect directly)
    "TRUSTED_PROXY_HOPS": 0,
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,  # the largest request body (bytes)
    "DB_POOL_SIZE": 20,
    "TASK_POLL_INTERVAL": 1.0,  # seconds between a worker's polls for due scheduled tasks
    "TASK_LEASE_SECONDS": 300,  # a task claimed by a worker that died runs again after this
    "TASK_RECURRING_SWEEP_SECONDS": 600,  # how often a worker checks recurring jobs are scheduled
    # Health and observability (core/observability.py)
    "WORKER_STALE_SECONDS": 60,  # /readyz: a task worker must have reported within this
    "READYZ_REQUIRE_WORKER": True,
    "METRICS_TOKEN": None,  # /metrics answers only with this bearer token when set
    "LOG_FORMAT": None,  # json | text: the app configures logging; unset: left to the runner
    "LOG_LEVEL": "INFO",
}

# Environment values that are not plain strings are parsed as JSON (lists, numbers, booleans).
MISSING_SECRET_KEY = (
    "MALLKIT_SECRET_KEY is not set. mallkit refuses to start without it (outside the demo and "
    "tests): it encrypts plugin secrets and signs sign-in state, and every process of one "
    "platform (app workers, task workers, `mallkit db upgrade`) must share the same key. "
    "Generate one with `python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`, keep it "
    "with your other secrets, and set it in the environment (or SECRET_KEY in the MALLKIT_CONFIG "
    "file); changing it later makes stored plugin secrets unreadable."
)


class ConfigurationError(RuntimeError):
    """Settings mallkit cannot start with; the message says what to set."""


_JSON_KEYS = {
    "TESTING",
    "DEMO",
    "TOKEN_TTL_SECONDS",
    "VERIFICATION_CODE_TTL_SECONDS",
    "VERIFICATION_CODE_MAX_TRIES",
    "PLUGINS_DISABLED",
    "REQUIRE_ADMIN_2FA",
    "PAYMENT_GATEWAYS",
    "CORS_ORIGINS",
    "HSTS_SECONDS",
    "TRUSTED_PROXY_HOPS",
    "MAX_CONTENT_LENGTH",
    "DB_POOL_SIZE",
    "TASK_POLL_INTERVAL",
    "TASK_LEASE_SECONDS",
    "TASK_RECURRING_SWEEP_SECONDS",
    "WORKER_STALE_SECONDS",
    "READYZ_REQUIRE_WORKER",
}


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the effective settings.

    The config file is TOML or JSON named by ``MALLKIT_CONFIG``; its keys are the same as the
    environment variables without the ``MALLKIT_`` prefix (``DATABASE_URL = "..."``).
    """
    settings = dict(DEFAULTS)
    path = os.environ.get("MALLKIT_CONFIG")
    if path:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text) if path.endswith(".json") else tomllib.loads(text)
        settings.update({k.upper(): v for k, v in data.items()})
    for key in list(DEFAULTS) + [k[8:] for k in os.environ if k.startswith("MALLKIT_")]:
        raw = os.environ.get(f"MALLKIT_{key}")
        if raw is None or key == "CONFIG":
            continue
        settings[key] = json.loads(raw) if key in _JSON_KEYS else raw
    settings.update({k.upper(): v for k, v in (overrides or {}).items()})
    if not settings.get("SECRET_KEY"):
        if not (settings.get("TESTING") or settings.get("DEMO")):
            raise ConfigurationError(MISSING_SECRET_KEY)
        # A test or demo process may run on a random key: tokens stay valid (they are stored
        # hashed), but plugin secrets encrypted with it are unreadable after a restart and in
        # any other process.
        settings["SECRET_KEY"] = secrets.token_urlsafe(32)
        settings["SECRET_KEY_GENERATED"] = True
    return settings
