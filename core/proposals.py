"""The value types pricing and registration hooks exchange with the core.

Plugins *propose*; the core decides. A proposal carries a ``priority`` and a ``stacking``
group so the order in which money is applied never depends on plugin registration order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class PriceCandidate:
    """A unit price a plugin offers for one line (member price, activity price, ...).

    ``kind`` places it in the fixed pricing order (``"activity"`` before ``"discount"``/
    ``"member"``); among candidates of the same kind the lowest price wins, ties broken by
    ``priority`` (higher first) then ``source``.
    """

    line_key: str
    unit_price: int
    source: str
    kind: str
    label: str = ""
    priority: int = 0
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """An order-level change of money proposed for some lines (coupon, 满减, points ...).

    ``amount`` is negative for a discount, positive for a charge, in minor units. ``kind``
    places it in the fixed pricing order (``"promotion"``, ``"coupon"``, ``"points"``);
    ``line_keys`` names the lines it applies to (empty: all), and the core apportions it over
    them by line amount. ``usable`` False carries ``reason`` for the "unusable offers" list.
    ``kind="gift"`` (满赠, ``amount=0``, ``data={"sku_id", "product_id", "quantity"}``) adds
    a zero-price gift line instead of moving money; checkout refuses it without the stock.
    """

    source: str
    kind: str
    amount: int
    label: str = ""
    line_keys: tuple[str, ...] = ()
    priority: int = 0
    stacking: str = ""
    usable: bool = True
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ShippingQuote:
    """A way to deliver the lines with its freight in minor units."""

    source: str
    code: str
    label: str
    amount: int
    deliverable: bool = True
    reason: str = ""


@dataclass(frozen=True, slots=True)
class MigrationSource:
    """A folder of numbered peewee migration scripts with its own history table
    (``migrations_<name>``). The core's folder runs first, then each plugin's after the
    plugins it requires."""

    name: str
    directory: Path


@dataclass(frozen=True, slots=True)
class JobHandler:
    """A durable-task handler: ``run(task)`` runs the ``scheduled_task`` rows of ``kind``.

    ``run`` receives the :class:`mallkit.core.tasks.ScheduledTask` (read ``task.payload`` and
    ``task.merchant_id``), runs inside the task's own transaction (its database writes commit
    with the task marked ``done`` and roll back when it raises) and returns nothing. It must be
    idempotent. ``max_attempts``: how often a task is tried before it is marked ``failed``,
    unless the task was scheduled with its own. Returned by ``register_job_handlers`` or
    registered by the core with :func:`mallkit.core.tasks.register_core_handler`.

    ``in_transaction=False`` is for handlers that call out over the network (a gateway query,
    a refund): they run outside any transaction — on SQLite a transaction holds the database's
    write lock, and nobody should wait on a gateway for it — and open their own short ones;
    the task is marked ``done`` after they return. Such a handler may run again after a crash
    between its work and that mark, so it must check the current state first.
    """

    kind: str
    run: Callable[..., Any]
    max_attempts: int = 5
    in_transaction: bool = True


@dataclass(frozen=True, slots=True)
class OrderTransition:
    """A state change an order may make; plugins add states such as ``awaiting_group``."""

    source: str
    target: str
    name: str
    actors: tuple[str, ...] = ("system",)
