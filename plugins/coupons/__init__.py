"""coupons: 满减 / 折扣 / 无门槛 coupons claimed, issued, gifted or redeemed, applied at checkout.

Coupons are proposed to the pricing pipeline as ``Adjustment(kind="coupon")`` in one stacking
group (one coupon per order by default); the coupon is consumed when the order is placed,
returned when the unpaid order is cancelled, and expired by a daily task.
See ``docs/plugins/coupons.md``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mallkit.core.plugin_api import JobHandler, MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.coupons import demo, service
from mallkit.plugins.coupons.api import blp
from mallkit.plugins.coupons.schemas import CouponsConfig

meta = PluginMeta(
    name="coupons",
    version="1.0.0",
    title="Coupons",
    description="满减, 折扣 and 无门槛 coupons: coupon centre, issuing, redeem codes, checkout.",
    mallkit=">=0.1,<1",
    config_schema=CouponsConfig,
    level="merchant",
    category="marketing",
    title_zh="优惠券",
    description_zh="满减券、折扣券和无门槛券：领券中心、定向发放、兑换码、结算抵扣。",
)


@hookimpl
def register_migrations():
    return [MigrationSource("coupons", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_console_pages():
    from mallkit.plugins.coupons.console import PAGES

    return PAGES


@hookimpl
def grant_coupon(merchant, buyer, template_id, channel):
    coupon = service.grant(merchant.id, template_id, buyer.id, channel)
    return {"coupon_id": coupon.id, "template_id": template_id, "name": coupon.template.name}


@hookimpl
def register_job_handlers():
    # Every day at the store's midnight, in its own time zone, while coupons are on.
    return [JobHandler(service.EXPIRE_JOB, service.run_expiry, daily_at=dt.time(0, 0))]


@hookimpl
def on_user_registered(user):
    service.gift_new_user(user)


@hookimpl
def propose_adjustments(merchant, buyer, lines, context):
    if buyer is None:
        return []
    return service.propose(merchant.id, buyer.id, lines, context)


@hookimpl
def validate_checkout(merchant, buyer, order):
    service.check_choice(order)


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    service.consume(order, buyer.id)


@hookimpl
def on_order_state_changed(order, source, target, actor):
    service.on_state_changed(order, source, target)


@hookimpl(optionalhook=True)  # declared by the aftersales plugin, when it is installed
def on_aftersale_completed(case, order, refund):
    service.after_aftersale(order, refund)


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant)
