"""bargain (砍价): friends cut the price toward a floor within N helps.

A buyer starts a bargain on an activity and shares it; each helper's cut is random, seeded
per bargain, and the floor is reached exactly at the N-th help (docs/rules.md). The initiator buys
with a buy-now item ``activity={"type": "bargain", "id": <activity>, "params":
{"bargain_id": id}}`` at the floor (or at the current price when allowed); one order per
bargain. Expiry is a durable task. See docs/plugins/bargain.md.
"""

from __future__ import annotations

from pathlib import Path

from marshmallow import EXCLUDE, Schema

from mallkit.core.plugin_api import JobHandler, MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.bargain import demo, service
from mallkit.plugins.bargain.api import blp
from mallkit.plugins.bargain.hookspecs import BargainSpecs


class BargainConfig(Schema):
    """No settings. Share links are core share links now (docs/shares.md: their base URL is
    the platform's ``SHARE_BASE_URL``); a saved ``share_base_url`` of version 1.0 is dropped
    instead of refused."""

    class Meta:
        unknown = EXCLUDE


meta = PluginMeta(
    name="bargain",
    version="1.1.0",
    title="Bargain (砍价)",
    description="Friends help cut the price to a floor in a set number of helps.",
    mallkit=">=0.1,<1",
    config_schema=BargainConfig,
    level="merchant",
    category="marketing",
    title_zh="砍价",
    description_zh="好友助力砍价，在规定人数内砍到底价。",
)


@hookimpl
def register_hookspecs():
    return [BargainSpecs]


@hookimpl
def register_migrations():
    return [MigrationSource("bargain", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_job_handlers():
    return [JobHandler(service.EXPIRE, service.run_expire_task)]


@hookimpl
def propose_unit_prices(merchant, buyer, lines):
    return service.unit_prices(merchant, buyer, lines)


@hookimpl
def validate_checkout(merchant, buyer, order):
    service.validate(merchant, buyer, order)


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    service.bind_order(merchant, buyer, order, lines)


@hookimpl
def on_order_state_changed(order, source, target, actor):
    service.on_state_changed(order, source, target)


@hookimpl
def register_console_pages():
    from mallkit.plugins.bargain.console import PAGES

    return PAGES


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant)
