"""complaints (投诉): a buyer complains about an order, the merchant answers, the platform
decides — and a decision with money or goods is carried out once by the aftersales plugin.

See docs/plugins/complaints.md.
"""

from __future__ import annotations

from pathlib import Path

from mallkit.core.plugin_api import JobHandler, MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.complaints import service
from mallkit.plugins.complaints.api import blp
from mallkit.plugins.complaints.schemas import ComplaintsConfig

meta = PluginMeta(
    name="complaints",
    version="1.0.0",
    title="Complaints (投诉)",
    description="Buyer complaints, merchant appeals and platform arbitration.",
    mallkit=">=0.1,<1",
    requires=("aftersales",),  # decisions with money or goods go through after-sale cases
    config_schema=ComplaintsConfig,
    level="merchant",
    category="service",
    title_zh="投诉",
    description_zh="买家投诉、商家申诉和平台仲裁。",
)


@hookimpl
def register_migrations():
    return [MigrationSource("complaints", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_job_handlers():
    return [
        JobHandler(service.APPEAL_DEADLINE, service.run_appeal_deadline),
        JobHandler(service.EXECUTE, service.run_execute, max_attempts=8),
    ]


@hookimpl
def order_lines_on_hold(order):
    return service.lines_on_hold(order)


@hookimpl
def register_console_pages():
    from mallkit.plugins.complaints.console import PAGES

    return PAGES
