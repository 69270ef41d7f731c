"""The gateway-simulator kit: plumbing a payment plugin's local simulator is built from.

Each payment plugin ships its own simulator (``plugins/payment_wechat/simulator.py``,
``plugins/payment_alipay/simulator.py``) for its tests and for ``mallkit demo``. A simulator
generates its own keys and carries its own protocol code (signing, verification, encryption),
kept apart from the plugin's client code, so one shared bug cannot make both sides agree.

Shared here is only plumbing that carries no protocol knowledge: serving a WSGI app on
loopback, mounting one under the demo server, an accelerated clock, an RSA key pair, and the
outbox that delivers notifications on a retry ladder.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from mallkit.core.payments.gateways import allow_gateway

Sender = Callable[[str, dict[str, str], bytes], tuple[int, bytes]]


class LoopbackServer:
    """A WSGI app served on 127.0.0.1 in a daemon thread (``.url``, ``.stop()``).

    ``wait_idle()`` waits for the requests being served: a client that timed out has moved
    on while the server may still be working on its request (a slow-reply fault), and a test
    resetting a shared simulator must not have that request land after the reset.
    """

    def __init__(self, app: Any, port: int = 0) -> None:
        self._serving = 0
        self._idle = threading.Condition()
        self.server = make_server("127.0.0.1", port, self._counted(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _counted(self, app: Any) -> Any:
        def wsgi(environ: dict, start_response: Callable) -> list[bytes]:
            with self._idle:
                self._serving += 1
            try:
                result = app(environ, start_response)
                try:
                    return list(result)
                finally:
                    if hasattr(result, "close"):
                        result.close()
            finally:
                with self._idle:
                    self._serving -= 1
                    self._idle.notify_all()

        return wsgi

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no request is being served; False if one still is after ``timeout``."""
        with self._idle:
            return self._idle.wait_for(lambda: self._serving == 0, timeout)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def mount(app: Any, path: str, wsgi_app: Any) -> None:
    """Serve ``wsgi_app`` under ``path`` of the Flask ``app`` (the demo's ``/_sim/<name>``)."""
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {path: wsgi_app})


def mount_simulator(app: Any, simulator: Any, base_url: str, path: str, speed: float) -> str:
    """Serve a gateway simulator under ``path`` of the demo server at ``base_url``, its
    notification outbox delivering in the background with the retry ladder ``speed`` times
    faster; returns the simulator's public URL, which merchants may then use as their gateway
    (``allow_gateway``)."""
    simulator.public_url = base_url.rstrip("/") + path
    simulator.outbox.speed = speed
    simulator.outbox.start()
    mount(app, path, simulator)
    allow_gateway(app, simulator.public_url)
    return simulator.public_url


def rsa_key_pair() -> tuple[str, str]:
    """A fresh 2048-bit RSA key pair as PEM text: (PKCS#8 private key, SubjectPublicKeyInfo)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class Clock:
    """The simulator's clock: real time shifted by ``offset`` and sped up by ``speed`` (so a
    24-hour retry ladder can run in seconds). ``now()`` is Unix seconds."""

    def __init__(self, speed: float = 1.0, offset: float = 0.0) -> None:
        self.speed = speed
        self.offset = offset
        self._start = time.time()

    def now(self) -> float:
        real = time.time()
        return self._start + (real - self._start) * self.speed + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def http_sender(timeout: float = 5.0) -> Sender:
    """POST over real HTTP; a network error counts as a failed delivery (status 0)."""

    def send(url: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            return 0, b""

    return send


@dataclass
class Delivery:
    """One notification waiting to be delivered. ``build`` makes (headers, body) at send time,
    so a retry is signed afresh like the real gateways do."""

    url: str
    build: Callable[[], tuple[dict[str, str], bytes]]
    due: float
    attempts: int = 0
    done: bool = False
    replies: list[tuple[int, bytes]] = field(default_factory=list)


class Outbox:
    """Notifications with the gateway's retry ladder (seconds after the first try)."""

    def __init__(
        self,
        ladder: tuple[int, ...],
        accepted: Callable[[int, bytes], bool],
        clock: Clock,
        sender: Sender | None = None,
        speed: float = 1.0,
    ) -> None:
        self.ladder = ladder
        self.speed = speed  # > 1 runs the ladder faster than real time (the demo)
        self.accepted = accepted
        self.clock = clock
        self.sender = sender or http_sender()
        self.queue: list[Delivery] = []
        self.lock = threading.Lock()

    def add(self, url: str, build: Callable[[], tuple[dict[str, str], bytes]]) -> Delivery:
        delivery = Delivery(url, build, self.clock.now())
        with self.lock:
            self.queue.append(delivery)
        return delivery

    def deliver_due(self, now: float | None = None) -> int:
        """Send every delivery that is due; return how many were sent."""
        now = self.clock.now() if now is None else now
        with self.lock:
            due = [d for d in self.queue if not d.done and d.due <= now]
        for d in due:
            headers, body = d.build()
            status, reply = self.sender(d.url, headers, body)
            d.replies.append((status, reply))
            d.attempts += 1
            if self.accepted(status, reply):
                d.done = True
            elif d.attempts > len(self.ladder):
                d.done = True  # given up, like the gateway after its last retry
            else:
                d.due = now + self.ladder[d.attempts - 1] / self.speed
        with self.lock:
            self.queue = [d for d in self.queue if not d.done]
        return len(due)

    def run_ladder(self) -> list[Delivery]:
        """Deliver everything now and keep retrying on the ladder until accepted or given up
        (time jumps ahead instead of waiting)."""
        with self.lock:
            pending = list(self.queue)
        while self.queue:
            nxt = min(d.due for d in self.queue)
            self.deliver_due(max(nxt, self.clock.now()))
        return pending

    def start(self, interval: float = 0.5) -> threading.Thread:
        """Deliver in the background (the demo)."""

        def loop() -> None:
            while True:
                try:
                    self.deliver_due()
                except Exception:  # a simulator must not die on a bad notify URL
                    pass
                time.sleep(interval)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        return thread
