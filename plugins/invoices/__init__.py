"""invoices (发票): a buyer asks for an invoice at checkout or later; the store issues it
through an issuing provider (the built-in one: upload the e-invoice PDF, or mark a paper
invoice sent) within ``issue_days``; a refund after issuing marks it for red reversal (红冲)
and the store uploads the reversal. Buyers keep their titles in their profile. See
docs/plugins/invoices.md.
"""

from __future__ import annotations

from pathlib import Path

from marshmallow import Schema, fields, validate

from mallkit.core.plugin_api import MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.invoices import demo, service
from mallkit.plugins.invoices.api import blp
from mallkit.plugins.invoices.hookspecs import InvoicesSpecs


class InvoicesConfig(Schema):
    """The store's invoice rules."""

    issue_days = fields.Integer(
        load_default=7,
        strict=True,
        validate=validate.Range(min=1, max=90),
        metadata={
            "label": "Issue within (days)",
            "label_zh": "开票时限（天）",
            "description": "Days the store takes to issue, from payment or the request",
            "description_zh": "店铺开票时限（天），从付款或申请开票时起算",
        },
    )
    provider = fields.String(
        load_default="manual",
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$"),
        metadata={
            "label": "Provider",
            "label_zh": "开票服务",
            "description": "The issuing provider: manual, or one a plugin registers",
            "description_zh": "开票服务：manual（手动开票）或其他插件提供的服务",
        },
    )
    max_pdf_kb = fields.Integer(
        load_default=5120,
        strict=True,
        validate=validate.Range(min=16, max=10240),
        metadata={
            "label": "Largest PDF (KB)",
            "label_zh": "PDF 大小上限（KB）",
            "description": "Largest PDF accepted, in KB",
            "description_zh": "可上传的 PDF 最大大小（KB）",
        },
    )


meta = PluginMeta(
    name="invoices",
    version="1.0.0",
    title="Invoices (发票)",
    description="Buyers ask for invoices; the store issues them and reverses them after refunds.",
    mallkit=">=0.1,<1",
    config_schema=InvoicesConfig,
    level="merchant",
    category="service",
    title_zh="发票",
    description_zh="买家申请开票，商家开具，退款后红冲。",
)


@hookimpl
def register_hookspecs():
    return [InvoicesSpecs]


@hookimpl
def register_migrations():
    return [MigrationSource("invoices", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def validate_checkout(merchant, buyer, order):
    service.validate_checkout(buyer, order)


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    service.on_order_placed(buyer, order)


@hookimpl
def on_order_state_changed(order, source, target, actor):
    if target == "paid" and source == "pending_payment":
        service.on_paid(order)
    elif target == "cancelled":
        service.on_cancelled(order)


@hookimpl
def on_order_refunded(order, refund, lines, full):
    service.on_refunded(order, full)


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)


@hookimpl
def register_console_pages():
    from mallkit.plugins.invoices.console import PAGES

    return PAGES
