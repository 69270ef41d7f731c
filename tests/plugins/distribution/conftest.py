"""Distribution fixtures: a store with the plugin on, people, promoter chains, and helpers
to take an order from checkout to completion and settlement."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from mallkit.core.db import utcnow
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order
from mallkit.core.plugins import PluginMeta
from mallkit.core.testing import (
    make_account,
    make_product,
    pay_order,
    place_order,
    run_tasks,
    skus_of,
)
from mallkit.hookspecs import hookimpl
from mallkit.plugins.distribution import promoters
from mallkit.plugins.distribution.models import LedgerEntry, Promoter

# A plugin building on distribution's own hooks, and answering the core's
# order_lines_on_hold as an after-sales plugin would.
listener = types.ModuleType("distribution_listener")
listener.meta = PluginMeta(name="distribution_listener", version="1.0.0", title="Listener")
listener.EVENTS = []
listener.HELD = set()


@hookimpl
def on_commission_settled(commission, promoter):
    listener.EVENTS.append(("settled", commission.id, commission.settled))


@hookimpl
def on_commission_reversed(commission, amount, settled):
    listener.EVENTS.append(("reversed", commission.id, amount, settled))


@hookimpl
def on_withdrawal_finished(withdrawal):
    listener.EVENTS.append(("withdrawal", withdrawal.id, withdrawal.status))


@hookimpl
def order_lines_on_hold(order):
    return [line_id for line_id in listener.HELD]


listener.on_commission_settled = on_commission_settled
listener.on_commission_reversed = on_commission_reversed
listener.on_withdrawal_finished = on_withdrawal_finished
listener.order_lines_on_hold = order_lines_on_hold

CONFIG = {"promoter_mode": "appointed", "level1_bp": 1000, "level2_bp": 500, "settle_days": 7}


@pytest.fixture
def dist(app, merchant, enable_plugin):
    """Enable distribution with ``CONFIG``; yields ``configure(**changes)``."""
    listener.EVENTS.clear()
    listener.HELD.clear()
    from mallkit.core import plugin_settings

    def configure(**changes):
        with app.app_context():
            plugin_settings.enable(merchant, "distribution", {**CONFIG, **changes})

    with enable_plugin("payment_manual", merchant, {"bank_account": "TEST 0000"}):
        with enable_plugin("distribution", merchant, CONFIG):
            with enable_plugin(listener, merchant):
                yield configure


@pytest.fixture
def people(app):
    counter = iter(range(10_000))

    def make(n):
        return [make_account(email=f"d{next(counter)}@dist.test") for _ in range(n)]

    return make


@pytest.fixture
def sku(merchant):
    return skus_of(make_product(merchant, prices=(10000,), stocks=(10_000,)))[0]


def promote(merchant, account, parent=None, **fields):
    """Make ``account`` a promoter, bound first to ``parent`` (a promoter) when given."""
    user_id = account.user.id
    if parent is not None:
        promoters.bind(merchant.id, user_id, parent, "code")
    promoter = promoters.make_promoter(merchant.id, user_id, "appointed", **fields)
    return promoter


def chain(merchant, accounts):
    """``accounts[0]`` is the top promoter; each next one is bound under the previous."""
    out = []
    for account in accounts:
        out.append(promote(merchant, account, out[-1] if out else None))
    return out


def buy(account, sku, quantity=1):
    return pay_order(place_order(account, [(sku, quantity)]))


def complete(order):
    order = Order.get_by_id(order.id)
    orders.ship(order, Actor("staff"), carrier="SF", tracking_number=f"SF{order.id}")
    orders.confirm_receipt(Order.get_by_id(order.id), Actor("buyer", order.buyer_id))
    return Order.get_by_id(order.id)


def settle_all(days=8):
    return run_tasks(at=utcnow() + dt.timedelta(days=days))


def ledger_sum(promoter_id):
    return sum(e.amount for e in LedgerEntry.select().where(LedgerEntry.promoter_id == promoter_id))


def reload(promoter):
    return Promoter.get_by_id(promoter.id)


def fund(merchant, promoter, amount):
    """Put ``amount`` into the promoter's balance as settled commission would."""
    from mallkit.core.db import transaction
    from mallkit.plugins.distribution import wallet

    with transaction():
        wallet.credit(wallet.lock(promoter.id), amount)
