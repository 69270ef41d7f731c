"""The ads plugin's page in the web console (``register_console_pages``): the store's
creatives, a create form, and per row change, switch on/off and delete."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.ads.models import LINK_TYPES_EN, LINK_TYPES_ZH, PLACEMENTS, PLACEMENTS_EN
from mallkit.plugins.ads.schemas import CreativeIn, CreativePatch

CREATIVE = "/merchants/{merchant_id}/ads/creatives/{id}"
# On/off is its own button (上线/下线, one step from the list); the edit form leaves
# ``enabled`` out.
EDITABLE = tuple(f for f in CreativePatch().fields if f != "enabled")

PAGES = [
    ConsolePage(
        key="creatives",
        title="广告位",
        title_en="Ads",
        group="marketing",
        roles=("owner", "manager"),  # as the routes' staff_of
        path="/merchants/{merchant_id}/ads/creatives",
        description=(
            "首页轮播、列表页、商品详情页、搜索结果顶部四个广告位的广告：排期、优先级（数值大者先展示）"
            "与定向投放（人群、会员等级、地区）。曝光、点击与点击率见「数据 › 流量分析」。"
        ),
        description_en=(
            "Ads in four placements (home banner, list slot, product detail, search top) with a "
            "schedule, a priority (higher first) and targeting by segment, member level and "
            "region. Impressions, clicks and CTR: Analytics › Traffic."
        ),
        columns=(
            ConsoleColumn("title", "标题", "Title"),
            ConsoleColumn(
                "placement",
                "广告位",
                "Placement",
                kind="status",
                choices={k: (PLACEMENTS[k], en) for k, en in PLACEMENTS_EN.items()},
            ),
            ConsoleColumn(
                "link_type",
                "跳转",
                "Link",
                kind="status",
                choices={k: (LINK_TYPES_ZH[k], en) for k, en in LINK_TYPES_EN.items()},
            ),
            ConsoleColumn("link_target", "跳转目标", "Link target"),
            ConsoleColumn("priority", "优先级", "Priority", kind="number"),
            ConsoleColumn("enabled", "启用", "On", kind="bool"),
            ConsoleColumn("starts_at", "开始", "Starts", kind="datetime"),
            ConsoleColumn("ends_at", "结束", "Ends", kind="datetime"),
        ),
        create=ConsoleForm(CreativeIn),
        actions=(
            ConsoleAction.edit(CREATIVE, ConsoleForm(CreativePatch, only=EDITABLE)),
            ConsoleAction(
                "switch",
                "上线/下线",
                "On/off",
                method="PATCH",
                path=CREATIVE,
                form=ConsoleForm(CreativePatch, only=("enabled",)),
            ),
            ConsoleAction.delete(CREATIVE),
        ),
    )
]
