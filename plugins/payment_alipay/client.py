"""The Alipay gateway client: signed form POSTs to ``gateway.do``, responses verified over
their raw text, retries on network errors only."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from mallkit.core.plugin_api import MallkitError
from mallkit.plugins.payment_alipay import protocol

log = logging.getLogger("mallkit.payment_alipay")


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
        return self.config["gateway_url"] + "?" + urlencode(self.signed(method, biz, **extra))

    def call(self, method: str, biz: dict[str, Any], **extra: str) -> dict[str, Any]:
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
                raise GatewayRefused(
                    f"Alipay answered HTTP {exc.code}", errors={"gateway": [str(exc.code)]}
                ) from None
            except (urllib.error.URLError, OSError) as exc:
                last = exc
                log.warning("alipay %s: network error (try %d): %s", method, attempt, exc)
        else:
            raise GatewayUnavailable(f"Alipay is unreachable: {last}")
        try:
            return protocol.verify_response(self.public_key, text, method)
        except (protocol.VerificationError, ValueError) as exc:
            raise GatewayRefused(
                f"Alipay response does not verify: {exc}", code="gateway_unverified"
            ) from None


def refused(value: dict[str, Any]) -> GatewayRefused:
    code = str(value.get("sub_code") or value.get("code") or "")
    return GatewayRefused(
        f"Alipay refused: {code} {str(value.get('sub_msg') or value.get('msg') or '')[:200]}",
        errors={"gateway": [code]},
    )
