"""In-process notifications sent after the business transaction commits (blinker).

Hooks (``hookspecs.py``) take part in a change: they run inside its transaction and may veto
it. Signals only say that something happened: they are sent once the transaction that made
the change has committed — never for a change that rolled back — to whatever connected in
this process: a live-chat push, metrics, a webhook to enqueue. A receiver that raises is
logged and the other receivers still run; the caller never sees the error.

Signals are not durable: a process that stops between the commit and the send loses them,
and they reach only the process that made the change. Work that must happen (a refund to
submit, a message that must arrive) goes in the task table, scheduled inside the
transaction (``schedule_task``); a receiver may schedule such a task in a transaction of
its own.

Every signal's sender is the row it is about (an :class:`~mallkit.core.orders.models.Order`,
a :class:`~mallkit.core.accounts.models.User`) as the transaction left it; the keyword
arguments are listed per signal::

    from mallkit.core.plugin_api import order_paid

    @order_paid.connect
    def push_to_staff(order, **kw):
        chat.push(order.merchant_id, f"order {order.number} paid: {order.total}")

See docs/hooks.md ("Signals").
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import Namespace, Signal

from mallkit.core.db import on_commit

log = logging.getLogger("mallkit.signals")

signals = Namespace()

order_placed = signals.signal(
    "order-placed",
    doc="An order was placed (once per order; a checkout spanning stores sends one per "
    "store). Sender: the order. Keywords: buyer_id.",
)
order_paid = signals.signal(
    "order-paid",
    doc="The order's payment was recorded (pending_payment → paid; a group-buy order that "
    "returns to paid when its group succeeds does not send it again). Sender: the order. "
    "Keywords: source, target, actor, reason.",
)
order_shipped = signals.signal(
    "order-shipped",
    doc="Everything was shipped (→ shipped). Sender: the order. Keywords: source, target, "
    "actor, reason.",
)
order_completed = signals.signal(
    "order-completed",
    doc="Receipt confirmed, by the buyer or automatically (→ completed). Sender: the order. "
    "Keywords: source, target, actor, reason.",
)
order_cancelled = signals.signal(
    "order-cancelled",
    doc="An unpaid order was cancelled, by someone or at its timeout (→ cancelled). Sender: "
    "the order. Keywords: source, target, actor, reason.",
)
order_refunded = signals.signal(
    "order-refunded",
    doc="Money went back for some of the order's lines: once per successful refund. Sender: "
    "the order. Keywords: refund, amount, full (True when the order is now refunded in full).",
)
user_registered = signals.signal(
    "user-registered",
    doc="An account was created. Sender: the user.",
)

# Order states whose entry sends a signal; ``paid`` only when the money arrived.
STATE_SIGNALS: dict[str, Signal] = {
    "paid": order_paid,
    "shipped": order_shipped,
    "completed": order_completed,
    "cancelled": order_cancelled,
}


def send(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` now, to each receiver on its own: one that raises is logged and the
    others still run."""
    if not signal.receivers:
        return
    for receiver in list(signal.receivers_for(sender)):
        try:
            receiver(sender, **kwargs)
        except Exception:
            log.exception("receiver %r of signal %r failed", receiver, signal.name)


def send_after_commit(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside one); never if
    it rolls back."""
    on_commit(lambda: send(signal, sender, **kwargs))


def order_state_changed(order: Any, source: str, target: str, **kwargs: Any) -> None:
    """Queue the signal for an order's state change, if that state has one."""
    signal = STATE_SIGNALS.get(target)
    if signal is None or (target == "paid" and source != "pending_payment"):
        return
    send_after_commit(signal, order, source=source, target=target, **kwargs)
