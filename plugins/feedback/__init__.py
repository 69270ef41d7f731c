"""feedback (意见反馈): buyers send suggestions and complaints about the shopping experience
(category, text, photos) to a store or to the platform; staff tag, answer and close them and
see counts by category. A plugin of its own rather than part of ``faq``: a store may want
one without the other. See docs/plugins/feedback.md.
"""

from __future__ import annotations

from pathlib import Path

from mallkit.core.plugin_api import MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.feedback import demo
from mallkit.plugins.feedback.api import blp

meta = PluginMeta(
    name="feedback",
    version="1.0.0",
    title="Feedback (意见反馈)",
    description="Buyers send suggestions to the store or the platform; staff answer them.",
    mallkit=">=0.1,<1",
    level="merchant",
    category="service",
    title_zh="意见反馈",
    description_zh="买家向店铺或平台提交建议，客服答复处理。",
)


@hookimpl
def register_migrations():
    return [MigrationSource("feedback", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)


@hookimpl
def register_console_pages():
    from mallkit.plugins.feedback.console import PAGES

    return PAGES
