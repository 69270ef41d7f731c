"""promotions: 限时折扣, 满减/满折 tiers, 买N送M and bundles, proposed to the pricing pipeline.

限时折扣 is a ``discount`` price candidate (the better of it and a member price wins) with its
own stock cap and per-user limit enforced when the order is placed; the others are
``promotion`` adjustments applied before coupons. See ``docs/plugins/promotions.md``.
"""

from __future__ import annotations

from pathlib import Path

from flask import g, has_app_context

from mallkit.core.plugin_api import MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.promotions import service
from mallkit.plugins.promotions.api import blp
from mallkit.plugins.promotions.schemas import PromotionsConfig

meta = PluginMeta(
    name="promotions",
    version="1.0.0",
    title="Promotions",
    description="限时折扣, 满减/满折, 买N送M and bundles.",
    mallkit=">=0.1,<1",
    config_schema=PromotionsConfig,
    level="merchant",
    category="marketing",
    title_zh="营销活动",
    description_zh="限时折扣、满减/满折、买N送M和套餐。",
)


def _remember(merchant_id: int, running: list) -> None:
    if has_app_context():
        g.setdefault("promotions_running", {})[merchant_id] = running


def _recall(merchant, buyer) -> list:
    """The promotions read by ``propose_unit_prices`` of this same pricing (the core always
    calls it first), so one pricing reads the promotion table once."""
    if has_app_context():
        running = g.setdefault("promotions_running", {}).pop(merchant.id, None)
        if running is not None:
            return running
    return service.for_buyer(merchant, buyer)


@hookimpl
def register_migrations():
    return [MigrationSource("promotions", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def propose_unit_prices(merchant, buyer, lines):
    running = service.for_buyer(merchant, buyer)
    _remember(merchant.id, running)
    return service.propose_prices(merchant.id, buyer.id if buyer else None, lines, running)


@hookimpl
def propose_adjustments(merchant, buyer, lines, context):
    hints = context.get("preview", True)  # placing an order keeps only what applies
    return service.propose_adjustments(merchant.id, lines, _recall(merchant, buyer), hints)


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    service.enforce_limits(order, buyer.id, lines)


@hookimpl
def on_order_state_changed(order, source, target, actor):
    if target == "cancelled" and source == "pending_payment":
        service.give_back(order)


@hookimpl
def register_console_pages():
    from mallkit.plugins.promotions.console import PAGES

    return PAGES
