"""The reviews plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.reviews.schemas import ReviewHideIn, ReviewReplyIn, StoreReviewsArgs

BASE = "/merchants/{merchant_id}/reviews"
REVIEW = BASE + "/{id}"

PAGES = [
    ConsolePage(
        key="reviews",
        title="评价",
        title_en="Reviews",
        group="service",
        path=BASE + "/manage",
        columns=(
            ConsoleColumn("product_id", "商品", "Product", kind="number"),
            ConsoleColumn("sku_name", "规格", "SKU"),
            ConsoleColumn("rating", "评分", "Rating", kind="number"),
            ConsoleColumn("text", "内容", "Text"),
            ConsoleColumn("reply", "回复", "Reply"),
            ConsoleColumn("created_at", "时间", "When", kind="datetime"),
        ),
        filters=ConsoleForm(StoreReviewsArgs),
        actions=(
            ConsoleAction.step(REVIEW, "reply", "回复", "Reply", form=ConsoleForm(ReviewReplyIn)),
            ConsoleAction.step(REVIEW, "hide", "隐藏", "Hide", form=ConsoleForm(ReviewHideIn)),
            ConsoleAction.step(REVIEW, "show", "显示", "Show", confirm=True),
        ),
    )
]
