"""The ``sim`` carrier: the client of the local tracking simulator's protocol (an
aggregator's shape: subscribe with a callback URL, query, signed pushes of the whole trail).

Requests and pushes carry ``X-Track-Timestamp`` (Unix seconds) and ``X-Track-Signature``, the
hex HMAC-SHA256 of ``timestamp + "\\n" + body`` with the store's key; requests also carry
``X-Track-Customer``. A push older or newer than five minutes, or signed with another key,
is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

from mallkit.core.plugin_api import ensure_gateway
from mallkit.plugins.tracking.carriers import (
    Carrier,
    CarrierError,
    InvalidPush,
    Parcel,
    Push,
    TrailEvent,
)

STATES = {
    "1": "collected",
    "0": "in_transit",
    "5": "out_for_delivery",
    "3": "delivered",
    "2": "exception",
    "4": "exception",  # 退签
    "6": "exception",  # 退回
}
WINDOW = 300
TZ = dt.timezone(dt.timedelta(hours=8))
OFFICIAL: tuple[str, ...] = ()  # a simulator: only URLs the platform allows


def signature(key: str, timestamp: str, body: bytes) -> str:
    return hmac.new(key.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def _events(trail: dict[str, Any]) -> list[TrailEvent]:
    out = []
    for item in trail.get("data") or []:
        try:
            when = dt.datetime.strptime(item["ftime"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)
            out.append(
                TrailEvent(
                    key=str(item["id"])[:64],
                    status=STATES.get(str(item["state"]), "in_transit"),
                    description=str(item.get("context", ""))[:255],
                    location=str(item.get("area", ""))[:100],
                    occurred_at=when,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidPush(f"unreadable trail event: {exc}") from exc
    return out[::-1]  # sent newest first; events of the same second keep their order


class SimCarrier(Carrier):
    code = "sim"
    title = "Tracking simulator"

    def __init__(self, clock=time.time, timeout: float = 5.0) -> None:
        self.clock = clock
        self.timeout = timeout

    def _call(self, path: str, payload: dict[str, Any], config: dict[str, Any]) -> dict:
        url = config["gateway_url"].rstrip("/")
        ensure_gateway(url, OFFICIAL)
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = str(int(self.clock()))
        request = urllib.request.Request(
            url + path,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Track-Customer": config["customer"],
                "X-Track-Timestamp": timestamp,
                "X-Track-Signature": signature(config["key"], timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                answer = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise CarrierError(f"the tracking service answered {exc.code}") from exc
        except (OSError, ValueError) as exc:
            raise CarrierError(f"the tracking service cannot be reached: {exc}") from exc
        return answer

    def subscribe(self, parcel: Parcel, config: dict[str, Any]) -> None:
        answer = self._call(
            "/subscribe",
            {"com": parcel.company, "nu": parcel.number, "callbackurl": parcel.callback_url},
            config,
        )
        if answer.get("result") is not True:
            raise CarrierError(answer.get("message") or "subscription refused")

    def query(self, parcel: Parcel, config: dict[str, Any]) -> list[TrailEvent]:
        answer = self._call("/query", {"com": parcel.company, "nu": parcel.number}, config)
        if answer.get("result") is not True:
            return []
        return _events(answer)

    def parse_push(self, headers: dict[str, str], body: bytes, config: dict[str, Any]) -> Push:
        timestamp = headers.get("X-Track-Timestamp", "")
        if not (timestamp.isascii() and timestamp.isdigit()) or (
            abs(self.clock() - int(timestamp)) > WINDOW
        ):
            raise InvalidPush("stale or missing timestamp")
        expected = signature(config["key"], timestamp, body)
        given = headers.get("X-Track-Signature", "").encode()  # bytes: any text compares
        if not hmac.compare_digest(expected.encode(), given):
            raise InvalidPush("bad signature")
        try:
            trail = json.loads(body)["lastResult"]
            return Push(str(trail["com"]), str(trail["nu"]), tuple(_events(trail)))
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidPush(f"unreadable push: {exc}") from exc


SIM = SimCarrier()
