"""faq (常见问题): a store's and the platform's questions and answers, with categories,
ordering and search (the catalog search's tokenizer), and each product's warranty and repair
information on its detail page. See docs/plugins/faq.md.
"""

from __future__ import annotations

from pathlib import Path

from mallkit.core.plugin_api import MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.faq import demo, service
from mallkit.plugins.faq.api import blp

meta = PluginMeta(
    name="faq",
    version="1.0.0",
    title="FAQ, warranty and repair (常见问题)",
    description="Questions and answers of the store and the platform; warranty per product.",
    mallkit=">=0.1,<1",
    level="merchant",
    category="service",
    title_zh="常见问题与保修",
    description_zh="店铺和平台的常见问答；按商品设置保修与维修说明。",
)


@hookimpl
def register_migrations():
    return [MigrationSource("faq", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def extend_product(merchant, product, data):
    """Warranty and repair information: one indexed read by the unique product id."""
    care = service.care_of(product.id)
    return {"faq": {"care": care}} if care else None


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)


@hookimpl
def register_console_pages():
    from mallkit.plugins.faq.console import PAGES

    return PAGES
