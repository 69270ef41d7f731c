"""Which payment gateway addresses the server may call.

A payment plugin calls the gateway of its provider on a buyer's behalf, so a merchant who
could point it anywhere could make the server fetch any address (server-side request
forgery). A gateway URL is accepted only when it is one of the plugin's official endpoints or
one the **platform** allows (``PAYMENT_GATEWAYS``, a list of base URLs in the app's settings;
the gateway simulators add themselves when ``mallkit demo`` or a test mounts them). A URL
matches an allowed base when it equals it or continues it with ``/`` (so
``https://api.mch.weixin.qq.com.evil.example`` does not match ``https://api.mch.weixin.qq.com``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from marshmallow import ValidationError as FieldError

from mallkit.core.errors import PluginError

SETTING = "PAYMENT_GATEWAYS"


def _norm(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}".rstrip("/")


def allow_gateway(app: Any, url: str) -> None:
    """Let this platform's merchants use ``url`` as a gateway (a simulator, a private
    proxy the operator runs)."""
    allowed = list(app.config.get(SETTING) or [])
    if _norm(url) not in (_norm(a) for a in allowed):
        app.config[SETTING] = [*allowed, url]


def is_allowed(url: str, official: Iterable[str]) -> bool:
    target = _norm(url)
    if urlsplit(target).username or urlsplit(target).password or "@" in urlsplit(target).netloc:
        return False
    for base in (*official, *(current_app.config.get(SETTING) or [])):
        base = _norm(base)
        if target == base or target.startswith(base + "/"):
            return True
    return False


def check_gateway(url: str, official: Iterable[str]) -> None:
    """For a config schema's ``@validates("gateway_url")``: refuse a gateway URL that is
    neither official nor allowed by the platform (a field error; nothing is saved)."""
    official = tuple(official)
    if not is_allowed(url, official):
        raise FieldError(
            f"Not an allowed payment gateway: use {' or '.join(official)}, or ask the platform "
            "to allow another."
        )


def ensure_gateway(url: str, official: Iterable[str]) -> None:
    """Before calling a gateway: refuse one a config saved earlier still names (``PluginError``
    ``gateway_not_allowed``; the buyer sees no address)."""
    if not is_allowed(url, tuple(official)):
        raise PluginError(
            "the store's payment gateway address is not allowed", code="gateway_not_allowed"
        )
