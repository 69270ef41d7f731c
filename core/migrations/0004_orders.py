"""Carts, orders, payments, refunds and idempotency keys."""

from mallkit.core.cart.models import CartLine
from mallkit.core.idempotency import IdempotencyKey
from mallkit.core.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    OrderSettings,
    Shipment,
    ShipmentLine,
)
from mallkit.core.payments.models import PaymentAttempt, PaymentLog, Refund, RefundLine

MODELS = [
    OrderSettings,
    CartLine,
    Order,
    OrderLine,
    OrderEvent,
    Shipment,
    ShipmentLine,
    PaymentAttempt,
    Refund,
    RefundLine,
    PaymentLog,
    IdempotencyKey,
]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
