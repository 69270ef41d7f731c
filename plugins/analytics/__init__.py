"""analytics (数据分析): an event collector, daily aggregates in each store's time zone, the
reports A1–A5 with a store dashboard (JSON, CSV and SVG charts) and "recommended for you".

Storefronts post batches of events (views, searches, carts, ad impressions and clicks) to a
public, rate-limited endpoint; the plugin's hooks add server-side events (orders placed and
paid, share links opened) inside the business transaction. Raw events are append-only and
kept ``raw_retention_days``; a job at 01:00 store time folds each day into daily tables that
are kept for ever, and any later change to a day — a late event, an order paid or refunded
afterwards — schedules that day again (aggregation is idempotent per day). See
docs/plugins/analytics.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from marshmallow import Schema, fields, validate

from mallkit.core.plugin_api import JobHandler, MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.analytics import aggregate, collector, console, demo
from mallkit.plugins.analytics.api import blp
from mallkit.plugins.analytics.hookspecs import AnalyticsSpecs


class AnalyticsConfig(Schema):
    """The store's analytics settings (defaults in docs/plugins/analytics.md)."""

    raw_retention_days = fields.Integer(
        load_default=90,
        strict=True,
        validate=validate.Range(min=7, max=3660),
        metadata={
            "label": "Raw events kept (days)",
            "label_zh": "原始数据保留天数",
            "description": "Days raw events are kept; aggregates are kept for ever",
            "description_zh": "原始事件保留天数；汇总数据永久保留",
        },
    )
    refresh_minutes = fields.Integer(
        load_default=10,
        strict=True,
        validate=validate.Range(min=1, max=1440),
        metadata={
            "label": "Visitor figures refresh (minutes)",
            "label_zh": "访客数据刷新间隔（分钟）",
            "description": "How stale today's visitor figures may get",
            "description_zh": "今日访客数据允许的最长延迟（分钟）",
        },
    )
    events_per_minute = fields.Integer(
        load_default=600,
        strict=True,
        validate=validate.Range(min=10, max=100000),
        metadata={
            "label": "Events per minute per address",
            "label_zh": "每 IP 每分钟事件上限",
            "description": "Storefront events accepted per minute from one address",
            "description_zh": "每个 IP 地址每分钟最多接收的店铺前台事件数",
        },
    )
    active_days = fields.Integer(
        load_default=30,
        strict=True,
        validate=validate.Range(min=1, max=365),
        metadata={
            "label": "Active within (days)",
            "label_zh": "活跃客户天数",
            "description": "A customer who paid or visited this recently is active",
            "description_zh": "在此天数内付款或访问过的客户为活跃客户",
        },
    )
    dormant_days = fields.Integer(
        load_default=90,
        strict=True,
        validate=validate.Range(min=1, max=3650),
        metadata={
            "label": "Dormant after (days)",
            "label_zh": "沉睡客户天数",
            "description": "A customer with no paid order for this long is dormant",
            "description_zh": "超过此天数没有付款订单的客户为沉睡客户",
        },
    )


meta = PluginMeta(
    name="analytics",
    version="1.0.0",
    title="Analytics (数据分析)",
    description="Traffic, campaign, customer, product and sales reports with charts; "
    "recommendations.",
    mallkit=">=0.1,<1",
    config_schema=AnalyticsConfig,
    level="merchant",
    category="marketing",
    title_zh="数据分析",
    description_zh="流量、活动、客户、商品和销售报表与图表；商品推荐。",
)


@hookimpl
def register_hookspecs():
    return [AnalyticsSpecs]


@hookimpl
def register_migrations():
    return [MigrationSource("analytics", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_job_handlers():
    return [
        JobHandler(collector.AGGREGATE_DAY, aggregate.run_aggregate_day),
        JobHandler("analytics.daily", aggregate.run_daily, daily_at=dt.time(1, 0)),
    ]


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    collector.record_server(order.merchant_id, "order_placed", order.buyer_id, order=order)


@hookimpl
def on_order_state_changed(order, source, target, actor):
    if target == "paid" and source == "pending_payment":
        collector.record_server(order.merchant_id, "order_paid", order.buyer_id, order=order)
        collector.reaggregate_order_days(order)


@hookimpl
def on_order_refunded(order, refund, lines, full):
    collector.reaggregate_order_days(order)


@hookimpl
def on_share_visited(share, visit):
    collector.record_server(
        share.merchant_id,
        "share_visit",
        visit.user_id,
        device_id=visit.device_id or "",
        share_code=share.code,
    )


@hookimpl
def register_console_pages():
    return console.PAGES


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)
