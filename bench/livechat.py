"""Live chat under load: 200 WebSocket clients on one machine.

200 buyers, each connected to their own conversation with one store, send messages; a staff
connection (the store's owner, online) receives every message of the store. Two figures per
set-up:

- throughput: messages per second sustained when every buyer sends in a closed loop (send,
  wait for the server's ack, send again) — the server saturated;
- delivery latency, p50/p95: at a steady offered load below that (``--rate`` messages per
  second spread over the 200 buyers), from a buyer's send to the staff connection receiving
  it — through the database write, the commit, the broker and the other connection's
  writer thread.

Two set-ups, measured in the same run, the first being the baseline:

(a) one app process (gunicorn, one ``gthread`` worker), the in-process broker;
(b) two app processes (two gunicorn instances, one worker each) sharing Redis pub/sub, the
    buyers on one and the staff connection on the other — every message crosses processes.

The clients run in this process (a reader thread each), on the same cores as the servers.

    python bench/livechat.py [--backend sqlite|postgresql] [--clients 200] [--seconds 10]
        [--rate 40] [--pg-base postgresql://...] [--redis redis://127.0.0.1:6379/15]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid

from common import PG_BASE, Backend, pg_reachable

THREADS_PER_WORKER = 256


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, clients: int) -> tuple[int, str, list[str]]:
    """A store with live chat, its owner and ``clients`` buyers; their tokens."""
    from mallkit.core import migrate, plugin_settings
    from mallkit.core.accounts import auth
    from mallkit.core.accounts.merchants.service import create_merchant
    from mallkit.core.accounts.models import User
    from mallkit.core.app import create_app
    from mallkit.plugins.livechat import service as livechat

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
    migrate.upgrade(app.extensions["mallkit"].plugins)
    with app.app_context():
        hashed = auth.hash_password("bench-pass-1")  # one hash for all: scrypt is slow
        owner = User.create(email="owner@bench.test", name="owner", password_hash=hashed)
        merchant = create_merchant({"name": "Chat bench"}, owner=owner)
        plugin_settings.enable(merchant, "livechat", {"messages_per_minute": 600})
        owner_token, _ = auth.issue_token(owner)
        # The owner answers: online, so buyers' messages are routed to them (the staff
        # connection's heartbeats keep it so).
        livechat.set_presence(merchant.id, owner.id, "online")
        tokens = []
        for n in range(clients):
            user = User.create(email=f"b{n}@bench.test", name=f"b{n}", password_hash=hashed)
            tokens.append(auth.issue_token(user)[0])
    return merchant.id, owner_token, tokens


def start_server(url: str, port: int, redis: str | None, prefix: str) -> subprocess.Popen:
    """docs/deployment.md's set-up for WebSockets: gunicorn with gthread workers, one thread
    per connection."""
    env = {**os.environ, "MALLKIT_DATABASE_URL": url, "MALLKIT_SECRET_KEY": "bench"}
    env["MALLKIT_LIVECHAT_CHANNEL_PREFIX"] = prefix
    env.pop("MALLKIT_REDIS_URL", None)
    if redis:
        env["MALLKIT_REDIS_URL"] = redis
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "-w", "1", "-k", "gthread", "--threads", str(THREADS_PER_WORKER)]
        + ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "mallkit.core.app:create_app()"],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


class Client:
    """A WebSocket client; its reader thread records acks and message arrival times."""

    def __init__(self, port: int, merchant_id: int, token: str, role: str = "buyer"):
        import simple_websocket

        url = f"ws://127.0.0.1:{port}/api/v1/merchants/{merchant_id}/livechat/ws?role={role}"
        self.ws = simple_websocket.Client.connect(url, headers={"Authorization": f"Bearer {token}"})
        self.acked = threading.Event()
        self.ready = threading.Event()
        self.latencies: list[float] = []
        self.received = 0
        self.errors = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        # simple-websocket's client leaves a frame that came in the same packet as the
        # handshake response (our hello) unread until more data arrives: a ping brings it.
        self.ws.send(json.dumps({"type": "ping"}))

    def _read(self) -> None:
        import simple_websocket

        try:
            while True:
                raw = self.ws.receive()
                if raw is None:
                    return
                now = time.time()
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "hello":
                    self.ready.set()
                elif kind == "ack":
                    self.acked.set()
                elif kind == "error":
                    self.errors += 1
                    self.acked.set()
                elif kind == "message" and frame["message"]["sender_role"] == "buyer":
                    self.received += 1
                    sent = float(frame["message"]["text"].split()[1])
                    self.latencies.append(now - sent)
        except simple_websocket.ConnectionClosed:
            return

    def send(self) -> None:
        self.ws.send(json.dumps({"type": "send", "text": f"t {time.time():.6f}"}))

    def send_loop(self, stop: threading.Event, counter: list[int]) -> None:
        while not stop.is_set():
            self.acked.clear()
            self.send()
            if self.acked.wait(30):
                counter.append(1)

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass


def connect_all(buyer_port, staff_port, merchant_id, owner_token, tokens):
    staff = Client(staff_port, merchant_id, owner_token, role="staff")
    buyers = [Client(buyer_port, merchant_id, t) for t in tokens]
    for c in [staff, *buyers]:
        if not c.ready.wait(30):
            raise RuntimeError("a client got no hello")
    return staff, buyers


def saturate(buyers, seconds) -> float:
    """Closed loop: acked messages per second."""
    stop, acks = threading.Event(), []
    senders = [threading.Thread(target=c.send_loop, args=(stop, acks)) for c in buyers]
    started = time.monotonic()
    for t in senders:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in senders:
        t.join()
    return len(acks) / (time.monotonic() - started)


def paced(staff, buyers, seconds, rate) -> dict:
    """Open loop at ``rate`` messages per second, round robin over the buyers."""
    staff.latencies.clear()
    received_before = staff.received
    interval, sent = 1.0 / rate, 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        buyers[sent % len(buyers)].send()
        sent += 1
        delay = start + sent * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    time.sleep(2.0)  # the last deliveries
    lat = sorted(staff.latencies)
    return {
        "sent": sent,
        "delivered": staff.received - received_before,
        "p50": statistics.median(lat) * 1000 if lat else float("nan"),
        "p95": lat[max(0, int(len(lat) * 0.95) - 1)] * 1000 if lat else float("nan"),
    }


def measure(buyer_port, staff_port, merchant_id, owner_token, tokens, seconds, rate) -> dict:
    staff, buyers = connect_all(buyer_port, staff_port, merchant_id, owner_token, tokens)
    try:
        throughput = saturate(buyers, seconds)
        time.sleep(2.0)  # let the backlog drain
        result = paced(staff, buyers, seconds, rate)
    finally:
        for c in [staff, *buyers]:
            c.close()
    return {
        **result,
        "rate": throughput,
        "errors": sum(c.errors for c in buyers),
    }


def show(label: str, r: dict, rate: float) -> None:
    print(
        f"  {label:<36} {r['rate']:6.1f} msg/s sustained;"
        f" at {rate:g} msg/s: p50 {r['p50']:6.1f} ms, p95 {r['p95']:6.1f} ms"
        f" ({r['delivered']}/{r['sent']} delivered, {r['errors']} errors)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rate", type=float, default=40, help="offered load for latency")
    parser.add_argument("--pg-base", default=PG_BASE)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args()
    if args.backend == "postgresql" and not pg_reachable(args.pg_base):
        print(f"PostgreSQL at {args.pg_base} is unreachable")
        return 1
    print(f"mallkit live-chat benchmark — {os.cpu_count()} cores, {args.clients} clients")
    backend = Backend(args.backend, args.pg_base)
    prefix = f"bench:{uuid.uuid4().hex[:8]}:livechat:"
    procs = []
    try:
        merchant_id, owner_token, tokens = seed(backend.url, args.clients)
        print(f"{backend.label}, {args.seconds:g} s each")

        port = free_port()
        procs.append(start_server(backend.url, port, None, prefix))
        one = measure(port, port, merchant_id, owner_token, tokens, args.seconds, args.rate)
        show("(a) one process, in-process broker", one, args.rate)
        procs.pop().terminate()

        a, b = free_port(), free_port()
        procs.append(start_server(backend.url, a, args.redis, prefix))
        procs.append(start_server(backend.url, b, args.redis, prefix))
        two = measure(a, b, merchant_id, owner_token, tokens, args.seconds, args.rate)
        show("(b) two processes through Redis", two, args.rate)
        print(
            f"  ratio (b)/(a): throughput {two['rate'] / one['rate']:.2f}, "
            f"p50 latency {two['p50'] / one['p50']:.2f}"
        )
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        backend.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
