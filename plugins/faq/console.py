"""The faq plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.faq.schemas import FaqEntryArgs, FaqEntryIn, FaqEntryPatch

COLUMNS = (
    ConsoleColumn("question", "问题", "Question"),
    ConsoleColumn("answer", "回答", "Answer"),
    ConsoleColumn("category_id", "分类", "Category", kind="number"),
    ConsoleColumn("published", "已发布", "Published", kind="bool"),
    ConsoleColumn("updated_at", "更新", "Updated", kind="datetime"),
)


def _page(key, title, title_en, base, scope, group):
    return ConsolePage(
        key=key,
        title=title,
        title_en=title_en,
        scope=scope,
        group=group,
        roles=("owner", "manager"),
        path=base + "/entries",
        columns=COLUMNS,
        filters=ConsoleForm(FaqEntryArgs),
        create=ConsoleForm(FaqEntryIn),
        actions=(
            ConsoleAction.edit(base + "/entries/{id}", ConsoleForm(FaqEntryPatch)),
            ConsoleAction.delete(base + "/entries/{id}"),
        ),
    )


PAGES = [
    _page("entries", "常见问题", "FAQ", "/merchants/{merchant_id}/faq", "merchant", "content"),
    _page("platform", "平台常见问题", "Platform FAQ", "/faq", "platform", "platform"),
]
