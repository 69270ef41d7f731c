"""webhooks: stores and the platform register HTTPS endpoints for event types; each event is
a JSON body signed the Standard Webhooks way, sent by the task workers with retries and
backoff, logged per delivery, redeliverable, and an endpoint failing again and again is
switched off. Target addresses are checked so no merchant can make the server call the
platform's own network. See docs/plugins/webhooks.md.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mallkit.core.plugin_api import JobHandler, MigrationSource, PluginMeta, transaction, utcnow
from mallkit.hookspecs import hookimpl
from mallkit.plugins.webhooks import demo, retention, service
from mallkit.plugins.webhooks.api import blp

log = logging.getLogger("mallkit.webhooks")

meta = PluginMeta(
    name="webhooks",
    version="1.0.0",
    title="Webhooks",
    description="Signed HTTPS callbacks of order and stock events for integrators.",
    mallkit=">=0.1,<1",
    level="platform",
    category="service",
    title_zh="Webhook 推送",
    description_zh="把订单和库存事件以签名的 HTTPS 回调推送给对接系统。",
)


def _publish(event_type: str, merchant_id: int, key: str, data: dict) -> None:
    """Queue the event without ever failing the change it rides on."""
    try:
        if not service.listening(merchant_id):  # a plain read: no savepoint needed for it
            return
        with transaction():
            service.publish(event_type, merchant_id, key, data)
    except Exception:
        log.exception("queueing webhook %s failed", event_type)


@hookimpl
def register_migrations():
    return [MigrationSource("webhooks", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_console_pages():
    from mallkit.plugins.webhooks.console import PAGES

    return PAGES


@hookimpl
def register_job_handlers():
    return [
        JobHandler(service.EVENT_TASK, service.fan_out),
        JobHandler(service.DELIVER_TASK, service.deliver, in_transaction=False, max_attempts=30),
        # the delivery log's purge: one short transaction per batch, not one long one
        JobHandler(
            retention.PURGE_TASK, retention.run, in_transaction=False, every=retention.EVERY
        ),
    ]


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    _publish(
        "order.placed", order.merchant_id, f"order.placed:{order.id}", service.order_data(order)
    )


_STATES = {
    "paid": "order.paid",
    "shipped": "order.shipped",
    "completed": "order.completed",
    "cancelled": "order.cancelled",
}


@hookimpl
def on_order_state_changed(order, source, target, actor):
    event = _STATES.get(target)
    if event is None or (target == "paid" and source != "pending_payment"):
        return
    _publish(event, order.merchant_id, f"{event}:{order.id}", service.order_data(order))


@hookimpl
def on_order_refunded(order, refund, lines, full):
    data = {
        **service.order_data(order),
        "refund": {"id": refund.id, "amount": refund.amount, "full": bool(full)},
    }
    _publish("order.refunded", order.merchant_id, f"order.refunded:{refund.id}", data)


@hookimpl
def on_low_stock(merchant, sku, stock, threshold):
    _publish(
        "stock.low",
        merchant.id,
        f"stock.low:{sku.id}:{utcnow().isoformat()}",
        {
            "merchant_id": merchant.id,
            "product_id": sku.product.id,
            "product_name": sku.product.name,
            "sku_id": sku.id,
            "sku_code": sku.code or "",
            "stock": stock,
            "threshold": threshold,
        },
    )


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)
