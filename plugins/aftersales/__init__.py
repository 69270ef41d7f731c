"""aftersales (售后): refund only, return and refund, exchange — per order line and quantity.

A buyer applies for one line of a paid, shipped or completed order (within ``window_days``
of completion); staff approve or reject (or the case is approved automatically after
``approve_within_hours``); a return comes back with a carrier and tracking number, is
received or refused, and is refunded through the channel the order was paid with by the
core's refund service (``refund_lines``) — or, for an exchange, reshipped. The core's
``on_order_refunded`` completes the case and carries the effects every refund has (points,
commission, stock, the order's refund status); this plugin's own hooks
(``hookspecs.AftersalesSpecs``) tell other plugins about the case. See
docs/plugins/aftersales.md.
"""

from __future__ import annotations

from pathlib import Path

from mallkit.core.plugin_api import JobHandler, MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.aftersales import service
from mallkit.plugins.aftersales.api import blp
from mallkit.plugins.aftersales.hookspecs import AftersalesSpecs
from mallkit.plugins.aftersales.schemas import AftersalesConfig

meta = PluginMeta(
    name="aftersales",
    version="1.0.0",
    title="After-sales (售后)",
    description="Refunds, returns and exchanges buyers apply for and staff decide.",
    mallkit=">=0.1,<1",
    config_schema=AftersalesConfig,
    level="merchant",
    category="service",
    title_zh="售后",
    description_zh="买家申请退款、退货退款、换货，商家审核处理。",
)


@hookimpl
def register_hookspecs():
    return [AftersalesSpecs]


@hookimpl
def register_migrations():
    return [MigrationSource("aftersales", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_job_handlers():
    return [
        JobHandler(service.AUTO_APPROVE, service.run_auto_approve),
        JobHandler(service.AUTO_CLOSE, service.run_auto_close),
        JobHandler(service.REFUND, service.run_refund),
    ]


@hookimpl
def on_order_refunded(order, refund, lines, full):
    service.on_refunded(order, refund)


@hookimpl
def on_order_state_changed(order, source, target, actor):
    if target == "closed":
        service.on_order_closed(order)


@hookimpl
def order_lines_on_hold(order):
    return service.lines_on_hold(order)


@hookimpl
def extend_demo(app, merchant, base_url):
    from mallkit.plugins.aftersales import demo  # only the demo loads it

    return demo.attach(app, merchant, base_url)


@hookimpl
def register_console_pages():
    from mallkit.plugins.aftersales.console import PAGES

    return PAGES
