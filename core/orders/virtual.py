"""Virtual orders: an order for something that is not shipped (a stored-value recharge),
written by a plugin and paid through the normal payment flow.

A plugin that sells something outside the catalog still wants everything the core does for
orders — payment attempts through any enabled channel, exactly-once payment recording,
reconciliation, auto-cancel, refunds to the original channel — so it places an order instead of
inventing a second way of paying. The order has one line (no SKU: ``sku_id`` and
``product_id`` are 0, ``unit_cost`` NULL), no address, no stock and
``shipping_method == "virtual"``; no pricing hooks run (the amount is the caller's). The
plugin reacts to ``on_order_state_changed`` (``paid``) to deliver, and may register a
``paid → completed`` transition for its own orders.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.db import transaction
from mallkit.core.errors import ValidationError
from mallkit.core.orders.machine import Actor, record_event
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.orders.service import AUTO_CANCEL, new_number, settings_for
from mallkit.core.plugins import merchant_plugins
from mallkit.core.tasks import queue as tasks

VIRTUAL = "virtual"  # the ``shipping_method`` of a virtual order


def place_virtual_order(
    merchant: Merchant,
    buyer: User,
    *,
    title: str,
    amount: int,
    data: dict[str, Any] | None = None,
) -> Order:
    """Place an unpaid one-line order of ``amount`` minor units for ``title``.

    Inside the caller's transaction when there is one (write the plugin's own row that
    points at the order in the same one). ``data`` is stored in ``order.pricing["virtual"]``
    for the record. The auto-cancel task is written as for any order.
    """
    if amount <= 0:
        raise ValidationError("the amount must be positive", errors={"amount": ["Above 0."]})
    with transaction():
        order = Order.create(
            number=new_number(),
            merchant=merchant.id,
            buyer=buyer.id,
            currency=merchant.currency,
            subtotal=amount,
            total=amount,
            shipping_method=VIRTUAL,
            pricing={"applied": [], "shipping": None, "virtual": data or {}},
            plugins=sorted(merchant_plugins(merchant.id).enabled),
        )
        OrderLine.create(
            order=order.id,
            sku_id=0,
            product_id=0,
            product_name=title[:200],
            unit_price=amount,
            sale_unit_price=amount,
            quantity=1,
            amount=amount,
            pay_amount=amount,
        )
        record_event(order, "placed", Actor("buyer", buyer.id), data={"total": amount})
        tasks.schedule(
            AUTO_CANCEL,
            delay=dt.timedelta(minutes=settings_for(merchant.id).auto_cancel_minutes),
            payload={"order_id": order.id},
            merchant_id=merchant.id,
            dedupe_key=f"{AUTO_CANCEL}:{order.id}",
        )
    return order
