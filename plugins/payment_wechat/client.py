"""The WeChat Pay v3 HTTP client: signs each request once (the exact bytes and request target
sent), verifies each response, retries on network errors only (never on an HTTP answer)."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mallkit.core.plugin_api import MallkitError, ensure_gateway
from mallkit.plugins.payment_wechat import protocol
from mallkit.plugins.payment_wechat.schemas import OFFICIAL_GATEWAYS

log = logging.getLogger("mallkit.payment_wechat")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # a gateway error code the buyer may see
USER_AGENT = "mallkit-payment-wechat/1.0"


class GatewayUnavailable(MallkitError):
    """The gateway could not be reached (after the retries)."""

    status = 503
    code = "gateway_unavailable"


class GatewayRefused(MallkitError):
    """The gateway answered with an error, or with a response that does not verify."""

    status = 502
    code = "gateway_refused"


def http_request(
    method: str, url: str, body: bytes, headers: dict[str, str], timeout: float, retries: int
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP exchange; retried ``retries`` times on network errors and timeouts only."""
    last: Exception | None = None
    for attempt in range(retries + 1):
        req = urllib.request.Request(
            url, data=body if method != "GET" else None, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, dict(resp.headers.items()), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers.items()), exc.read()
        except (urllib.error.URLError, OSError) as exc:  # refused, reset, timed out
            last = exc
            log.warning("wechat pay %s %s: network error (try %d): %s", method, url, attempt, exc)
    log.warning("wechat pay %s: unreachable: %s", method, last)
    raise GatewayUnavailable("WeChat Pay cannot be reached; try again later")


class WeChatClient:
    """Calls for one merchant's configuration; ``clock`` and ``nonce`` are injectable."""

    def __init__(
        self,
        config: dict[str, Any],
        keys: dict[str, Any],
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: secrets.token_hex(16).upper(),
    ) -> None:
        self.config = config
        self.keys = keys
        self.clock = clock
        self.nonce = nonce
        self.private_key = protocol.load_private_key(config["private_key"])

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Send a signed request; return (status, verified JSON). A 2xx that is unsigned or
        does not verify raises :class:`GatewayRefused`."""
        ensure_gateway(self.config["gateway_url"], OFFICIAL_GATEWAYS)
        raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        base = self.config["gateway_url"].rstrip("/")
        target = urlsplit(base).path + path
        timestamp, nonce = str(int(self.clock())), self.nonce()
        signature = protocol.sign(
            self.private_key, protocol.request_message(method, target, timestamp, nonce, raw)
        )
        headers = {
            "Authorization": protocol.authorization(
                self.config["mchid"], self.config["merchant_serial"], timestamp, nonce, signature
            ),
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        status, resp_headers, resp_body = http_request(
            method,
            base + path,
            raw,
            headers,
            self.config.get("timeout", 10.0),
            self.config.get("retries", 2),
        )
        signed = bool(protocol.header(resp_headers, "Wechatpay-Signature"))
        if 200 <= status < 300 or signed:
            try:
                protocol.verify_signed(resp_headers, resp_body, self.keys, self.clock())
            except protocol.VerificationError as exc:
                log.warning("wechat pay %s %s: response does not verify: %s", method, path, exc)
                raise GatewayRefused(
                    "WeChat Pay's answer could not be verified", code="gateway_unverified"
                ) from None
        try:
            data = json.loads(resp_body) if resp_body else {}
        except ValueError:
            data = {}
        return status, data if isinstance(data, dict) else {}


def refused(status: int, data: dict[str, Any]) -> GatewayRefused:
    code = str(data.get("code", "")) or f"HTTP_{status}"
    code = code if _CODE.fullmatch(code) else f"HTTP_{status}"
    log.warning("wechat pay refused: %s %s", code, str(data.get("message", ""))[:200])
    return GatewayRefused(f"WeChat Pay refused the request ({code})", errors={"gateway": [code]})
