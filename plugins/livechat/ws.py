"""The live-chat WebSocket: ``/api/v1/merchants/<id>/livechat/ws``.

``flask-sock`` (on ``simple-websocket``) runs it inside the ordinary WSGI app: under
werkzeug's threaded server and gunicorn's ``gthread`` workers each connection holds one
thread (docs/deployment.md). A connection:

1. authenticates with the REST bearer token — the ``Authorization`` header, ``?token=``, or
   a first message ``{"type": "auth", "token": ...}`` — as the buyer (default) or, with
   ``?role=staff``, as the store's staff;
2. subscribes to its channels (the buyer's conversation, or the whole store for staff)
   *before* reading the database, then replays the messages after ``?last_id=`` (the last
   message id the client saw), so nothing falls between the catch-up and the live stream;
3. sends every event through one writer thread, in order per conversation: a message whose
   number is not the next one the connection has sent pulls the missing ones from the
   database first, and one it has sent already is dropped.

The frames are listed in docs/plugins/livechat.md.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any

from flask import current_app, request
from flask_sock import Sock
from marshmallow import ValidationError as MarshmallowError
from peewee import fn
from simple_websocket import ConnectionClosed

from mallkit.core.plugin_api import (
    MallkitError,
    NotFound,
    Unauthorized,
    ValidationError,
    database,
    merchant_plugins,
    require_staff,
    require_user,
)
from mallkit.plugins.livechat import service
from mallkit.plugins.livechat.api import BASE, blp
from mallkit.plugins.livechat.broker import LocalBroker, RedisBroker
from mallkit.plugins.livechat.models import BUYER, STAFF, Conversation, Message
from mallkit.plugins.livechat.schemas import MessageIn

log = logging.getLogger(__name__)
sock = Sock()
AUTH_SECONDS = 10  # how long a connection without a token may take to send one
CATCH_UP_LIMIT = 500  # more than this after last_id: read the rest over REST
CLOSE = object()  # put on a connection's queue: close it after what is queued before


class LiveChat:
    """What one app holds for live chat: its broker."""

    def __init__(self, broker: LocalBroker) -> None:
        self.broker = broker


# simple-websocket's options: frames over 64 KiB close the connection (code 1009) before
# they are read whole; the server pings every 25 s so dead peers are noticed and idle
# proxies keep the connection open.
SERVER_OPTIONS = {"max_message_size": 64 * 1024, "ping_interval": 25}


def init_app(app: Any) -> None:
    app.config.setdefault("SOCK_SERVER_OPTIONS", SERVER_OPTIONS)
    url = app.config.get("REDIS_URL")
    prefix = app.config.get("LIVECHAT_CHANNEL_PREFIX", "mallkit:livechat:")
    app.extensions[service.PLUGIN] = LiveChat(RedisBroker(url, prefix) if url else LocalBroker())


def _use_token(token: str) -> None:
    # One way to check who is asking: a token from the query string or the first message
    # becomes the request's Authorization header, and the REST checks run as for any route.
    request.environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    request.environ.pop("mallkit.user", None)


def _authorise(merchant_id: int) -> tuple[Any, str]:
    if request.args.get("role", "buyer") == "staff":
        return require_staff(merchant_id), STAFF
    return require_user(), BUYER


@blp.before_request
def _check_socket_handshake() -> None:
    """Refuse a bad handshake with a plain HTTP error before upgrading: unknown role, bad
    token (401), staff of another store (403)."""
    if request.endpoint != f"{blp.name}.chat_socket":
        return
    if request.args.get("role", "buyer") not in (BUYER, STAFF):
        raise ValidationError(
            "role is buyer or staff", code="invalid_role", errors={"role": ["buyer or staff"]}
        )
    token = request.args.get("token")
    if token:
        _use_token(token)
    if request.headers.get("Authorization"):
        _authorise(request.view_args["merchant_id"])
        database.close()


@sock.route(f"{BASE}/ws", bp=blp)
def chat_socket(ws, merchant_id):
    """Live chat (a WebSocket; see docs/plugins/livechat.md)."""
    Connection(current_app._get_current_object(), ws, merchant_id).run()


class Connection:
    """One WebSocket client."""

    def __init__(self, app: Any, ws: Any, merchant_id: int) -> None:
        self.app, self.ws, self.merchant_id = app, ws, merchant_id
        self.out: queue.Queue = queue.Queue()
        self.sent: dict[int, int] = {}  # conversation id -> last seq sent
        self.floor = 0  # message id below which nothing is replayed
        self.user: Any = None
        self.role = BUYER
        self.conversation: Conversation | None = None

    # -- the request thread: handshake, then reading frames ------------------------------

    def run(self) -> None:
        try:
            if not self._login():
                return
            # The hello goes out first and only once the connection is subscribed and knows
            # where its stream starts: whatever commits after a client got its hello reaches it.
            writer = threading.Thread(target=self._write_loop, daemon=True)
            subscription = self.app.extensions[service.PLUGIN].broker.subscribe(
                self._channels(), lambda channel, event: self.out.put(event)
            )
            try:
                self._catch_up(request.args.get("last_id", type=int))
                writer.start()
                self._read_loop()
            finally:
                subscription.close()
                self.out.put(None)
                if writer.ident is not None:  # started
                    writer.join(timeout=5)
        finally:
            self._release_db()

    def _login(self) -> bool:
        if not request.headers.get("Authorization"):
            try:
                frame = self._receive_json(timeout=AUTH_SECONDS)
            except ValidationError:
                frame = None
            if not frame or frame.get("type") != "auth" or not isinstance(frame.get("token"), str):
                self._send_now(_error(Unauthorized("send {type: auth, token} first")))
                self.ws.close(4401, "unauthorized")
                return False
            _use_token(frame["token"])
        try:
            self.user, self.role = _authorise(self.merchant_id)
            if self.role == BUYER:
                self.conversation = service.open_conversation(self.merchant_id, self.user.id)
                service.buyer_heartbeat(self.conversation)
            else:
                service.heartbeat(self.merchant_id, self.user.id)
        except MallkitError as exc:
            self._send_now(_error(exc))
            self.ws.close(4000 + exc.status, exc.code)
            return False
        finally:
            self._release_db()
        conversation = None
        if self.conversation is not None:
            conversation = service.conversation_view(self.conversation)
            for key in ("last_message_at", "created_at"):
                conversation[key] = service.iso(conversation[key])
        self._release_db()
        self.out.put(
            {
                "type": "hello",
                "user_id": self.user.id,
                "role": self.role,
                "conversation": conversation,
            }
        )
        return True

    def _channels(self) -> list[str]:
        if self.role == BUYER:
            return [f"c:{self.conversation.id}"]
        return [f"m:{self.merchant_id}"]

    def _scope(self) -> Any:
        if self.role == BUYER:
            return Message.conversation_id == self.conversation.id
        return Message.merchant_id == self.merchant_id

    def _catch_up(self, last_id: int | None) -> None:
        """Replay what came after ``last_id``; without it, start from now."""
        try:
            if last_id is None:
                self.floor = Message.select(fn.MAX(Message.id)).where(self._scope()).scalar() or 0
                return
            self.floor = last_id
            for m in service.since(self._scope(), last_id, CATCH_UP_LIMIT):
                self.out.put({"type": "message", "message": service.message_view(m)})
        finally:
            self._release_db()

    def _read_loop(self) -> None:
        beat = max(2.0, service_timeout(self) / 3)
        last_beat = time.monotonic()
        while True:
            try:
                frame = self._receive_json(timeout=beat)
            except ValidationError as exc:
                self.out.put(_error(exc))
                continue
            # The socket is one HTTP request that lives for minutes; each frame is handled as
            # a request of its own: the core's per-request memo of the store's plugins is
            # dropped, so settings changed meanwhile apply (and switching live chat off
            # closes the socket), and now and then the caller is checked again, so a revoked
            # token or a staff member removed from the store is cut off.
            request.environ.pop("mallkit.merchant_plugins", None)
            if time.monotonic() - last_beat >= beat:
                last_beat = time.monotonic()
                request.environ.pop("mallkit.user", None)
                if not self._still_allowed():
                    return
                self._heartbeat()
            if frame is None:
                if not self.ws.connected:
                    return
                continue
            if not self._still_allowed(check_user=False):
                return
            self._handle(frame)

    def _still_allowed(self, check_user: bool = True) -> bool:
        """False, with an error frame and the connection closing (code ``4000 + status``),
        once the store switched live chat off (404, as its routes) or — ``check_user`` — the
        caller may no longer connect (401, 403)."""
        try:
            if not merchant_plugins(self.merchant_id).is_enabled(service.PLUGIN):
                raise NotFound("live chat is off for this store")
            if check_user:
                _authorise(self.merchant_id)
            return True
        except MallkitError as exc:
            self.out.put(_error(exc))
            self.out.put((CLOSE, 4000 + exc.status, exc.code))
            return False
        finally:
            self._release_db()

    def _receive_json(self, timeout: float) -> dict | None:
        """The next frame as a JSON object; ``None`` on a timeout or a closed connection.
        A frame that is not a JSON object raises ``ValidationError``."""
        try:
            raw = self.ws.receive(timeout=timeout)
        except ConnectionClosed:
            return None
        if raw is None:
            return None
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            raise ValidationError("frames are JSON objects", code="bad_frame")
        return frame

    def _heartbeat(self) -> None:
        try:
            if self.role == BUYER:
                service.buyer_heartbeat(self.conversation)
            else:
                service.heartbeat(self.merchant_id, self.user.id)
        finally:
            self._release_db()

    def _handle(self, frame: dict) -> None:
        kind = frame.get("type")
        ref = frame.get("client_id")
        try:
            if kind == "ping":
                self._heartbeat()
                self.out.put({"type": "pong"})
            elif kind == "send":
                c = self._target(frame)
                data = _load(MessageIn(), frame, drop=("type", "conversation_id"))
                content_kind, text, payload = service.build_content(c, data)
                client_id = data["client_id"]
                m = service.send(c, self.user, self.role, content_kind, text, payload, client_id)
                self.out.put(
                    {
                        "type": "ack",
                        "client_id": client_id,
                        "id": m.id,
                        "seq": m.seq,
                        "conversation_id": c.id,
                    }
                )
            elif kind == "read":
                up_to = frame.get("up_to")
                if not isinstance(up_to, int) or up_to < 0:
                    raise ValidationError(
                        "up_to is a message number",
                        code="invalid_read",
                        errors={"up_to": ["A message number."]},
                    )
                service.mark_read(self._target(frame), self.role, up_to)
            elif kind == "typing":
                c = self._target(frame)
                event = {
                    "type": "typing",
                    "conversation_id": c.id,
                    "side": self.role,
                    "user_id": self.user.id,
                }
                broker = self.app.extensions[service.PLUGIN].broker
                broker.publish(f"c:{c.id}", event)
                broker.publish(f"m:{c.merchant_id}", event)
            elif kind == "presence" and self.role == STAFF:
                status = frame.get("status")
                if status not in ("online", "away", "offline"):
                    raise ValidationError(
                        "status is online, away or offline",
                        code="invalid_presence",
                        errors={"status": ["online, away or offline"]},
                    )
                service.set_presence(self.merchant_id, self.user.id, status)
                self.out.put({"type": "presence", "status": status})
            else:
                raise ValidationError(
                    f"unknown frame type {kind!r}",
                    code="bad_frame",
                    errors={"type": ["ping, send, read, typing or presence (staff)"]},
                )
        except MallkitError as exc:
            self.out.put({**_error(exc), "client_id": ref})
        except Exception:
            log.exception("livechat frame failed")
            self.out.put(
                {
                    "type": "error",
                    "code": "internal",
                    "status": 500,
                    "message": "try again",
                    "errors": {},
                    "client_id": ref,
                }
            )
        finally:
            self._release_db()

    def _target(self, frame: dict) -> Conversation:
        if self.role == BUYER:
            return Conversation.get_by_id(self.conversation.id)
        conversation_id = frame.get("conversation_id")
        if not isinstance(conversation_id, int):
            raise ValidationError(
                "conversation_id is required",
                code="invalid_message",
                errors={"conversation_id": ["Required."]},
            )
        return service.store_conversation(self.merchant_id, conversation_id)

    # -- the writer thread: the only one that sends ----------------------------------------

    def _write_loop(self) -> None:
        with self.app.app_context():
            while True:
                event = self.out.get()
                if event is None:
                    return
                if isinstance(event, tuple) and event[0] is CLOSE:
                    self.ws.close(event[1], event[2])
                    return
                try:
                    for frame in self._in_order(event):
                        self.ws.send(json.dumps(frame, ensure_ascii=False))
                except ConnectionClosed:
                    return
                except Exception:
                    log.exception("livechat: sending failed")
                finally:
                    self._release_db()

    def _in_order(self, event: dict) -> list[dict]:
        """The frames to send for ``event``: nothing for a message already sent, the missing
        messages first when ``event`` skips some (a publish arrived late or was lost)."""
        if event.get("type") != "message":
            return [event]
        m = event["message"]
        cid, seq = m["conversation_id"], m["seq"]
        last = self.sent.get(cid)
        if last is not None and seq <= last:
            return []
        if last is not None:
            missing = Message.seq > last if seq > last + 1 else None
        else:
            missing = Message.id > self.floor if seq > 1 else None
        frames = []
        if missing is not None:
            rows = (
                Message.select()
                .where((Message.conversation_id == cid) & (Message.seq < seq) & missing)
                .order_by(Message.seq)
            )
            frames = [{"type": "message", "message": service.message_view(x)} for x in rows]
        self.sent[cid] = seq
        return [*frames, event]

    def _send_now(self, frame: dict) -> None:
        self.ws.send(json.dumps(frame, ensure_ascii=False))

    @staticmethod
    def _release_db() -> None:
        # A connection lives for minutes; it borrows a database connection per action
        # instead of holding one of the pool's for its whole life.
        if not database.is_closed() and not database.in_transaction():
            database.close()


def service_timeout(connection: Connection) -> float:
    return float(service.config(connection.merchant_id)["presence_timeout"])


def _load(schema: Any, frame: dict, drop: tuple[str, ...]) -> dict:
    """A frame's fields checked by the REST schema: the same field errors as REST."""
    try:
        return schema.load({k: v for k, v in frame.items() if k not in drop})
    except MarshmallowError as exc:
        raise ValidationError(
            "invalid frame", code="invalid_message", errors=exc.normalized_messages()
        ) from None


def _error(exc: MallkitError) -> dict:
    return {"type": "error", **exc.to_dict()}
