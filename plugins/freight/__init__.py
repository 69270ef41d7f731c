"""freight (运费模板): freight templates per store, by piece or by weight, with per-region
rows (first and extra units), a default row, free shipping by amount and/or pieces per
region, undeliverable regions and a delivery-time estimate; products pick a template.
Ships mainland China's region data, which also validates and locates addresses for every
store. See docs/plugins/freight.md.
"""

from __future__ import annotations

from pathlib import Path

from marshmallow import Schema, fields, validate

from mallkit.core.plugin_api import MigrationSource, PluginMeta, ValidationError
from mallkit.hookspecs import hookimpl
from mallkit.plugins.freight import demo, service
from mallkit.plugins.freight.api import blp
from mallkit.plugins.freight.regions import regions


class FreightConfig(Schema):
    label = fields.String(
        load_default=service.DEFAULT_LABEL,
        validate=validate.Length(min=1, max=40),
        metadata={
            "label": "Delivery name",
            "label_zh": "配送方式名称",
            "description": "The delivery's name at checkout",
            "description_zh": "结算页显示的配送方式名称",
        },
    )


meta = PluginMeta(
    name="freight",
    version="1.0.0",
    title="Freight templates (运费模板)",
    description="Freight by piece or weight per region, free-shipping thresholds, "
    "undeliverable regions and delivery estimates.",
    mallkit=">=0.1,<1",
    config_schema=FreightConfig,
    level="merchant",
    category="logistics",
    title_zh="运费模板",
    description_zh="按件或按重量分地区计费，包邮条件，不配送地区和预计送达时间。",
)


@hookimpl
def register_migrations():
    return [MigrationSource("freight", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_console_pages():
    from mallkit.plugins.freight.console import PAGES

    return PAGES


@hookimpl
def propose_shipping_quotes(merchant, buyer, lines, address):
    return service.quote(merchant, buyer, lines, address)


@hookimpl
def validate_address(address):
    """Mainland addresses name a real province and one of its cities (platform-wide)."""
    errors = regions().check(address)
    if errors:
        raise ValidationError("unknown region", code="unknown_region", errors=errors)


@hookimpl
def locate_address(address):
    place = regions().locate(address)
    return place.as_dict() if place else None


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)
