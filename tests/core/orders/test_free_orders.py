"""An order that costs nothing is paid as it is placed, with no payment channel."""

from __future__ import annotations

from mallkit.core.orders.models import Order, OrderEvent
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.testing import make_product, place_order, skus_of


def test_a_zero_total_order_is_paid_at_once(app, merchant, buyer):
    free = skus_of(make_product(merchant, "试用装", prices=(0,), stocks=(5,)))[0]
    order = place_order(buyer, [(free, 1)])
    assert order.total == 0 and order.status == "paid"
    assert order.payment_channel == "none" and order.paid_at is not None
    assert [e.to_status for e in OrderEvent.select().where(OrderEvent.order == order.id)][-1] == (
        "paid"
    )
    live = ScheduledTask.select().where(
        (ScheduledTask.dedupe_key == f"order.auto_cancel:{order.id}")
        & (ScheduledTask.status == "pending")
    )
    assert not live.exists()  # nothing left to cancel it


def test_a_priced_order_still_waits_for_payment(app, merchant, buyer):
    sku = skus_of(make_product(merchant, prices=(100,)))[0]
    assert place_order(buyer, [(sku, 1)]).status == "pending_payment"
    assert Order.select().where(Order.status == "paid").count() == 0
