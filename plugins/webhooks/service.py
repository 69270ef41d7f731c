"""Outgoing webhooks: events become signed POSTs to the endpoints that subscribe to them.

1. **Publish** (:func:`publish`), inside the business transaction, from a hook: the event's
   payload is built *now* (the order as this change left it) and one durable task
   ``webhooks.event`` carries it — only when some enabled endpoint of the store or the
   platform exists, so stores without webhooks pay one indexed read.
2. **Fan out** (the event task): one :class:`~.models.Delivery` per subscribed, enabled
   endpoint — unique per (endpoint, event), so a repeated event makes no second delivery —
   and one ``webhooks.deliver`` task each, committed together.
3. **Deliver** (outside any transaction): sign (:mod:`.signing`), POST through the target
   policy (:mod:`.targets`), record the answer. A 2xx is success and resets the endpoint's
   consecutive failures; anything else — an error status, a timeout, a refused address — is
   a failure: the task retries with the core's backoff (2ⁿ seconds, at most an hour) for
   ``WEBHOOK_MAX_ATTEMPTS`` (30: about a day) attempts, and after
   ``WEBHOOK_DISABLE_AFTER`` (15) consecutive failures the endpoint is disabled and its
   pending deliveries fail. Staff can redeliver any delivery.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from typing import Any

import peewee as pw
from flask import current_app

from mallkit.core.plugin_api import (
    Conflict,
    NotFound,
    Order,
    Param,
    Prepared,
    ValidationError,
    count_notification_verdict,
    schedule_task,
    transaction,
    utcnow,
)
from mallkit.plugins.webhooks import signing, targets
from mallkit.plugins.webhooks.models import FAILED, PENDING, SUCCEEDED, Delivery, Endpoint

log = logging.getLogger("mallkit.webhooks")

EVENT_TASK = "webhooks.event"
DELIVER_TASK = "webhooks.deliver"
ROTATION_GRACE = dt.timedelta(hours=24)

EVENT_TYPES = {
    "order.placed": "An order was placed.",
    "order.paid": "An order's payment was recorded.",
    "order.shipped": "Everything in an order was shipped.",
    "order.completed": "Receipt was confirmed (by the buyer or automatically).",
    "order.cancelled": "An unpaid order was cancelled.",
    "order.refunded": "Money went back for some of an order's lines (once per refund).",
    "stock.low": "A SKU's stock fell to its low-stock threshold.",
}


def setting(name: str, default: Any) -> Any:
    return current_app.config.get(name, default)


# -- 1. publish ------------------------------------------------------------------------------


def order_data(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "merchant_id": order.merchant_id,
        "buyer_id": order.buyer_id,
        "status": order.status,
        "currency": order.currency,
        "subtotal": order.subtotal,
        "discount_total": order.discount_total,
        "freight": order.freight,
        "total": order.total,
        "paid_amount": order.paid_amount,
        "refunded_amount": order.refunded_amount,
        "refund_status": order.refund_status,
    }


# Asked on every order event (every checkout): built once.
_LISTENING = Prepared(
    lambda: (
        Endpoint.select(Endpoint.id)
        .where(
            Endpoint.enabled
            & ((Endpoint.merchant_id == Param("merchant")) | Endpoint.merchant_id.is_null())
        )
        .limit(1)
    )
)


def listening(merchant_id: int) -> bool:
    """Whether an enabled endpoint (the store's or the platform's) may want its events."""
    return _LISTENING.one({"merchant": merchant_id}) is not None


def publish(event_type: str, merchant_id: int, key: str, data: dict[str, Any]) -> None:
    """Queue ``event_type`` with ``data`` in the caller's transaction (see the module
    docstring); ``key`` names the occurrence (``order.paid:17``)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event {event_type!r}")
    if not listening(merchant_id):
        return
    schedule_task(
        EVENT_TASK,
        payload={
            "type": event_type,
            "key": key,
            "timestamp": utcnow().isoformat() + "Z",
            "data": data,
        },
        merchant_id=merchant_id,
        dedupe_key=f"{EVENT_TASK}:{key}"[:200],
    )


# -- 2. fan out ------------------------------------------------------------------------------


def fan_out(task: Any) -> None:
    event = task.payload
    endpoints = Endpoint.select().where(
        Endpoint.enabled
        & ((Endpoint.merchant_id == task.merchant_id) | Endpoint.merchant_id.is_null())
    )
    for endpoint in endpoints:
        if event["type"] not in endpoint.event_types:
            continue
        message_id = f"msg_{uuid.uuid4().hex}"
        body = json.dumps(
            {"type": event["type"], "timestamp": event["timestamp"], "data": event["data"]},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        try:
            with transaction():
                delivery = Delivery.create(
                    endpoint_id=endpoint.id,
                    merchant_id=task.merchant_id,
                    event_type=event["type"],
                    event_key=event["key"],
                    message_id=message_id,
                    body=body,
                )
        except pw.IntegrityError:
            continue  # this endpoint has this event already
        _schedule(delivery)


def _schedule(delivery: Delivery) -> None:
    schedule_task(
        DELIVER_TASK,
        payload={"delivery_id": delivery.id},
        merchant_id=delivery.merchant_id,
        dedupe_key=f"{DELIVER_TASK}:{delivery.id}",
        max_attempts=int(setting("WEBHOOK_MAX_ATTEMPTS", 30)),
    )


# -- 3. deliver ------------------------------------------------------------------------------


def _keys(endpoint: Endpoint, now: dt.datetime) -> list[bytes]:
    keys = [signing.key_for(endpoint.id, endpoint.secret_salt)]
    if endpoint.previous_salt and endpoint.previous_until and endpoint.previous_until > now:
        keys.append(signing.key_for(endpoint.id, endpoint.previous_salt))
    return keys


def deliver(task: Any) -> None:
    delivery = Delivery.get_or_none(Delivery.id == task.payload["delivery_id"])
    if delivery is None or delivery.status != PENDING:
        return
    endpoint = Endpoint.get_or_none(Endpoint.id == delivery.endpoint_id)
    if endpoint is None or not endpoint.enabled:
        _finish(delivery, FAILED, error="the endpoint is disabled or gone")
        return
    now = utcnow()
    body = delivery.body.encode()
    headers = signing.headers(_keys(endpoint, now), delivery.message_id, int(time.time()), body)
    status, excerpt, error = None, b"", ""
    try:
        status, excerpt = targets.post(
            endpoint.url, body, headers, timeout=float(setting("WEBHOOK_TIMEOUT", 10))
        )
    except targets.TargetRefused as exc:
        error = f"refused: {exc}"
    except (OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    ok = status is not None and 200 <= status < 300
    if not ok and not error:
        error = f"the receiver answered {status}"
    with transaction():
        Delivery.update(
            attempts=Delivery.attempts + 1,
            response_status=status,
            response_excerpt=excerpt.decode("utf-8", "replace")[:500],
            last_error=error[:500],
            last_attempt_at=now,
        ).where(Delivery.id == delivery.id).execute()
    if ok:
        count_notification_verdict("webhook", "sent")
        _finish(delivery, SUCCEEDED)
        with transaction():
            Endpoint.update(failures=0).where(Endpoint.id == endpoint.id).execute()
        return
    last = task.attempts >= (task.max_attempts or int(setting("WEBHOOK_MAX_ATTEMPTS", 30)))
    disabled = _count_failure(endpoint)
    if last or disabled:
        count_notification_verdict("webhook", "failed")
        _finish(delivery, FAILED, error=error)
        return
    count_notification_verdict("webhook", "retrying")
    raise RuntimeError(error)  # the task runner retries with backoff


def _finish(delivery: Delivery, status: str, error: str | None = None) -> None:
    changes: dict[str, Any] = {"status": status}
    if status == SUCCEEDED:
        changes["delivered_at"] = utcnow()
    if error is not None:
        changes["last_error"] = error[:500]
    with transaction():
        Delivery.update(**changes).where(
            (Delivery.id == delivery.id) & (Delivery.status == PENDING)
        ).execute()


def _count_failure(endpoint: Endpoint) -> bool:
    """One more consecutive failure; disables the endpoint at the limit (True then)."""
    limit = int(setting("WEBHOOK_DISABLE_AFTER", 15))
    with transaction():
        Endpoint.update(failures=Endpoint.failures + 1).where(Endpoint.id == endpoint.id).execute()
        disabled = (
            Endpoint.update(
                enabled=False,
                disabled_reason=f"{limit} deliveries in a row failed",
                updated_at=utcnow(),
            )
            .where((Endpoint.id == endpoint.id) & Endpoint.enabled & (Endpoint.failures >= limit))
            .execute()
        )
        if disabled:
            Delivery.update(status=FAILED, last_error="the endpoint was disabled").where(
                (Delivery.endpoint_id == endpoint.id) & (Delivery.status == PENDING)
            ).execute()
    if disabled:
        log.warning("webhook endpoint %s disabled after %s failures", endpoint.id, limit)
    return bool(disabled)


# -- endpoints -------------------------------------------------------------------------------


def _check_types(event_types: list[str]) -> None:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        raise ValidationError(
            "unknown event types",
            errors={"event_types": [f"Choose from {sorted(EVENT_TYPES)}; unknown: {unknown}."]},
        )


def create_endpoint(
    merchant_id: int | None, data: dict[str, Any], actor_id: int
) -> tuple[Endpoint, str]:
    """A new endpoint and its secret (shown this once)."""
    targets.check(data["url"])
    _check_types(data["event_types"])
    limit = int(setting("WEBHOOK_MAX_ENDPOINTS", 20))
    with transaction():
        count = (
            Endpoint.select()
            .where(
                Endpoint.merchant_id.is_null()
                if merchant_id is None
                else Endpoint.merchant_id == merchant_id
            )
            .count()
        )
        if count >= limit:
            raise Conflict(f"at most {limit} endpoints", code="too_many_endpoints")
        endpoint = Endpoint.create(
            merchant_id=merchant_id,
            url=data["url"],
            description=data.get("description", ""),
            event_types=sorted(set(data["event_types"])),
            secret_salt=signing.new_salt(),
            created_by=actor_id,
        )
    return endpoint, signing.secret_for(endpoint.id, endpoint.secret_salt)


def get_endpoint(merchant_id: int | None, endpoint_id: int) -> Endpoint:
    owner = (
        Endpoint.merchant_id.is_null()
        if merchant_id is None
        else Endpoint.merchant_id == merchant_id
    )
    endpoint = Endpoint.get_or_none((Endpoint.id == endpoint_id) & owner)
    if endpoint is None:
        raise NotFound("no such endpoint", code="endpoint_not_found")
    return endpoint


def update_endpoint(merchant_id: int | None, endpoint_id: int, changes: dict[str, Any]) -> Endpoint:
    endpoint = get_endpoint(merchant_id, endpoint_id)
    if "url" in changes:
        targets.check(changes["url"])
    if "event_types" in changes:
        _check_types(changes["event_types"])
        changes["event_types"] = sorted(set(changes["event_types"]))
    if changes.get("enabled"):  # switched on again: a fresh start
        changes.update(failures=0, disabled_reason="")
    with transaction():
        Endpoint.update(**changes, updated_at=utcnow()).where(Endpoint.id == endpoint.id).execute()
    return Endpoint.get_by_id(endpoint.id)


def delete_endpoint(merchant_id: int | None, endpoint_id: int) -> None:
    endpoint = get_endpoint(merchant_id, endpoint_id)
    with transaction():
        Delivery.update(status=FAILED, last_error="the endpoint was deleted").where(
            (Delivery.endpoint_id == endpoint.id) & (Delivery.status == PENDING)
        ).execute()
        Endpoint.delete().where(Endpoint.id == endpoint.id).execute()


def rotate_secret(merchant_id: int | None, endpoint_id: int) -> tuple[Endpoint, str]:
    """A new secret (shown this once); the old one keeps signing for a day beside it."""
    endpoint = get_endpoint(merchant_id, endpoint_id)
    salt = signing.new_salt()
    with transaction():
        Endpoint.update(
            secret_salt=salt,
            previous_salt=endpoint.secret_salt,
            previous_until=utcnow() + ROTATION_GRACE,
            updated_at=utcnow(),
        ).where(Endpoint.id == endpoint.id).execute()
    return Endpoint.get_by_id(endpoint.id), signing.secret_for(endpoint.id, salt)


def _owned(merchant_id: int | None) -> Any:
    """Deliveries to the store's endpoints (the platform's, with no ``merchant_id``)."""
    owner = (
        Endpoint.merchant_id.is_null()
        if merchant_id is None
        else Endpoint.merchant_id == merchant_id
    )
    return Delivery.endpoint_id.in_(Endpoint.select(Endpoint.id).where(owner))


def deliveries(
    merchant_id: int | None, endpoint_id: int | None = None, status: str | None = None
) -> Any:
    """The deliveries to the store's (or the platform's) endpoints, newest first; only one
    endpoint's and only in one ``status`` when given."""
    query = Delivery.select().where(_owned(merchant_id))
    if endpoint_id is not None:
        query = query.where(Delivery.endpoint_id == endpoint_id)
    if status:
        query = query.where(Delivery.status == status)
    return query.order_by(Delivery.id.desc())


def redeliver(merchant_id: int | None, delivery_id: int) -> Delivery:
    """Send a delivery again (same ``webhook-id``), whatever became of it."""
    delivery = Delivery.get_or_none((Delivery.id == delivery_id) & _owned(merchant_id))
    if delivery is None:
        raise NotFound("no such delivery", code="delivery_not_found")
    endpoint = Endpoint.get_by_id(delivery.endpoint_id)
    if not endpoint.enabled:
        raise Conflict("the endpoint is disabled: enable it first", code="endpoint_disabled")
    with transaction():
        Delivery.update(status=PENDING, last_error="").where(Delivery.id == delivery.id).execute()
        _schedule(delivery)
    return Delivery.get_by_id(delivery.id)
