"""A local parcel-tracking aggregator simulator (in the manner of Kuaidi100 and its peers).

Customers subscribe tracking numbers with a signed request; the simulator then plays each
parcel's trail — 揽收, 在途, 派件, 签收 (or 疑难 for a number ending in ``EX``) — one event per
``advance``, and pushes the whole trail so far to the subscription's callback URL after each
event: a JSON body signed with HMAC-SHA256 over ``timestamp + "\\n" + body`` with the
customer's key, re-signed at each retry, retried on a ladder until the receiver answers
``200 {"result": true}``. ``/query`` answers the trail on demand. Faults can be injected.

Protocol code here is written independently of the plugin's client
(``mallkit.plugins.tracking.simcarrier``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from mallkit.core.plugin_api import simkit

# Seconds between pushes of one event that was not accepted: 6 retries over ~3.5 h.
RETRY_LADDER = (60, 300, 900, 1800, 3600, 7200)
TZ = dt.timezone(dt.timedelta(hours=8))
# state codes as aggregators send them: 1 揽收, 0 在途, 5 派件, 3 签收, 2 疑难
SCRIPT = (
    ("1", "快件已揽收", "深圳南山营业部"),
    ("0", "快件已发往 上海转运中心", "深圳转运中心"),
    ("5", "快件派送中，派件员 王师傅 138****0000", "上海浦东营业部"),
    ("3", "快件已签收，签收人：本人", "上海浦东营业部"),
)
TROUBLE = (
    ("1", "快件已揽收", "深圳南山营业部"),
    ("0", "快件已发往 上海转运中心", "深圳转运中心"),
    ("2", "收件地址不详，快件滞留", "上海转运中心"),
)
WINDOW = 300


@dataclass
class SimParcel:
    customer: str
    company: str
    number: str
    callback_url: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def script(self) -> tuple[tuple[str, str, str], ...]:
        return TROUBLE if self.number.upper().endswith("EX") else SCRIPT


class TrackingSimulator:
    """The aggregator. Use as a WSGI app, or serve it on loopback (``simkit.LoopbackServer``)."""

    def __init__(
        self, clock: simkit.Clock | None = None, sender: simkit.Sender | None = None
    ) -> None:
        self.clock = clock or simkit.Clock()
        self.customers: dict[str, str] = {}  # customer id → key
        self.parcels: dict[tuple[str, str], SimParcel] = {}
        self.requests: list[tuple[str, int]] = []
        self.faults: list[str] = []  # "bad_signature", "stale_timestamp", consumed per push
        self.public_url = ""
        self.lock = threading.Lock()
        self.outbox = simkit.Outbox(RETRY_LADDER, self._accepted, self.clock, sender)

    @staticmethod
    def _accepted(status: int, body: bytes) -> bool:
        if status != 200:
            return False
        try:
            return json.loads(body or b"{}").get("result") is True
        except ValueError:
            return False

    def add_customer(self, customer: str, key: str) -> None:
        self.customers[customer] = key

    # -- signing --------------------------------------------------------------------------

    @staticmethod
    def _sign(key: str, timestamp: str, body: bytes) -> str:
        return hmac.new(key.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()

    def _verify(self, request: Request) -> str | None:
        """The customer of a correctly signed, fresh request, or None."""
        customer = request.headers.get("X-Track-Customer", "")
        key = self.customers.get(customer)
        timestamp = request.headers.get("X-Track-Timestamp", "")
        if key is None or not timestamp.isdigit():
            return None
        if abs(self.clock.now() - int(timestamp)) > WINDOW:
            return None
        expected = self._sign(key, timestamp, request.get_data())
        if not hmac.compare_digest(expected, request.headers.get("X-Track-Signature", "")):
            return None
        return customer

    # -- playing trails -------------------------------------------------------------------

    def advance(self, number: str, company: str | None = None) -> dict[str, Any] | None:
        """Add the parcel's next event and push its trail; None when the trail is over."""
        with self.lock:
            parcel = next(
                (
                    p
                    for (c, n), p in self.parcels.items()
                    if n == number and (company is None or c == company)
                ),
                None,
            )
            if parcel is None or len(parcel.events) >= len(parcel.script):
                return None
            state, context, area = parcel.script[len(parcel.events)]
            now = dt.datetime.fromtimestamp(self.clock.now(), TZ)
            event = {
                "id": f"{parcel.number}-{len(parcel.events) + 1}",
                "state": state,
                "context": context,
                "area": area,
                "ftime": now.strftime("%Y-%m-%d %H:%M:%S"),
            }
            parcel.events.append(event)
            snapshot = self._trail(parcel)
        self._push(parcel, snapshot)
        return event

    def advance_all(self) -> int:
        moved = 0
        for company, number in list(self.parcels):
            moved += self.advance(number, company) is not None
        return moved

    def autoplay(self, every: float) -> threading.Thread:
        """Advance every parcel each ``every`` seconds (the demo)."""

        def loop() -> None:
            while True:
                time.sleep(every)
                try:
                    self.advance_all()
                except Exception:  # a simulator must not die
                    pass

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread

    @staticmethod
    def _trail(parcel: SimParcel) -> dict[str, Any]:
        last = parcel.events[-1]["state"] if parcel.events else ""
        return {
            "com": parcel.company,
            "nu": parcel.number,
            "state": last,
            "ischeck": "1" if last == "3" else "0",
            "data": list(reversed(parcel.events)),  # newest first, as aggregators send
        }

    def _push(self, parcel: SimParcel, trail: dict[str, Any]) -> None:
        key = self.customers[parcel.customer]

        def build() -> tuple[dict[str, str], bytes]:
            body = json.dumps({"status": "polling", "lastResult": trail}, ensure_ascii=False)
            raw = body.encode()
            timestamp = str(int(self.clock.now()))
            fault = self.faults.pop(0) if self.faults else ""
            if fault == "stale_timestamp":
                timestamp = str(int(self.clock.now()) - 3600)
            signature = self._sign(key, timestamp, raw)
            if fault == "bad_signature":
                signature = "0" * 64
            return (
                {
                    "Content-Type": "application/json",
                    "X-Track-Timestamp": timestamp,
                    "X-Track-Signature": signature,
                },
                raw,
            )

        self.outbox.add(parcel.callback_url, build)

    # -- WSGI -----------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self._handle(request)
        self.requests.append((request.path, response.status_code))
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        def answer(status: int, payload: dict[str, Any]) -> Response:
            return Response(
                json.dumps(payload, ensure_ascii=False), status, mimetype="application/json"
            )

        if request.method != "POST" or request.path not in ("/subscribe", "/query"):
            return answer(404, {"result": False, "message": "not found"})
        customer = self._verify(request)
        if customer is None:
            return answer(401, {"result": False, "message": "bad signature"})
        try:
            data = json.loads(request.get_data() or b"{}")
            company, number = str(data["com"]), str(data["nu"])
        except (ValueError, KeyError, TypeError):
            return answer(400, {"result": False, "message": "com and nu are required"})
        if not number or len(number) > 40:
            return answer(400, {"result": False, "message": "bad tracking number"})
        with self.lock:
            parcel = self.parcels.get((company, number))
            if request.path == "/subscribe":
                callback = str(data.get("callbackurl") or "")
                if not callback.startswith(("http://", "https://")):
                    return answer(400, {"result": False, "message": "callbackurl required"})
                if parcel is None:
                    self.parcels[(company, number)] = SimParcel(customer, company, number, callback)
                else:
                    parcel.callback_url = callback  # re-subscribing changes the callback
                return answer(200, {"result": True, "returnCode": "200"})
            if parcel is None or parcel.customer != customer:
                return answer(200, {"result": False, "message": "no such parcel"})
            return answer(200, {"result": True, **self._trail(parcel)})
