"""A webhook receiver for the demo: a WSGI app that checks each delivery's Standard Webhooks
signature and timestamp on its own (no code shared with the sender) and lists what came at
``GET .../deliveries``, newest first."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from typing import Any

from werkzeug.wrappers import Request, Response

TOLERANCE_SECONDS = 300


def verify(secret: str, headers: Any, body: bytes, now: float | None = None) -> bool:
    """Is this a delivery signed with ``secret`` (``whsec_...``), sent within five minutes?"""
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        message_id = headers["webhook-id"]
        timestamp = int(headers["webhook-timestamp"])
        signatures = headers["webhook-signature"].split()
    except (KeyError, ValueError, TypeError):
        return False
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = base64.b64encode(
        hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    return any(
        version == "v1" and hmac.compare_digest(signature.encode(), expected.encode())
        for version, _, signature in (s.partition(",") for s in signatures)
    )


class Receiver:
    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.received: deque[dict[str, Any]] = deque(maxlen=100)
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        if request.method == "POST":
            body = request.get_data()
            ok = verify(self.secret, request.headers, body)
            try:
                event = json.loads(body)
            except ValueError:
                event = {}
            with self._lock:
                self.received.appendleft(
                    {
                        "webhook_id": request.headers.get("webhook-id", ""),
                        "type": event.get("type", ""),
                        "verified": ok,
                        "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    }
                )
            response = Response("", 204 if ok else 401)
        else:
            with self._lock:
                listed = list(self.received)
            response = Response(
                json.dumps(listed, ensure_ascii=False), content_type="application/json"
            )
        return response(environ, start_response)
