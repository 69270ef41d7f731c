"""Fan-out of chat events to the live connections of every app process.

Messages are written to the database first and published after the commit; publishing is
best effort. A connection that misses an event (a Redis hiccup, a dropped socket) catches up
from the database: by message number within a conversation when it notices a gap, and from
the last message id it saw when it reconnects. So the broker never has to be reliable, only
fast.

- :class:`LocalBroker` — one process: subscribers in a dict, events handed over in the
  publisher's thread.
- :class:`RedisBroker` — several processes: ``PUBLISH`` to Redis; each process holds one
  pattern subscription (``<prefix>*``) served by one background thread, which hands events to
  the process's local subscribers. Used when the ``REDIS_URL`` setting
  (``MALLKIT_REDIS_URL``) is set.

Channels: ``c:<conversation id>`` (the buyer's connections) and ``m:<merchant id>`` (the
store's staff connections).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

Callback = Callable[[str, dict[str, Any]], None]


class Subscription:
    """A connection's interest in some channels; ``close()`` ends it."""

    def __init__(self, broker: LocalBroker, channels: tuple[str, ...], callback: Callback):
        self.broker, self.channels, self.callback = broker, channels, callback

    def close(self) -> None:
        self.broker._unsubscribe(self)


class LocalBroker:
    """In-process fan-out (the default: one app process)."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._lock = threading.Lock()

    def subscribe(self, channels: Iterable[str], callback: Callback) -> Subscription:
        sub = Subscription(self, tuple(channels), callback)
        with self._lock:
            for channel in sub.channels:
                self._subs[channel].add(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            for channel in sub.channels:
                self._subs[channel].discard(sub)
                if not self._subs[channel]:
                    del self._subs[channel]

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        self.deliver(channel, event)

    def deliver(self, channel: str, event: dict[str, Any]) -> None:
        """Hand ``event`` to this process's subscribers of ``channel``."""
        with self._lock:
            subs = list(self._subs.get(channel, ()))
        for sub in subs:
            try:
                sub.callback(channel, event)
            except Exception:  # one broken connection must not stop the others
                log.exception("livechat subscriber failed")

    def close(self) -> None:
        """Stop background work (nothing to stop here)."""


class RedisBroker(LocalBroker):
    """Fan-out across processes through Redis pub/sub."""

    def __init__(self, url: str, prefix: str = "mallkit:livechat:") -> None:
        super().__init__()
        import redis  # optional dependency: mallkit[redis]

        self.prefix = prefix
        self.redis = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
        self._thread: Any = None
        self._start_lock = threading.Lock()

    def _start(self) -> None:
        # Subscribed before the first local subscriber exists, so nothing published after a
        # client is connected can slip past this process.
        with self._start_lock:
            if self._thread is not None:
                return
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            pubsub.psubscribe(**{f"{self.prefix}*": self._on_message})
            self._thread = pubsub.run_in_thread(
                sleep_time=1.0, daemon=True, exception_handler=self._on_error
            )

    def _on_message(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()[len(self.prefix) :]
        self.deliver(channel, json.loads(message["data"]))

    @staticmethod
    def _on_error(exc: BaseException, pubsub: Any, thread: Any) -> None:
        # redis-py reconnects and re-subscribes on the next read; events published meanwhile
        # are caught up from the database.
        log.warning("livechat: redis subscription error: %s", exc)

    def subscribe(self, channels: Iterable[str], callback: Callback) -> Subscription:
        self._start()
        return super().subscribe(channels, callback)

    def publish(self, channel: str, event: dict[str, Any]) -> None:
        try:
            self.redis.publish(self.prefix + channel, json.dumps(event, ensure_ascii=False))
        except Exception:  # the message is stored; clients catch up from the database
            log.exception("livechat: publish to redis failed")

    def close(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
