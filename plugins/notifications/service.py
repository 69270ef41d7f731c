"""Notifications: events become messages, messages are delivered through the task table.

The life of an event:

1. **Publish** (:func:`publish`), inside the business transaction, from a hook: one durable
   task ``notifications.event`` is written with the change (its dedupe key is the event's
   key), so the event commits or rolls back with the order, refund or group — and nothing is
   sent from inside a transaction.
2. **Fan out** (:func:`fan_out`, the event task, in its own transaction): who is told
   (the buyer, the group's members, the store's staff), on which channels (the store's
   ``channels`` setting, a template for the event, the person's opt-outs, an address), in
   which words (the store's template or the built-in one, rendered in the sandbox). Each
   message is a ``Message`` row — unique on (event key, channel, recipient), so an event
   fanned out again makes no second message — plus one ``notifications.deliver`` task (not
   for the in-app inbox: its row is the delivery, ``sent`` as it is written).
   The rows and tasks commit together with the event task becoming ``done``: however many
   workers run, an event fans out once.
3. **Deliver** (:func:`deliver`, outside any transaction, it calls out): a compare-and-set
   takes the message from ``queued`` to ``sending``, the channel sends, and the row becomes
   ``sent``; an error puts it back to ``queued`` with ``last_error`` and the task retries
   with the core's exponential backoff, until ``NOTIFY_MAX_ATTEMPTS`` (8) make it
   ``failed`` (a permanent error at once). A worker that dies between sending and recording
   leaves ``sending``; the task runs again after its lease and sends again with the same
   Message-ID / SMS reference, which the SMS gateway drops as a duplicate.

SMS waits out the store's quiet hours (``sms_quiet_hours``, default 22:00–08:00 store
time): the deliver task is scheduled for their end. Marketing messages (campaigns) respect
per-person caps (``marketing_per_day``, ``marketing_per_week``) and every opt-out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

import peewee as pw
from flask import current_app

from mallkit.core.plugin_api import (
    Merchant,
    NotFound,
    Order,
    User,
    ValidationError,
    count_notification_verdict,
    is_postgres,
    merchant_plugins,
    merchant_staff,
    on_commit,
    schedule_task,
    transaction,
    utcnow,
)
from mallkit.plugins.notifications import templates
from mallkit.plugins.notifications.channels import CHANNELS, DeliveryError, segments
from mallkit.plugins.notifications.models import (
    CHANNELS as CHANNEL_NAMES,
)
from mallkit.plugins.notifications.models import (
    FAILED,
    MARKETING,
    QUEUED,
    SENDING,
    SENT,
    SKIPPED,
    TRANSACTIONAL,
    Message,
    OptOut,
    Template,
)

log = logging.getLogger("mallkit.notifications")

EVENT_TASK = "notifications.event"
DELIVER_TASK = "notifications.deliver"
REMINDER_TASK = "notifications.unpaid_reminder"
DEFAULT_MAX_ATTEMPTS = 8

# Who each event is for: "buyer" (payload user_ids, else the order's buyer) or "staff".
STAFF_EVENTS = {"low_stock"}
STAFF_ROLES = ("owner", "manager")

# How the delivery log's channels and verdicts are named in /metrics.
METRIC_CHANNELS = {"email": "email", "sms": "sms", "inbox": "in_app"}
METRIC_VERDICTS = {"sent": "sent", "failed": "failed", "retry": "retrying", "skipped": "suppressed"}


def config(merchant_id: int | None) -> dict[str, Any]:
    defaults = {
        "locale": "zh-CN",
        "channels": list(CHANNEL_NAMES),
        "sms_quiet_hours": "22:00-08:00",
        "unpaid_reminder_minutes": 10,
        "marketing_per_day": 1,
        "marketing_per_week": 3,
    }
    if merchant_id is None:
        return defaults
    return {**defaults, **(merchant_plugins(merchant_id).config("notifications") or {})}


def max_attempts() -> int:
    return int(current_app.config.get("NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


# -- 1. publish (in the business transaction) ------------------------------------------------


def publish(
    event: str,
    merchant_id: int | None,
    key: str,
    *,
    order_id: int | None = None,
    user_ids: list[int] | None = None,
    context: dict[str, Any] | None = None,
    category: str = TRANSACTIONAL,
    campaign_id: int | None = None,
    channels: list[str] | None = None,
) -> None:
    """Queue ``event`` for fan-out, in the caller's transaction. ``key`` identifies the
    occurrence (``"order_paid:17"``): publishing the same key twice makes one set of
    messages. ``context`` is what the templates see besides the order and the store (plain
    JSON values: the hook's objects are gone by the time the task runs)."""
    if event not in templates.EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    schedule_task(
        EVENT_TASK,
        payload={
            "event": event,
            "key": key,
            "order_id": order_id,
            "user_ids": user_ids,
            "context": context or {},
            "category": category,
            "campaign_id": campaign_id,
            "channels": channels,
        },
        merchant_id=merchant_id,
        dedupe_key=f"{EVENT_TASK}:{key}"[:200],
    )


def order_context(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "total": order.total,
        "paid_amount": order.paid_amount,
        "refunded_amount": order.refunded_amount,
        "currency": order.currency,
    }


# -- 2. fan out (the event task's transaction) -----------------------------------------------


@dataclass
class Recipient:
    user_id: int | None
    name: str
    email: str | None
    phone: str | None


def _recipients(event: str, merchant_id: int | None, payload: dict[str, Any]) -> list[Recipient]:
    if event in STAFF_EVENTS:
        users = merchant_staff(merchant_id, *STAFF_ROLES)
    else:
        ids = payload.get("user_ids")
        if ids is None and payload.get("order_id"):
            order = Order.get_or_none(Order.id == payload["order_id"])
            ids = [order.buyer_id] if order else []
        users = list(User.select().where(User.id.in_(ids or []) & User.is_active))
    return [Recipient(u.id, u.name or "", u.email, u.phone) for u in users]


def _opted_out(user_ids: list[int], category: str) -> set[tuple[int, str]]:
    if not user_ids:
        return set()
    rows = OptOut.select(OptOut.user_id, OptOut.channel).where(
        OptOut.user_id.in_(user_ids) & (OptOut.category == category)
    )
    return {(r.user_id, r.channel) for r in rows}


def _store_templates(merchant_id: int | None, event: str, locale: str) -> dict[str, Template]:
    if merchant_id is None:
        return {}
    rows = Template.select().where(
        (Template.merchant_id == merchant_id)
        & (Template.event == event)
        & (Template.locale == locale)
    )
    return {t.channel: t for t in rows}


def wording(
    merchant_id: int | None, event: str, channel: str, locale: str
) -> tuple[str, str] | None:
    """The (subject, body) template of an event on a channel: the store's own, else the
    built-in one; None when the event is not sent on that channel (or the store turned it
    off)."""
    own = _store_templates(merchant_id, event, locale).get(channel)
    if own is not None:
        return (own.subject, own.body) if own.enabled else None
    return templates.default(event, channel, locale)


def _parse_quiet(text: str) -> tuple[dt.time, dt.time] | None:
    if not text:
        return None
    start, end = text.split("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def quiet_until(merchant: Merchant | None, quiet: str, now: dt.datetime) -> dt.datetime | None:
    """When the store's SMS quiet hours end (UTC, naive), if ``now`` is inside them."""
    window = _parse_quiet(quiet)
    if window is None or merchant is None:
        return None
    start, end = window
    tz = zoneinfo.ZoneInfo(merchant.timezone or "Asia/Shanghai")
    local = now.replace(tzinfo=dt.UTC).astimezone(tz)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    ends = dt.datetime.combine(day, end, tzinfo=tz)
    return ends.astimezone(dt.UTC).replace(tzinfo=None)


def marketing_capped(user_id: int, cfg: dict[str, Any], now: dt.datetime) -> bool:
    """Has the person had as many marketing messages as the caps allow? A campaign counts
    once however many channels carried it."""
    sent = Message.select(pw.fn.COUNT(Message.event_key.distinct())).where(
        (Message.user_id == user_id) & (Message.category == MARKETING) & (Message.status != SKIPPED)
    )
    day = sent.where(Message.created_at > now - dt.timedelta(days=1)).scalar()
    week = sent.where(Message.created_at > now - dt.timedelta(days=7)).scalar()
    return day >= int(cfg["marketing_per_day"]) or week >= int(cfg["marketing_per_week"])


def _hold(user_id: int) -> None:
    """Lock the person's row until the fan-out commits (PostgreSQL; SQLite writes one at a
    time): two campaigns fanning out at once would each count the person's marketing
    messages before the other's committed and both send, past the caps."""
    if is_postgres():
        User.select(User.id).where(User.id == user_id).for_update().execute()


def fan_out(task: Any) -> None:
    """The event task: make the event's messages and their delivery tasks (see the module
    docstring). Runs in the task's transaction."""
    payload = task.payload
    event, key = payload["event"], payload["key"]
    merchant_id = task.merchant_id
    merchant = Merchant.get_or_none(Merchant.id == merchant_id) if merchant_id else None
    cfg = config(merchant_id)
    locale = cfg["locale"]
    context: dict[str, Any] = {
        "store": {"name": merchant.name if merchant else ""},
        **payload.get("context", {}),
    }
    if payload.get("order_id"):
        order = Order.get_or_none(Order.id == payload["order_id"])
        if order is None:
            return
        context["order"] = order_context(order)
    category = payload.get("category") or TRANSACTIONAL
    recipients = _recipients(event, merchant_id, payload)
    opted_out = _opted_out([r.user_id for r in recipients if r.user_id], category)
    now = utcnow()
    quiet_end = quiet_until(merchant, cfg.get("sms_quiet_hours", ""), now)
    own = _store_templates(merchant_id, event, locale)
    for person in recipients:
        if category == MARKETING:
            _hold(person.user_id)
            if marketing_capped(person.user_id, cfg, now):
                continue
        for channel in payload.get("channels") or cfg["channels"]:
            if channel in own:
                chosen = (own[channel].subject, own[channel].body) if own[channel].enabled else None
            else:
                chosen = templates.default(event, channel, locale)
            if chosen is None:
                continue
            address = {"email": person.email, "sms": person.phone, "inbox": ""}[channel]
            why = ""
            if (person.user_id, channel) in opted_out:
                why = "opted out"
            elif channel != "inbox" and not address:
                why = f"no {'e-mail address' if channel == 'email' else 'phone number'}"
            subject = body = ""
            if not why:
                try:
                    subject, body = templates.render(
                        *chosen, {**context, "buyer": {"name": person.name}}
                    )
                except ValidationError as exc:  # a store's template broke after it was saved
                    why = f"template: {exc.errors}"[:500]
            _record(
                merchant_id=merchant_id,
                user_id=person.user_id,
                event=event,
                event_key=key,
                channel=channel,
                recipient=f"user:{person.user_id}",
                address=address or "",
                category=category,
                campaign_id=payload.get("campaign_id"),
                locale=locale,
                subject=subject[:300],
                body=body,
                link=context.get("unsubscribe_url", ""),
                skipped=why,
                send_after=quiet_end if channel == "sms" and quiet_end else now,
            )


def _record(*, skipped: str, send_after: dt.datetime, **fields: Any) -> Message | None:
    """Insert one message (nothing when the event already made it) and its delivery task."""
    try:
        with transaction():  # a savepoint: a duplicate leaves the fan-out usable
            message = Message.create(
                **fields,
                status=SKIPPED if skipped else QUEUED,
                last_error=skipped,
                send_after=send_after,
                segments=segments(fields["body"]) if fields["channel"] == "sms" else 0,
            )
    except pw.IntegrityError:
        return None
    if skipped:
        observe(fields["channel"], "skipped")
        return message
    if fields["channel"] == "inbox":
        # Nothing leaves the database: the message is delivered as it is written, in the
        # fan-out's transaction (no task, no second write).
        Message.update(status=SENT, sent_at=utcnow(), attempts=1).where(
            Message.id == message.id
        ).execute()
        on_commit(lambda: observe("inbox", "sent"))
        return message
    schedule_task(
        DELIVER_TASK,
        run_at=send_after,
        payload={"message_id": message.id},
        merchant_id=fields["merchant_id"],
        dedupe_key=f"{DELIVER_TASK}:{message.id}",
        max_attempts=max_attempts(),
    )
    return message


# -- 3. deliver (outside any transaction) ----------------------------------------------------


def observe(channel: str, verdict: str) -> None:
    """Count a delivery verdict in ``/metrics`` (``mallkit_notifications_total``)."""
    count_notification_verdict(METRIC_CHANNELS[channel], METRIC_VERDICTS[verdict])


def deliver(task: Any) -> None:
    """The deliver task: send one message once (see the module docstring)."""
    message_id = task.payload["message_id"]
    with transaction():
        taken = (
            Message.update(status=SENDING, attempts=Message.attempts + 1)
            .where((Message.id == message_id) & Message.status.in_((QUEUED, SENDING)))
            .execute()
        )
    if not taken:
        return  # sent, failed or skipped already
    message = Message.get_by_id(message_id)
    try:
        reference = CHANNELS[message.channel].send(message)
    except Exception as exc:
        permanent = isinstance(exc, DeliveryError) and exc.permanent
        last = permanent or task.attempts >= (task.max_attempts or max_attempts())
        error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
        with transaction():
            Message.update(status=FAILED if last else QUEUED, last_error=error[:500]).where(
                (Message.id == message_id) & (Message.status == SENDING)
            ).execute()
        observe(message.channel, "failed" if last else "retry")
        if last:
            log.warning("message %s (%s) failed for good: %s", message_id, message.channel, error)
            return
        raise
    with transaction():
        Message.update(
            status=SENT, sent_at=utcnow(), provider_ref=(reference or "")[:100], last_error=""
        ).where((Message.id == message_id) & (Message.status == SENDING)).execute()
    observe(message.channel, "sent")


def redeliver(merchant_id: int, message_id: int) -> Message:
    """Queue a failed message again (staff, from the delivery log)."""
    message = Message.get_or_none((Message.id == message_id) & (Message.merchant_id == merchant_id))
    if message is None:
        raise NotFound("no such message", code="message_not_found")
    if message.status != FAILED:
        raise ValidationError("only a failed message is sent again", code="not_failed")
    with transaction():
        Message.update(status=QUEUED, last_error="").where(
            (Message.id == message_id) & (Message.status == FAILED)
        ).execute()
        schedule_task(
            DELIVER_TASK,
            payload={"message_id": message.id},
            merchant_id=merchant_id,
            dedupe_key=f"{DELIVER_TASK}:{message.id}",
            max_attempts=max_attempts(),
        )
    return Message.get_by_id(message_id)


# -- unpaid reminder -------------------------------------------------------------------------


def schedule_unpaid_reminder(order: Order, cancel_at: dt.datetime | None) -> None:
    """In the checkout transaction: remind the buyer ``unpaid_reminder_minutes`` before the
    order's automatic cancellation (nothing when that is less than a minute away)."""
    minutes = int(config(order.merchant_id)["unpaid_reminder_minutes"])
    if not minutes or cancel_at is None:
        return
    at = cancel_at - dt.timedelta(minutes=minutes)
    if at <= utcnow() + dt.timedelta(minutes=1):
        return
    schedule_task(
        REMINDER_TASK,
        run_at=at,
        payload={"order_id": order.id, "minutes": minutes},
        merchant_id=order.merchant_id,
        dedupe_key=f"{REMINDER_TASK}:{order.id}",
    )


def unpaid_reminder(task: Any) -> None:
    order = Order.get_or_none(Order.id == task.payload["order_id"])
    if order is None or order.status != "pending_payment":
        return
    publish(
        "order_unpaid_reminder",
        order.merchant_id,
        f"order_unpaid_reminder:{order.id}",
        order_id=order.id,
        context={"minutes": task.payload["minutes"]},
    )


# -- verification codes (sent at once, never queued) -----------------------------------------


def send_code(
    channel: str, address: str, code: str, purpose: str, expires_at: dt.datetime, locale: str
) -> bool | None:
    """Send a verification code now and log it — with the code masked — in the delivery
    log. Codes are transactional: opt-outs and quiet hours do not apply."""
    if channel not in ("email", "sms"):
        return None
    minutes = max(1, round((expires_at - utcnow()).total_seconds() / 60))
    chosen = templates.default("verification_code", channel, locale)
    context = {"code": code, "minutes": minutes, "purpose": purpose}
    subject, body = templates.render(*chosen, context)
    masked_subject, masked = templates.render(*chosen, {**context, "code": "******"})
    with transaction():
        message = Message.create(
            event="verification_code",
            event_key=f"verification_code:{uuid.uuid4().hex}",
            channel=channel,
            recipient=address,
            address=address,
            locale=locale,
            subject=masked_subject,
            body=masked,
            status=SENDING,
            attempts=1,
            segments=segments(body) if channel == "sms" else 0,
        )
    message.subject, message.body = subject, body
    try:
        reference = CHANNELS[channel].send(message)
    except Exception as exc:
        with transaction():
            Message.update(status=FAILED, last_error=str(exc)[:500]).where(
                Message.id == message.id
            ).execute()
        observe(channel, "failed")
        raise
    with transaction():
        Message.update(status=SENT, sent_at=utcnow(), provider_ref=(reference or "")[:100]).where(
            Message.id == message.id
        ).execute()
    observe(channel, "sent")
    return True


# -- the inbox and preferences (buyers) ------------------------------------------------------


def inbox(user_id: int):
    return (
        Message.select()
        .where(
            (Message.user_id == user_id) & (Message.channel == "inbox") & (Message.status == SENT)
        )
        .order_by(Message.id.desc())
    )


def unread(user_id: int) -> int:
    return inbox(user_id).where(Message.read_at.is_null()).count()


def mark_read(user_id: int, message_id: int | None = None) -> int:
    """Mark one inbox message (or all) read; how many changed."""
    query = Message.update(read_at=utcnow()).where(
        (Message.user_id == user_id)
        & (Message.channel == "inbox")
        & (Message.status == SENT)
        & Message.read_at.is_null()
    )
    if message_id is not None:
        if not inbox(user_id).where(Message.id == message_id).exists():
            raise NotFound("no such message", code="message_not_found")
        query = query.where(Message.id == message_id)
    with transaction():
        return query.execute()


def preferences(user_id: int) -> dict[str, dict[str, bool]]:
    off = {(o.channel, o.category) for o in OptOut.select().where(OptOut.user_id == user_id)}
    return {
        channel: {
            category: (channel, category) not in off for category in (TRANSACTIONAL, MARKETING)
        }
        for channel in CHANNEL_NAMES
    }


def set_preferences(
    user_id: int, changes: dict[str, dict[str, bool]]
) -> dict[str, dict[str, bool]]:
    with transaction():
        for channel, categories in changes.items():
            for category, wanted in categories.items():
                where = (
                    (OptOut.user_id == user_id)
                    & (OptOut.channel == channel)
                    & (OptOut.category == category)
                )
                if wanted:
                    OptOut.delete().where(where).execute()
                elif not OptOut.select().where(where).exists():
                    try:
                        with transaction():
                            OptOut.create(user_id=user_id, channel=channel, category=category)
                    except pw.IntegrityError:
                        pass  # the same opt-out, set by a racing request
    return preferences(user_id)


def unsubscribe_token(user_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    mac = hmac.new(key, f"notifications-unsubscribe\0{user_id}".encode(), hashlib.sha256)
    return f"{user_id}.{mac.hexdigest()[:32]}"


def unsubscribe(token: str) -> int:
    """Turn off marketing messages on every channel for the token's person; their id."""
    user_part, _, mac = token.partition(".")
    if not (token.isascii() and user_part.isdigit()) or not hmac.compare_digest(
        token, unsubscribe_token(int(user_part))
    ):
        raise NotFound("this unsubscribe link is not valid", code="invalid_link")
    user_id = int(user_part)
    set_preferences(user_id, {channel: {MARKETING: False} for channel in CHANNEL_NAMES})
    return user_id
