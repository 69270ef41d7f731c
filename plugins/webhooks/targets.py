"""Where webhooks may go, and the one HTTP client that takes them there.

A merchant types the address, so the server must not become their way into the platform's
own network (SSRF): an endpoint must be ``https://``, and every address its host resolves to
must be public — no loopback, private (RFC 1918, unique-local), link-local (the cloud
metadata service at 169.254.169.254), carrier-grade NAT, multicast, reserved or unspecified
addresses, in IPv4 or IPv6 (IPv4-mapped included). The check runs when the endpoint is saved
*and* at every delivery, and the connection goes to the very address that was checked (with
the host name kept for TLS), so a DNS answer changed in between (rebinding) cannot redirect
it. Redirects are not followed.

The platform may allow exceptions: ``WEBHOOK_ALLOWED_TARGETS`` lists URL prefixes
(``http://127.0.0.1:9000/``, ``https://erp.internal/``) that pass whatever they resolve to and
whatever their scheme — the demo's local receiver is one. A prefix is compared by scheme, host
and port, then path: not as text, where ``https://erp.internal`` would also allow
``https://erp.internal.evil.com``.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app

from mallkit.core.plugin_api import ValidationError


class TargetRefused(Exception):
    """The address may not be called."""


def allowed_prefixes() -> list[str]:
    """``WEBHOOK_ALLOWED_TARGETS``: a list, or from the environment a JSON list or a
    comma-separated string."""
    value = current_app.config.get("WEBHOOK_ALLOWED_TARGETS") or []
    if isinstance(value, str):
        value = json.loads(value) if value.lstrip().startswith("[") else value.split(",")
    return [str(prefix).strip() for prefix in value if str(prefix).strip()]


def _origin(parts) -> tuple[str, str, int | None]:
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _allowed_prefix(url: str) -> bool:
    """Does ``url`` fall under an allowed prefix: the same scheme, host and port, and a path
    that starts with the prefix's? (Not the text alone: ``http://10.0.0.5:80`` would also
    allow ``http://10.0.0.5:8080/``, ``https://erp.internal`` ``https://erp.internal.evil.com``.)"""
    parts = urlsplit(url)
    for prefix in allowed_prefixes():
        allowed = urlsplit(prefix)
        if (
            _origin(parts) == _origin(allowed)
            and allowed.hostname
            and parts.path.startswith(allowed.path)
        ):
            return True
    return False


def public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def resolve(url: str) -> Target:
    """Check ``url`` against the policy and resolve it; ``TargetRefused`` says why not."""
    parts = urlsplit(url)
    allowed = _allowed_prefix(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("the address must be an https:// URL")
    if parts.scheme != "https" and not allowed:
        raise TargetRefused("the address must be an https:// URL")
    if parts.username or parts.password:
        raise TargetRefused("the address may not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("the port is not valid") from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host {parts.hostname!r} does not resolve") from exc
    addresses = tuple(dict.fromkeys(info[4][0] for info in infos))
    if not allowed:
        private = [a for a in addresses if not public(a)]
        if private:
            raise TargetRefused(
                f"the host resolves to an address that is not public ({private[0]})"
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, addresses)


def check(url: str) -> None:
    """For a route: refuse a bad endpoint address with a field error."""
    try:
        resolve(url)
    except TargetRefused as exc:
        raise ValidationError(
            "this address cannot receive webhooks",
            code="webhook_target_refused",
            errors={"url": [str(exc)]},
        ) from exc


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, verifying the certificate for the host name."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(
    url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0
) -> tuple[int, bytes]:
    """POST ``body`` to ``url`` under the target policy; (status, first 2 KB of the answer).
    Network errors raise ``OSError``; a refused target ``TargetRefused``."""
    target = resolve(url)
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = kind(target, target.addresses[0], timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(2048)
    finally:
        connection.close()
