"""The order state machine.

Core states: ``pending_payment → paid → shipped → completed``, plus ``cancelled`` (before
payment) and ``closed`` (everything refunded). Plugins add states and transitions through
``register_order_transitions`` (group buy's ``awaiting_group``) and veto a transition with
``validate_order_transition``.

Every transition is a compare-and-set on the old state plus an order event row, in one
transaction, with ``on_order_state_changed`` hooks running inside it: two racing transitions
(a cancel and a payment) cannot both win. The matching signal (``order_paid`` ...,
:mod:`mallkit.core.signals`) is sent after the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mallkit.core import signals
from mallkit.core.db import insert, transaction, utcnow
from mallkit.core.errors import Conflict
from mallkit.core.orders.models import Order, OrderEvent
from mallkit.core.plugins import get_host, merchant_plugins, order_hooks


@dataclass(frozen=True, slots=True)
class OrderTransition:
    """A state change an order may make; plugins add states such as ``awaiting_group``."""

    source: str
    target: str
    name: str
    actors: tuple[str, ...] = ("system",)


CORE_TRANSITIONS = (
    OrderTransition("pending_payment", "paid", "pay", ("system",)),
    OrderTransition(
        "pending_payment", "cancelled", "cancel", ("buyer", "staff", "admin", "system")
    ),
    OrderTransition("paid", "shipped", "ship", ("staff", "admin", "system")),
    OrderTransition("shipped", "completed", "confirm", ("buyer", "admin", "system")),
    OrderTransition("paid", "closed", "close", ("system",)),
    OrderTransition("shipped", "closed", "close", ("system",)),
    OrderTransition("completed", "closed", "close", ("system",)),
)

# Timestamp columns stamped when an order enters a state.
_STAMPS = {
    "paid": "paid_at",
    "shipped": "shipped_at",
    "completed": "completed_at",
    "cancelled": "cancelled_at",
    "closed": "closed_at",
}


@dataclass(frozen=True)
class Actor:
    """Who causes a change: ``Actor("buyer", user.id)``, ``Actor("system")``."""

    type: str
    id: int | None = None


SYSTEM = Actor("system")


def transitions() -> dict[tuple[str, str], OrderTransition]:
    """The core's transitions merged with every plugin's, keyed by (source, target)."""
    host = get_host()
    cached = host.cache.get("order_transitions")
    if cached is None:
        cached = {(t.source, t.target): t for t in CORE_TRANSITIONS}
        for items in host.hook.register_order_transitions():
            for t in items or ():
                cached[(t.source, t.target)] = t
        host.cache["order_transitions"] = cached
    return cached


def transition(
    order: Order,
    target: str,
    actor: Actor,
    *,
    reason: str = "",
    data: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> Order:
    """Move ``order`` from its current state to ``target``, exactly once.

    Raises ``Conflict`` (``invalid_transition``) when the machine has no such transition or
    the actor may not make it, and (``order_state_changed``) when another change won the
    race. ``changes`` are extra columns written by the same compare-and-set.
    """
    source = order.status
    rule = transitions().get((source, target))
    if rule is None or actor.type not in rule.actors:
        raise Conflict(
            f"an order cannot go from {source} to {target}"
            + ("" if rule is None else f" by {actor.type}"),
            code="invalid_transition",
            errors={"status": [source]},
        )
    with transaction():
        view = merchant_plugins(order.merchant_id)
        view.hook.validate_order_transition(order=order, source=source, target=target, actor=actor)
        values: dict[str, Any] = {"status": target, **(changes or {})}
        stamp = _STAMPS.get(target)
        if stamp and stamp not in values:
            values[stamp] = utcnow()
        won = (
            Order.update(**values)
            .where((Order.id == order.id) & (Order.status == source))
            .execute()
        )
        if not won:
            raise Conflict("the order changed meanwhile; reload it", code="order_state_changed")
        OrderEvent.create(
            order=order.id,
            actor_type=actor.type,
            actor_id=actor.id,
            action=rule.name,
            from_status=source,
            to_status=target,
            reason=reason,
            data=data or {},
        )
        for key, value in values.items():
            setattr(order, key, value)
        order_hooks(order).on_order_state_changed(
            order=order, source=source, target=target, actor=actor
        )
        signals.order_state_changed(order, source, target, actor=actor, reason=reason)
    return order


def record_event(
    order: Order, action: str, actor: Actor, *, reason: str = "", data: dict[str, Any] | None = None
) -> OrderEvent:
    """An event that is not a state change (price change, note, shipment ...)."""
    return insert(  # SQL built once: every placed order writes one
        OrderEvent,
        [
            {
                "order": order.id,
                "actor_type": actor.type,
                "actor_id": actor.id,
                "action": action,
                "from_status": order.status,
                "to_status": order.status,
                "reason": reason,
                "data": data or {},
            }
        ],
    )[0]
