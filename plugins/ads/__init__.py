"""ads (广告位): creatives in the store's placements — home banner, list slot, product-detail
slot, search top — with a schedule, a priority and targeting by buyer segment, member level
and region, served by one public route per placement. Impressions and clicks go through the
analytics plugin's event collector and show, with CTR, in its traffic report. See
docs/plugins/ads.md.
"""

from __future__ import annotations

from pathlib import Path

from mallkit.core.plugin_api import MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.ads import demo, service
from mallkit.plugins.ads.api import blp

meta = PluginMeta(
    name="ads",
    version="1.0.0",
    title="Ads (广告位)",
    description="Banners and ad slots with schedules, priorities and targeting.",
    mallkit=">=0.1,<1",
    level="merchant",
    category="marketing",
    title_zh="广告位",
    description_zh="首页轮播、搜索结果顶部、商品详情等广告位，按时间、优先级和人群投放。",
)


@hookimpl
def register_migrations():
    return [MigrationSource("ads", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_console_pages():
    from mallkit.plugins.ads.console import PAGES

    return PAGES


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)


@hookimpl(optionalhook=True)
def own_ads(merchant, ad_ids):
    return service.own_ids(merchant.id, ad_ids)
