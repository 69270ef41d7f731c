"""distribution (分销): promoters earn commission on the orders of the buyers they bring.

Buyers become promoters by the store's mode (everyone, appointed, apply-and-approve, or
after a paid-spend threshold) and share core share links; a buyer who comes through one is
bound to the promoter by the store's binding rule. When an order is paid, its lines earn
commission for at most two levels — the buyer's promoter and that promoter's upline — frozen
until the order completes plus ``settle_days``, then settled into the promoter's balance by a
durable task; refunds take it back. Promoters withdraw through a reviewed payout.
See docs/plugins/distribution.md.
"""

from __future__ import annotations

from pathlib import Path

from mallkit.core.plugin_api import JobHandler, MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.distribution import commission, demo, promoters
from mallkit.plugins.distribution.api import blp
from mallkit.plugins.distribution.hookspecs import DistributionSpecs
from mallkit.plugins.distribution.schemas import DistributionConfig

meta = PluginMeta(
    name="distribution",
    version="1.0.0",
    title="Distribution (分销)",
    description="Promoters, binding by share links, two-level commission, ledger, withdrawals.",
    mallkit=">=0.1,<1",
    config_schema=DistributionConfig,
    level="merchant",
    category="marketing",
    title_zh="分销",
    description_zh="推广员、分享链接绑定、两级佣金、佣金明细与提现。",
)


@hookimpl
def register_hookspecs():
    return [DistributionSpecs]


@hookimpl
def register_migrations():
    return [MigrationSource("distribution", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_job_handlers():
    return [JobHandler(commission.SETTLE, commission.run_settle_task)]


@hookimpl
def on_user_registered(user, share_code):
    promoters.on_registered(user, share_code)


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    promoters.on_placed(order)


@hookimpl
def on_order_state_changed(order, source, target, actor):
    if target == "paid" and source == "pending_payment":
        commission.on_paid(order)
        promoters.after_payment(order)
    elif target == "completed":
        commission.on_completed(order)


@hookimpl
def on_order_refunded(order, refund, lines, full):
    commission.on_refunded(order, lines)


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.seed(merchant)


@hookimpl
def register_console_pages():
    from mallkit.plugins.distribution.console import PAGES

    return PAGES
