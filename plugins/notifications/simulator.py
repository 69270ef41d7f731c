"""A local SMS gateway for tests and the demo: accepts ``POST /send`` with ``{"to", "text",
"reference"}``, keeps what it received, and lists it at ``GET /messages``.

Like real aggregators it drops a ``reference`` it has already accepted (answering the first
id again), so a sender retrying after a lost answer does not text twice. ``fail_next(n)``
makes the next ``n`` sends answer ``503``, for retry tests. It carries no code of the
plugin's SMS client, so a shared bug cannot make both sides agree.
"""

from __future__ import annotations

import itertools
import json
import threading
from typing import Any

from werkzeug.wrappers import Request, Response


class SmsSimulator:
    """A WSGI app; ``messages`` is what it accepted, oldest first."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self._by_reference: dict[str, str] = {}
        self._failures = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures = count

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self._by_reference.clear()
            self._failures = 0

    def received(self, phone: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if phone is None or m["to"] == phone]

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        if request.method == "GET" and request.path.rstrip("/").endswith("/messages"):
            response = Response(
                json.dumps(self.received(), ensure_ascii=False), content_type="application/json"
            )
        elif request.method == "POST" and request.path.rstrip("/").endswith("/send"):
            response = self._send(request)
        else:
            response = Response('{"error": "not found"}', 404, content_type="application/json")
        return response(environ, start_response)

    def _send(self, request: Request) -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not data.get("to") or not data.get("text"):
            return Response('{"error": "to and text are required"}', 400)
        with self._lock:
            if self._failures:
                self._failures -= 1
                return Response('{"error": "busy"}', 503, content_type="application/json")
            reference = str(data.get("reference") or "")
            if reference and reference in self._by_reference:
                sms_id = self._by_reference[reference]
            else:
                sms_id = f"sim-{next(self._ids)}"
                self._by_reference[reference] = sms_id
                self.messages.append(
                    {"id": sms_id, "to": data["to"], "text": data["text"], "reference": reference}
                )
        return Response(json.dumps({"id": sms_id}), content_type="application/json")
