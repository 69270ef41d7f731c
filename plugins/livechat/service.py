"""Live chat rules: conversations, messages, read receipts, presence, routing and transfer.

Every write happens in one transaction; what the live connections must hear is published
after the commit (:func:`publish`), so a rolled-back message is never pushed and a pushed
message is always in the database for the clients that missed it.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from limits import RateLimitItemPerMinute
from peewee import JOIN, Case, fn

from mallkit.core.plugin_api import (
    Conflict,
    Merchant,
    NotFound,
    Order,
    Product,
    RateLimited,
    User,
    ValidationError,
    as_utc,
    database,
    merchant_plugins,
    on_commit,
    transaction,
    utcnow,
)
from mallkit.plugins.livechat.models import (
    ASSIGNED,
    BUYER,
    CLOSED,
    OFFLINE,
    ONLINE,
    QUEUED,
    STAFF,
    SYSTEM,
    Agent,
    CannedReply,
    Conversation,
    Message,
)

log = logging.getLogger(__name__)
PLUGIN = "livechat"
OFF_HOURS, KEYWORD = "off_hours", "keyword"


def config(merchant_id: int) -> dict[str, Any]:
    return merchant_plugins(merchant_id).config(PLUGIN)


def state() -> Any:
    """This app's live-chat runtime (the broker), made at start-up."""
    return current_app.extensions[PLUGIN]


# -- views ----------------------------------------------------------------------------------


def iso(value: dt.datetime | None) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with its offset, for JSON frames."""
    return None if value is None else as_utc(value).replace(tzinfo=dt.UTC).isoformat()


def message_view(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "sender_id": m.sender_id,
        "sender_role": m.sender_role,
        "kind": m.kind,
        "text": m.text,
        "payload": m.payload,
        "client_id": m.client_id,
        "created_at": iso(m.created_at),
    }


def unread_counts(conversations: list[Conversation]) -> dict[int, dict[str, int]]:
    """``{conversation id: {"buyer": n, "staff": n}}``: messages each side has not read.
    Counted from the messages and the read receipts, never kept in a counter that could
    drift; offline messages are the unread ones of a side that was not connected."""
    counts = {c.id: {"buyer": 0, "staff": 0} for c in conversations}
    if not conversations:
        return counts
    for_staff = (Message.sender_role == BUYER) & (Message.seq > Conversation.staff_read_seq)
    for_buyer = (Message.sender_role != BUYER) & (Message.seq > Conversation.buyer_read_seq)
    rows = (
        Message.select(
            Message.conversation_id,
            fn.SUM(Case(None, [(for_buyer, 1)], 0)),
            fn.SUM(Case(None, [(for_staff, 1)], 0)),
        )
        .join(Conversation, on=(Conversation.id == Message.conversation_id))
        .where(Message.conversation_id.in_(list(counts)) & (for_buyer | for_staff))
        .group_by(Message.conversation_id)
        .tuples()
    )
    for conversation_id, buyer, staff in rows:
        counts[conversation_id] = {"buyer": int(buyer or 0), "staff": int(staff or 0)}
    return counts


def conversation_view(c: Conversation, unread: dict[str, int] | None = None) -> dict[str, Any]:
    unread = unread if unread is not None else unread_counts([c])[c.id]
    return {
        "id": c.id,
        "merchant_id": c.merchant_id,
        "buyer_id": c.buyer_id,
        "status": c.status,
        "agent_id": c.agent_id,
        "last_agent_id": c.last_agent_id,
        "priority": c.priority,
        "last_seq": c.last_seq,
        "buyer_read_seq": c.buyer_read_seq,
        "staff_read_seq": c.staff_read_seq,
        "buyer_unread": unread["buyer"],
        "staff_unread": unread["staff"],
        "last_message_at": c.last_message_at,
        "created_at": c.created_at,
    }


# -- publishing -----------------------------------------------------------------------------


def publish(merchant_id: int, conversation_id: int, event: dict[str, Any]) -> None:
    """Push ``event`` to the conversation's buyer and the store's staff after the commit."""
    broker = state().broker

    def send() -> None:
        broker.publish(f"c:{conversation_id}", event)
        broker.publish(f"m:{merchant_id}", event)

    on_commit(send)


# -- conversations --------------------------------------------------------------------------


def open_conversation(merchant_id: int, buyer_id: int) -> Conversation:
    """The buyer's conversation with the store, made on first use (one per pair: a unique
    index decides between racing first uses)."""
    with transaction():
        Conversation.insert(
            merchant_id=merchant_id, buyer_id=buyer_id, created_at=utcnow()
        ).on_conflict_ignore().execute()
    return Conversation.get(
        (Conversation.merchant_id == merchant_id) & (Conversation.buyer_id == buyer_id)
    )


def buyer_conversation(merchant_id: int, buyer_id: int, conversation_id: int) -> Conversation:
    """The buyer's own conversation; anyone else's answers 404."""
    c = Conversation.get_or_none(
        (Conversation.id == conversation_id)
        & (Conversation.merchant_id == merchant_id)
        & (Conversation.buyer_id == buyer_id)
    )
    if c is None:
        raise NotFound("conversation not found", code="conversation_not_found")
    return c


def store_conversation(merchant_id: int, conversation_id: int) -> Conversation:
    """A conversation of the store (for its staff); another store's answers 404."""
    c = Conversation.get_or_none(
        (Conversation.id == conversation_id) & (Conversation.merchant_id == merchant_id)
    )
    if c is None:
        raise NotFound("conversation not found", code="conversation_not_found")
    return c


def history(c: Conversation, before: int | None, after: int | None, limit: int) -> dict:
    """A page of messages by ``seq``: the newest ``limit`` before ``before`` (oldest first),
    or the oldest ``limit`` after ``after``; ``next_before`` continues backwards."""
    query = Message.select().where(Message.conversation_id == c.id)
    if after is not None:
        rows = list(query.where(Message.seq > after).order_by(Message.seq).limit(limit))
    else:
        if before is not None:
            query = query.where(Message.seq < before)
        rows = list(query.order_by(Message.seq.desc()).limit(limit))[::-1]
    more_before = bool(rows) and rows[0].seq > 1
    return {
        "items": [message_view(m) for m in rows],
        "next_before": rows[0].seq if more_before else None,
    }


def since(where: Any, last_id: int, limit: int = 500) -> list[Message]:
    """Messages after ``last_id`` (a reconnecting client's catch-up), oldest first."""
    return list(
        Message.select().where(where & (Message.id > last_id)).order_by(Message.id).limit(limit)
    )


# -- sending --------------------------------------------------------------------------------


def check_rate(merchant_id: int, user_id: int) -> None:
    """The per-user send limit (``messages_per_minute``), counted in flask-limiter's storage
    (memory, or Redis when several processes serve the store)."""
    limiter = next(iter(current_app.extensions["limiter"]))
    item = RateLimitItemPerMinute(config(merchant_id)["messages_per_minute"])
    if not limiter.limiter.hit(item, "livechat-send", str(user_id)):
        raise RateLimited("too many messages; wait a moment", code="chat_rate_limited")


def clean_text(merchant_id: int, text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(
            "empty message", code="invalid_message", errors={"text": ["Required."]}
        )
    limit = config(merchant_id)["max_length"]
    if len(text) > limit:
        raise ValidationError(
            f"messages are at most {limit} characters",
            code="message_too_long",
            errors={"text": [f"At most {limit} characters."]},
        )
    return html.escape(text)


def product_card(merchant_id: int, product_id: int) -> dict[str, Any]:
    p = Product.get_or_none((Product.id == product_id) & (Product.merchant == merchant_id))
    if p is None or getattr(p, "deleted_at", None) is not None:
        raise ValidationError(
            "no such product in this store",
            code="invalid_card",
            errors={"product_id": ["Not a product of this store."]},
        )
    return {
        "product_id": p.id,
        "name": html.escape(p.name),
        "image": (p.images or [""])[0],
        "price_min": p.price_min,
    }


def order_card(merchant_id: int, buyer_id: int, order_id: int) -> dict[str, Any]:
    o = Order.get_or_none(
        (Order.id == order_id) & (Order.merchant == merchant_id) & (Order.buyer == buyer_id)
    )
    if o is None:
        raise ValidationError(
            "no such order of this buyer at this store",
            code="invalid_card",
            errors={"order_id": ["Not an order of this buyer at this store."]},
        )
    return {
        "order_id": o.id,
        "number": o.number,
        "status": o.status,
        "total": o.total,
        "currency": o.currency,
    }


def build_content(c: Conversation, data: dict[str, Any]) -> tuple[str, str, dict | None]:
    """``(kind, text, payload)`` of a message to send, checked; nothing is written."""
    kind = data.get("kind", "text")
    if kind == "text":
        return kind, clean_text(c.merchant_id, data.get("text")), None
    if kind == "product":
        if not data.get("product_id"):
            raise ValidationError(
                "product_id is required",
                code="invalid_message",
                errors={"product_id": ["Required."]},
            )
        return kind, "", product_card(c.merchant_id, data["product_id"])
    if kind == "order":
        if not data.get("order_id"):
            raise ValidationError(
                "order_id is required", code="invalid_message", errors={"order_id": ["Required."]}
            )
        return kind, "", order_card(c.merchant_id, c.buyer_id, data["order_id"])
    raise ValidationError(
        "kind must be text, product or order (images are uploaded)",
        code="invalid_message",
        errors={"kind": ["One of text, product, order."]},
    )


def send(
    c: Conversation,
    sender: User,
    role: str,
    kind: str,
    text: str = "",
    payload: dict | None = None,
    client_id: str | None = None,
    *,
    rate_checked: bool = False,
) -> Message:
    """Write a message from ``sender`` (``role`` buyer or staff) and push it after commit.

    A buyer's message routes a conversation without an online agent (:func:`route`), may
    draw a keyword or off-hours automatic reply, and a message whose reader is not
    connected calls ``on_chat_message_offline``. Resending a ``client_id`` returns the
    message already written. ``rate_checked``: the caller counted this send already."""
    if not rate_checked:
        check_rate(c.merchant_id, sender.id)
    with transaction():
        if client_id:
            existing = Message.get_or_none(
                (Message.conversation_id == c.id)
                & (Message.sender_id == sender.id)
                & (Message.client_id == client_id)
            )
            if existing is not None:
                return existing
        message = _write(c, sender.id, role, kind, text, payload, client_id)
        c = Conversation.get_by_id(c.id)
        online = online_agents(c.merchant_id) if role == BUYER else []
        if role == BUYER:
            if route(c, online):
                c = Conversation.get_by_id(c.id)
            _auto_replies(c, text)
        if role == STAFF and c.agent_id is None:
            # A staff member answering a queued conversation takes it.
            _assign(c, sender.id, expected=None)
            c = Conversation.get_by_id(c.id)
        _notify_offline(c, message, online)
    return message


def _write(c, sender_id, role, kind, text, payload, client_id=None) -> Message:
    # The increment locks the conversation's row until commit, so numbers follow the
    # commit order of the conversation's messages (a reader that sees seq n has seen n-1).
    now = utcnow()
    Conversation.update(last_seq=Conversation.last_seq + 1, last_message_at=now).where(
        Conversation.id == c.id
    ).execute()
    seq = Conversation.select(Conversation.last_seq).where(Conversation.id == c.id).scalar()
    message = Message.create(
        conversation_id=c.id,
        merchant_id=c.merchant_id,
        seq=seq,
        sender_id=sender_id,
        sender_role=role,
        kind=kind,
        text=text,
        payload=payload,
        client_id=client_id,
        created_at=now,
    )
    publish(c.merchant_id, c.id, {"type": "message", "message": message_view(message)})
    return message


def system_message(c: Conversation, text: str, payload: dict | None = None) -> Message:
    return _write(c, None, SYSTEM, "system", html.escape(text), payload)


def _auto_replies(c: Conversation, text: str) -> None:
    cfg = config(c.merchant_id)
    for rule in cfg["auto_replies"]:
        if rule["keyword"] and html.escape(rule["keyword"]) in text:
            _write(c, None, SYSTEM, "text", html.escape(rule["reply"]), {"auto": KEYWORD})
            break
    if cfg["off_hours_message"] and not in_office_hours(c.merchant_id):
        quiet = utcnow() - dt.timedelta(minutes=cfg["off_hours_repeat_minutes"])
        recent = (
            Message.select(Message.id)
            .where(
                (Message.conversation_id == c.id)
                & (Message.sender_role == SYSTEM)
                & (Message.text == html.escape(cfg["off_hours_message"]))
                & (Message.created_at > quiet)
            )
            .exists()
        )
        if not recent:
            _write(
                c, None, SYSTEM, "text", html.escape(cfg["off_hours_message"]), {"auto": OFF_HOURS}
            )


def in_office_hours(merchant_id: int, at: dt.datetime | None = None) -> bool:
    """Whether ``at`` (now) falls in the store's office hours, in the store's time zone.
    A window that ends before it starts runs over midnight; no hours set means always."""
    cfg = config(merchant_id)
    start, end = cfg.get("office_hours_start"), cfg.get("office_hours_end")
    if start is None or end is None or start == end:
        return True
    zone = ZoneInfo(Merchant.get_by_id(merchant_id).timezone)
    local = as_utc(at or utcnow()).astimezone(zone).strftime("%H:%M")
    if start < end:
        return start <= local < end
    return local >= start or local < end


def _notify_offline(c: Conversation, message: Message, online: list[int]) -> None:
    """Call ``on_chat_message_offline`` when nobody on the reading side is connected
    (``online``: the store's online agents, for a buyer's message)."""
    if message.sender_role == BUYER:
        if c.agent_id is not None and c.agent_id in online:
            return
        recipient = c.agent_id  # None: waiting in the store's queue with nobody online
        unread = unread_counts([c])[c.id]["staff"]
    else:
        if buyer_online(c):
            return
        recipient = c.buyer_id
        unread = unread_counts([c])[c.id]["buyer"]
    merchant = Merchant.get_by_id(c.merchant_id)
    try:
        # In a savepoint: a failing notifier is logged and its writes undone; the message
        # stands (notifications are not worth losing a message over).
        with database.atomic():
            merchant_plugins(c.merchant_id).hook.on_chat_message_offline(
                merchant=merchant,
                message=message_view(message),
                recipient_id=recipient,
                unread=unread,
            )
    except Exception:
        log.exception("on_chat_message_offline failed")


# -- read receipts --------------------------------------------------------------------------


def mark_read(c: Conversation, side: str, up_to: int) -> Conversation:
    """Raise ``side``'s read receipt to ``up_to`` (capped at the last message); a lower
    number than the current receipt changes nothing (receipts only move forward)."""
    field = Conversation.buyer_read_seq if side == BUYER else Conversation.staff_read_seq
    with transaction():
        up_to = min(up_to, Conversation.get_by_id(c.id).last_seq)
        moved = (
            Conversation.update({field: up_to})
            .where((Conversation.id == c.id) & (field < up_to))
            .execute()
        )
        if moved:
            publish(
                c.merchant_id,
                c.id,
                {"type": "read", "conversation_id": c.id, "side": side, "seq": up_to},
            )
    return Conversation.get_by_id(c.id)


# -- presence and routing -------------------------------------------------------------------


def set_presence(merchant_id: int, user_id: int, status: str) -> Agent:
    """Set a staff member's chat status (a heartbeat too)."""
    now = utcnow()
    with transaction():
        Agent.insert(
            merchant_id=merchant_id, user_id=user_id, status=status, seen_at=now
        ).on_conflict(
            conflict_target=[Agent.merchant_id, Agent.user_id],
            update={Agent.status: status, Agent.seen_at: now},
        ).execute()
    return Agent.get((Agent.merchant_id == merchant_id) & (Agent.user_id == user_id))


def heartbeat(merchant_id: int, user_id: int) -> None:
    """A live connection's sign of life: keeps an online or away status fresh."""
    with transaction():
        Agent.update(seen_at=utcnow()).where(
            (Agent.merchant_id == merchant_id)
            & (Agent.user_id == user_id)
            & (Agent.status != OFFLINE)
        ).execute()


def buyer_heartbeat(c: Conversation) -> None:
    with transaction():
        Conversation.update(buyer_seen_at=utcnow()).where(Conversation.id == c.id).execute()


def _fresh(merchant_id: int) -> dt.datetime:
    return utcnow() - dt.timedelta(seconds=config(merchant_id)["presence_timeout"])


def effective_status(agent: Agent) -> str:
    """``online``/``away`` only while heartbeats are fresh; otherwise ``offline``."""
    if (
        agent.status == OFFLINE
        or agent.seen_at is None
        or as_utc(agent.seen_at) < as_utc(_fresh(agent.merchant_id))
    ):
        return OFFLINE
    return agent.status


def online_agents(merchant_id: int) -> list[int]:
    """User ids of the store's agents online now, least busy first (open conversations
    assigned), then by id."""
    load = fn.COUNT(Conversation.id)
    rows = (
        Agent.select(Agent.user_id, load)
        .join(
            Conversation,
            JOIN.LEFT_OUTER,
            on=(
                (Conversation.agent_id == Agent.user_id)
                & (Conversation.merchant_id == Agent.merchant_id)
                & (Conversation.status == ASSIGNED)
            ),
        )
        .where(
            (Agent.merchant_id == merchant_id)
            & (Agent.status == ONLINE)
            & (Agent.seen_at >= _fresh(merchant_id))
        )
        .group_by(Agent.user_id)
        .order_by(load, Agent.user_id)
        .tuples()
    )
    return [user_id for user_id, _ in rows]


def agent_loads(merchant_id: int) -> dict[int, int]:
    rows = (
        Conversation.select(Conversation.agent_id, fn.COUNT(Conversation.id))
        .where((Conversation.merchant_id == merchant_id) & (Conversation.status == ASSIGNED))
        .group_by(Conversation.agent_id)
        .tuples()
    )
    return dict(rows)


def route(c: Conversation, online: list[int] | None = None) -> bool:
    """Give a buyer's conversation an agent when it has none online: the buyer's last
    agent if online, else the least-busy online agent, else the store's queue (an assigned
    conversation whose agent is away keeps its agent while nobody else is online).
    ``online``: :func:`online_agents`, when the caller has it. True when anything changed."""
    online = online_agents(c.merchant_id) if online is None else online
    if c.agent_id is not None and c.agent_id in online:
        return False
    if c.last_agent_id in online:
        target = c.last_agent_id
    elif online:
        target = online[0]
    elif c.agent_id is not None:
        return False
    else:
        # Waiting (again): the queue position follows the buyer's priority now.
        Conversation.update(status=QUEUED, priority=queue_priority(c)).where(
            Conversation.id == c.id
        ).execute()
        if c.status != QUEUED:
            publish(
                c.merchant_id,
                c.id,
                {"type": "assigned", "conversation_id": c.id, "agent_id": None, "status": QUEUED},
            )
        return True
    return _assign(c, target, expected=c.agent_id)


def queue_priority(c: Conversation) -> int:
    """The highest priority plugins give the buyer (``livechat_queue_priority``), else 0."""
    answers = merchant_plugins(c.merchant_id).hook.livechat_queue_priority(
        merchant_id=c.merchant_id, buyer_id=c.buyer_id
    )
    return max([int(a) for a in answers if a is not None], default=0)


def _assign(c: Conversation, agent_id: int, expected: int | None) -> bool:
    """Compare-and-set the conversation's agent from ``expected``; False when it moved."""
    where = Conversation.id == c.id
    where &= (
        Conversation.agent_id.is_null() if expected is None else (Conversation.agent_id == expected)
    )
    moved = (
        Conversation.update(agent_id=agent_id, last_agent_id=agent_id, status=ASSIGNED)
        .where(where)
        .execute()
    )
    if moved:
        publish(
            c.merchant_id,
            c.id,
            {"type": "assigned", "conversation_id": c.id, "agent_id": agent_id, "status": ASSIGNED},
        )
    return bool(moved)


def _current_state_conflict(c: Conversation, message: str, code: str) -> Conflict:
    fresh = Conversation.get_by_id(c.id)
    return Conflict(
        message,
        code=code,
        errors={"conversation": {"status": fresh.status, "agent_id": fresh.agent_id}},
    )


def claim(c: Conversation, agent_id: int) -> Conversation:
    """A staff member takes a queued conversation; 409 when someone has it already."""
    with transaction():
        if not _assign(c, agent_id, expected=None):
            raise _current_state_conflict(
                c, "the conversation already has an agent", "already_assigned"
            )
    return Conversation.get_by_id(c.id)


def transfer(c: Conversation, to_user_id: int, by: User, expected: int | None) -> Conversation:
    """Hand the conversation to another agent of the store (one who has used the chat, so
    is known to be staff here). ``expected`` is the agent the caller saw (compare-and-set:
    409 with the current agent when it moved)."""
    target = Agent.get_or_none((Agent.merchant_id == c.merchant_id) & (Agent.user_id == to_user_id))
    if target is None:
        raise ValidationError(
            "not an agent of this store",
            code="invalid_agent",
            errors={"agent_id": ["Not an agent of this store."]},
        )
    with transaction():
        if not _assign(c, to_user_id, expected=expected):
            raise _current_state_conflict(
                c, "the conversation's agent changed meanwhile", "agent_changed"
            )
        name = User.get_by_id(to_user_id).name or f"#{to_user_id}"
        system_message(
            c,
            f"已转接给客服 {name}",
            {"event": "transfer", "from": expected, "to": to_user_id, "by": by.id},
        )
    return Conversation.get_by_id(c.id)


def close(c: Conversation, by: User) -> Conversation:
    """Resolve the conversation: it leaves the agent's list; the buyer's next message routes
    it again (to the same agent if online)."""
    with transaction():
        moved = (
            Conversation.update(status=CLOSED, agent_id=None)
            .where((Conversation.id == c.id) & (Conversation.status != CLOSED))
            .execute()
        )
        if not moved:
            raise _current_state_conflict(c, "the conversation is closed already", "already_closed")
        publish(
            c.merchant_id,
            c.id,
            {"type": "assigned", "conversation_id": c.id, "agent_id": None, "status": CLOSED},
        )
    return Conversation.get_by_id(c.id)


def buyer_online(c: Conversation) -> bool:
    return c.buyer_seen_at is not None and as_utc(c.buyer_seen_at) >= as_utc(_fresh(c.merchant_id))


# -- inbox and canned replies ---------------------------------------------------------------


def inbox(merchant_id: int, user_id: int, box: str, q: str | None) -> Any:
    """The staff inbox: ``assigned`` (mine), ``queue`` (waiting, highest priority and
    longest waiting first) or ``all``; ``q`` searches the buyer's name and the messages."""
    query = Conversation.select().where(Conversation.merchant_id == merchant_id)
    if box == "assigned":
        query = query.where(Conversation.agent_id == user_id).order_by(
            Conversation.last_message_at.desc(nulls="LAST"), Conversation.id.desc()
        )
    elif box == "queue":
        query = query.where(Conversation.status == QUEUED).order_by(
            Conversation.priority.desc(), Conversation.last_message_at, Conversation.id
        )
    else:
        query = query.order_by(
            Conversation.last_message_at.desc(nulls="LAST"), Conversation.id.desc()
        )
    if q:
        term = q.strip()
        buyers = User.select(User.id).where(User.name.contains(term))
        messages = Message.select(Message.conversation_id).where(
            (Message.merchant_id == merchant_id) & Message.text.contains(html.escape(term))
        )
        query = query.where(Conversation.buyer_id.in_(buyers) | Conversation.id.in_(messages))
    return query


def canned_replies(merchant_id: int) -> Any:
    return (
        CannedReply.select().where(CannedReply.merchant_id == merchant_id).order_by(CannedReply.id)
    )


def canned_reply(merchant_id: int, reply_id: int) -> CannedReply:
    r = CannedReply.get_or_none(
        (CannedReply.id == reply_id) & (CannedReply.merchant_id == merchant_id)
    )
    if r is None:
        raise NotFound("canned reply not found", code="canned_reply_not_found")
    return r
