"""reviews (评价): one review per received order line, the product rating summary, replies,
moderation and the automatic 5★ review.

A buyer reviews each line of a completed order once (description and service ratings,
logistics when it shipped, text, photos, tags, anonymous) and may add one follow-up; the
store replies once and hides or shows reviews; a sensitive-word list holds reviews back for
moderation. Lines nobody reviewed get a 5★ review ``auto_positive_days`` after receipt (a
durable task). Each product's summary is kept incrementally and shown through
``extend_product``; ``on_review_published`` (declared here) lets a points plugin reward a
review. See docs/plugins/reviews.md.
"""

from __future__ import annotations

from pathlib import Path

from marshmallow import Schema, fields, validate

from mallkit.core.plugin_api import MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.reviews import demo, service
from mallkit.plugins.reviews.api import blp
from mallkit.plugins.reviews.hookspecs import ReviewsSpecs


class ReviewsConfig(Schema):
    """The store's review rules (defaults in docs/plugins/reviews.md)."""

    auto_positive_days = fields.Integer(
        load_default=15,
        strict=True,
        validate=validate.Range(min=0, max=90),
        metadata={
            "label": "Auto 5★ after (days)",
            "label_zh": "自动好评天数",
            "description": "Days after receipt for the automatic 5★ review; 0: never",
            "description_zh": "确认收货后多少天未评价则自动五星好评；0 表示不自动好评",
        },
    )
    auto_positive_text = fields.String(
        load_default="系统默认好评",
        validate=validate.Length(max=200),
        metadata={"label": "Auto review text", "label_zh": "自动好评内容"},
    )
    followup_days = fields.Integer(
        load_default=180,
        strict=True,
        validate=validate.Range(min=0, max=365),
        metadata={
            "label": "Follow-ups within (days)",
            "label_zh": "追评期限（天）",
            "description": "Days after the review a follow-up is accepted; 0: none",
            "description_zh": "评价后多少天内可以追评；0 表示不允许追评",
        },
    )
    sensitive_words = fields.List(
        fields.String(validate=validate.Length(min=1, max=50)),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={
            "label": "Sensitive words",
            "label_zh": "敏感词",
            "description": "A review containing one is held back for moderation",
            "description_zh": "含有任一敏感词的评价先进入审核，不直接展示",
        },
    )
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=20)),
        load_default=list,
        validate=validate.Length(max=30),
        metadata={
            "label": "Tags",
            "label_zh": "评价标签",
            "description": "Tags a buyer may pick (质量好, 物流快 ...)",
            "description_zh": "买家可选的评价标签（质量好、物流快……）",
        },
    )


meta = PluginMeta(
    name="reviews",
    version="1.0.0",
    title="Reviews (评价)",
    description="Buyers rate and review what they received; ratings on the product page.",
    mallkit=">=0.1,<1",
    config_schema=ReviewsConfig,
    level="merchant",
    category="service",
    title_zh="评价",
    description_zh="买家对收到的商品打分评价，商品页展示评分。",
)


@hookimpl
def register_hookspecs():
    return [ReviewsSpecs]


@hookimpl
def register_migrations():
    return [MigrationSource("reviews", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_job_handlers():
    return service.HANDLERS


@hookimpl
def on_order_state_changed(order, source, target, actor):
    if target == "completed":
        service.schedule_auto_positive(order)


@hookimpl
def extend_product(merchant, product, data):
    """The summary without tags: one indexed read per product, from a statement compiled
    once, so list pages stay cheap (tags come from the summary route)."""
    return {"reviews": service.summary_of(service.summary_row(product.id))}


@hookimpl
def extend_store_profile(merchant):
    """The store's rating on its public profile (one aggregate read)."""
    return {"reviews": service.store_rating(merchant.id)}


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)


@hookimpl
def register_console_pages():
    from mallkit.plugins.reviews.console import PAGES

    return PAGES
