"""The feedback plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.feedback.models import (
    ANSWERED,
    CATEGORIES_EN,
    CATEGORIES_ZH,
    NEW,
    STATUSES_EN,
    STATUSES_ZH,
)
from mallkit.plugins.feedback.schemas import FeedbackAnswerIn, FeedbackArgs

COLUMNS = (
    ConsoleColumn(
        "category",
        "类别",
        "Category",
        kind="status",
        choices={k: (CATEGORIES_ZH[k], en) for k, en in CATEGORIES_EN.items()},
    ),
    ConsoleColumn("text", "内容", "Text"),
    ConsoleColumn("contact", "联系方式", "Contact"),
    ConsoleColumn(
        "status",
        "状态",
        "Status",
        kind="status",
        choices={k: (STATUSES_ZH[k], en) for k, en in STATUSES_EN.items()},
    ),
    ConsoleColumn("answer", "答复", "Answer"),
    ConsoleColumn("created_at", "时间", "When", kind="datetime"),
)


def _page(key, title, title_en, base, scope, group):
    return ConsolePage(
        key=key,
        title=title,
        title_en=title_en,
        scope=scope,
        group=group,
        path=base + "/manage",
        columns=COLUMNS,
        filters=ConsoleForm(FeedbackArgs),
        actions=(
            # the states the service moves them from: answered once, closed new or answered
            ConsoleAction.step(
                base + "/{id}",
                "answer",
                "答复",
                "Answer",
                status=[NEW],
                form=ConsoleForm(FeedbackAnswerIn),
            ),
            ConsoleAction.step(
                base + "/{id}", "close", "关闭", "Close", status=[NEW, ANSWERED], confirm=True
            ),
        ),
    )


PAGES = [
    _page(
        "feedback",
        "意见反馈",
        "Feedback",
        "/merchants/{merchant_id}/feedback",
        "merchant",
        "service",
    ),
    _page("platform", "平台意见反馈", "Platform feedback", "/feedback", "platform", "platform"),
]
