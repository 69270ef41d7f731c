"""Live-chat fixtures: the plugin on for the store, agents, a notifier plugin listening to
``on_chat_message_offline`` and ``livechat_queue_priority``, and real servers — the test's
app in a thread (werkzeug, threaded) or app processes of their own — with WebSocket clients."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import types
import uuid
from pathlib import Path

import pytest
import simple_websocket
from werkzeug.serving import make_server

from mallkit.core.accounts.merchants import service as merchants
from mallkit.core.plugins import PluginMeta
from mallkit.core.testing import TEST_SECRET, make_account
from mallkit.hookspecs import hookimpl

REDIS_URL = os.environ.get("MALLKIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# Channels of this run only: other runs may share the Redis server.
CHANNEL_PREFIX = f"mallkit-test:{os.getpid()}:{uuid.uuid4().hex[:8]}:livechat:"

# A notification plugin, as the notifications feature will be: it records what it is told.
notifier = types.ModuleType("livechat_notifier")
notifier.meta = PluginMeta(name="livechat_notifier", version="1.0.0", title="Notifier")
notifier.OFFLINE = []
notifier.PRIORITY = {}


@hookimpl
def on_chat_message_offline(merchant, message, recipient_id, unread):
    notifier.OFFLINE.append((merchant.id, message["id"], recipient_id, unread))


@hookimpl
def livechat_queue_priority(merchant_id, buyer_id):
    return notifier.PRIORITY.get(buyer_id)


notifier.on_chat_message_offline = on_chat_message_offline
notifier.livechat_queue_priority = livechat_queue_priority


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
        return True
    except Exception:
        return False


# Skipped without Redis — except where MALLKIT_TEST_REQUIRE_REDIS is set (CI: .ci/run starts
# redis-server), so the cross-process path can never be skipped silently there.
needs_redis = pytest.mark.skipif(
    not os.environ.get("MALLKIT_TEST_REQUIRE_REDIS") and not redis_available(),
    reason=f"no Redis at {REDIS_URL}",
)


@pytest.fixture
def chat(app, merchant, enable_plugin):
    """livechat on for the store (with the notifier plugin); yields the notifier."""
    notifier.OFFLINE.clear()
    notifier.PRIORITY.clear()
    with enable_plugin("livechat", merchant):
        with enable_plugin(notifier, merchant):
            yield notifier


@pytest.fixture
def make_agent(app, merchant):
    """``make_agent(name)``: a new staff member of the store with the agent role."""
    counter = iter(range(1000))

    def make(name="agent", store=None, role="agent"):
        account = make_account(email=f"{name}{next(counter)}@staff.test", name=name)
        merchants.add_staff(store or merchant, account.user.email, role)
        return account

    return make


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base(merchant_id: int) -> str:
    return f"/api/v1/merchants/{merchant_id}/livechat"


# -- real servers and clients -----------------------------------------------------------------


class Server:
    """A WSGI app served by werkzeug's threaded server on a free port, in a thread."""

    def __init__(self, app):
        self.httpd = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def live_server(app):
    """The test's app served on a real port (in-process broker unless the app has Redis)."""
    servers = []

    def serve(an_app=None):
        server = Server(an_app or app)
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


class ProcessServer:
    """An app process of its own on the test's database: werkzeug's threaded server
    (``serve_app.py``), or — ``gunicorn=True`` — gunicorn with one ``gthread`` worker, as
    docs/deployment.md runs it for WebSockets."""

    def __init__(self, database_url: str, gunicorn: bool = False, **settings):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.gunicorn = gunicorn
        if gunicorn:
            self.port = free_port()
            env.update({f"MALLKIT_{k}": str(v) for k, v in settings.items()})
            env.update(MALLKIT_DATABASE_URL=database_url, MALLKIT_SECRET_KEY=TEST_SECRET)
            args = [str(Path(sys.executable).with_name("gunicorn")), "-k", "gthread"]
            args += ["--threads", "32", "-w", "1", "-b", f"127.0.0.1:{self.port}"]
            args += ["--log-level", "warning", "mallkit.core.app:create_app()"]
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, env=env, text=True)
            return
        args = [sys.executable, str(Path(__file__).with_name("serve_app.py")), database_url]
        args += [f"{k}={v}" for k, v in settings.items()]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, env=env, text=True)
        self.port = None

    def wait_ready(self):
        if self.gunicorn:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return self
                except OSError:
                    time.sleep(0.2)
            self.stop()
            raise RuntimeError("gunicorn did not start")
        line = self.proc.stdout.readline()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError(f"app process did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


@pytest.fixture
def app_process(mallkit_database_url):
    """``app_process(n, gunicorn=(indexes...), **settings)``: start ``n`` app processes at
    once (in parallel: each takes seconds to import), those at ``gunicorn`` indexes under
    gunicorn; stopped after the test."""
    procs = []

    def start(n, *, gunicorn=(), **settings):
        started = [
            ProcessServer(mallkit_database_url, gunicorn=i in gunicorn, **settings)
            for i in range(n)
        ]
        procs.extend(started)
        return [p.wait_ready() for p in started]

    yield start
    for proc in procs:
        proc.stop()


class ChatClient:
    """A WebSocket client that collects every frame in a background thread."""

    def __init__(self, port, merchant_id, token=None, *, role="buyer", last_id=None, header=True):
        query = [f"role={role}"]
        if token and not header:
            query.append(f"token={token}")
        if last_id is not None:
            query.append(f"last_id={last_id}")
        url = f"ws://127.0.0.1:{port}{base(merchant_id)}/ws?{'&'.join(query)}"
        headers = {"Authorization": f"Bearer {token}"} if token and header else None
        self.ws = simple_websocket.Client.connect(url, headers=headers)
        self.frames: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        self.closed = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if token:
            # simple-websocket's client leaves a frame that came in the same packet as the
            # handshake response (the hello) unread until more data arrives; a pong brings it.
            self.send(type="ping")

    def _read(self):
        try:
            while True:
                raw = self.ws.receive()
                if raw is None:
                    break
                self.frames.put(json.loads(raw))
        except simple_websocket.ConnectionClosed:
            pass
        finally:
            self.closed.set()

    def send(self, **frame):
        self.ws.send(json.dumps(frame))

    def next(self, type_=None, timeout=5.0):
        """The next frame (of ``type_``), waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {type_ or 'frame'} within {timeout}s; saw {self.seen}")
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(frame)
            if type_ is None or frame["type"] == type_:
                return frame

    def messages(self, n, timeout=5.0):
        """The next ``n`` message frames' messages."""
        return [self.next("message", timeout)["message"] for _ in range(n)]

    def nothing_more(self, type_="message", wait=0.3):
        """No frame of ``type_`` arrives within ``wait`` seconds."""
        time.sleep(wait)
        while not self.frames.empty():
            frame = self.frames.get()
            self.seen.append(frame)
            if frame["type"] == type_:
                return False
        return True

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        self.closed.wait(2)


@pytest.fixture
def connect():
    """``connect(port, merchant_id, token, ...)``: a WebSocket client, closed after the test."""
    clients = []

    def open_(*args, **kwargs):
        client = ChatClient(*args, **kwargs)
        clients.append(client)
        return client

    yield open_
    for client in clients:
        client.close()
