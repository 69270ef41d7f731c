"""groupbuy (拼团): buy at a group price once enough friends join.

A buyer opens a group by placing and paying an order at the group price (a buy-now item with
``activity={"type": "groupbuy", "id": <activity>}``); others join through a share code
(``params={"share": code}``, a core share link of kind ``"group"``, or ``{"group_id": id}``)
until the group is full. A paid group order waits in ``awaiting_group`` (it cannot ship)
until the group succeeds; at expiry a durable task succeeds it by simulation when configured,
or fails it and refunds every paid member through the channel they paid with. See
docs/plugins/groupbuy.md.
"""

from __future__ import annotations

from pathlib import Path

from marshmallow import EXCLUDE, Schema

from mallkit.core.plugin_api import JobHandler, MigrationSource, OrderTransition, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.groupbuy import demo, service
from mallkit.plugins.groupbuy.api import blp
from mallkit.plugins.groupbuy.hookspecs import GroupbuySpecs


class GroupbuyConfig(Schema):
    """No settings. Share links are core share links now (docs/shares.md: their base URL is
    the platform's ``SHARE_BASE_URL``); a saved ``share_base_url`` of version 1.0 is dropped
    instead of refused."""

    class Meta:
        unknown = EXCLUDE


meta = PluginMeta(
    name="groupbuy",
    version="1.1.0",
    title="Group buy (拼团)",
    description="Group prices when enough buyers join; automatic refunds when a group fails.",
    mallkit=">=0.1,<1",
    config_schema=GroupbuyConfig,
    level="merchant",
    category="marketing",
    title_zh="拼团",
    description_zh="成团享团购价，拼团失败自动退款。",
)


@hookimpl
def register_hookspecs():
    return [GroupbuySpecs]


@hookimpl
def register_migrations():
    return [MigrationSource("groupbuy", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_job_handlers():
    return [JobHandler(service.EXPIRE, service.run_expire_task)]


@hookimpl
def register_order_transitions():
    return [
        OrderTransition("paid", "awaiting_group", "await_group", ("system",)),
        OrderTransition("awaiting_group", "paid", "group_succeeded", ("system",)),
        OrderTransition("awaiting_group", "closed", "close", ("system",)),
    ]


@hookimpl
def propose_unit_prices(merchant, buyer, lines):
    return service.unit_prices(merchant, lines, buyer)


@hookimpl
def validate_checkout(merchant, buyer, order):
    service.validate(merchant, buyer, order)


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    service.reserve(merchant, buyer, order, lines)


@hookimpl
def on_order_state_changed(order, source, target, actor):
    service.on_state_changed(order, source, target)


@hookimpl
def extend_product(merchant, product, data):
    badge = service.product_badge(merchant.id, product.id)
    return {"groupbuy": badge} if badge else None


@hookimpl
def register_console_pages():
    from mallkit.plugins.groupbuy.console import PAGES

    return PAGES


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant)
