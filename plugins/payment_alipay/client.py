"""The Alipay gateway client: signed form POSTs to ``gateway.do``, responses verified over
their raw text, retries on network errors only."""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from mallkit.core.plugin_api import MallkitError, ensure_gateway
from mallkit.plugins.payment_alipay import protocol
from mallkit.plugins.payment_alipay.schemas import OFFICIAL_GATEWAYS

log = logging.getLogger("mallkit.payment_alipay")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def safe_code(value: Any) -> str:
    """A gateway's error code as the buyer may see it (its text is only logged)."""
    text = str(value or "")
    return text if _CODE.fullmatch(text) else "unknown"


class GatewayUnavailable(MallkitError):
    status = 503
    code = "gateway_unavailable"


class GatewayRefused(MallkitError):
    status = 502
    code = "gateway_refused"


def common_params(
    config: dict[str, Any], method: str, biz: dict[str, Any], now: float
) -> dict[str, str]:
    return {
        "app_id": config["app_id"],
        "method": method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": protocol.timestamp(now),
        "version": "1.0",
        "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
    }


class AlipayClient:
    def __init__(self, config: dict[str, Any], clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.private_key = protocol.load_private_key(config["app_private_key"])
        self.public_key = protocol.load_public_key(config["alipay_public_key"])

    def signed(self, method: str, biz: dict[str, Any], **extra: str) -> dict[str, str]:
        params = common_params(self.config, method, biz, self.clock())
        params.update({k: v for k, v in extra.items() if v})
        params["sign"] = protocol.sign_request(self.private_key, params)
        return params

    def page_url(self, method: str, biz: dict[str, Any], **extra: str) -> str:
        """The URL the buyer's browser opens (page / wap pay): a signed GET of gateway.do."""
        ensure_gateway(self.config["gateway_url"], OFFICIAL_GATEWAYS)
        return self.config["gateway_url"] + "?" + urlencode(self.signed(method, biz, **extra))

    def call(self, method: str, biz: dict[str, Any], **extra: str) -> dict[str, Any]:
        ensure_gateway(self.config["gateway_url"], OFFICIAL_GATEWAYS)
        body = urlencode(self.signed(method, biz, **extra)).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
        last: Exception | None = None
        for attempt in range(self.config.get("retries", 2) + 1):
            req = urllib.request.Request(self.config["gateway_url"], data=body, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.config.get("timeout", 10.0)) as resp:
                    text = resp.read().decode("utf-8")
                break
            except urllib.error.HTTPError as exc:
                log.warning("alipay %s: HTTP %s", method, exc.code)
                raise GatewayRefused(
                    "Alipay refused the request", errors={"gateway": [f"HTTP_{exc.code}"]}
                ) from None
            except (urllib.error.URLError, OSError) as exc:
                last = exc
                log.warning("alipay %s: network error (try %d): %s", method, attempt, exc)
        else:
            log.warning("alipay %s: unreachable: %s", method, last)
            raise GatewayUnavailable("Alipay cannot be reached; try again later")
        try:
            return protocol.verify_response(self.public_key, text, method)
        except (protocol.VerificationError, ValueError) as exc:
            log.warning("alipay %s: response does not verify: %s", method, exc)
            raise GatewayRefused(
                "Alipay's answer could not be verified", code="gateway_unverified"
            ) from None


def refused(value: dict[str, Any]) -> GatewayRefused:
    code = safe_code(value.get("sub_code") or value.get("code"))
    log.warning(
        "alipay refused: %s %s", code, str(value.get("sub_msg") or value.get("msg") or "")[:200]
    )
    return GatewayRefused(f"Alipay refused the request ({code})", errors={"gateway": [code]})
