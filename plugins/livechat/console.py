"""The livechat plugin's pages in the web console (``register_console_pages``)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.livechat.schemas import CannedReplyIn, InboxArgs

STAFF = "/merchants/{merchant_id}/livechat/staff"
CONVERSATION = STAFF + "/conversations/{id}"
REPLY = STAFF + "/canned-replies/{id}"

PAGES = [
    ConsolePage(
        key="inbox",
        title="在线客服",
        title_en="Live chat",
        group="service",
        path=STAFF + "/inbox",
        description="会话列表：接入排队中的会话、结束会话。",
        description_en="Conversations: claim queued ones, close them.",
        columns=(
            ConsoleColumn("buyer_name", "买家", "Buyer"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
            ConsoleColumn("agent_id", "接待客服", "Agent", kind="number"),
            ConsoleColumn("staff_unread", "未读", "Unread", kind="number"),
            ConsoleColumn("last_message_at", "最后消息", "Last message", kind="datetime"),
        ),
        filters=ConsoleForm(InboxArgs),
        actions=(
            ConsoleAction.step(CONVERSATION, "claim", "接入", "Claim", status=["queued"]),
            ConsoleAction.step(
                CONVERSATION, "close", "结束", "Close", status=["queued", "assigned"], confirm=True
            ),
        ),
    ),
    ConsolePage(
        key="canned",
        title="快捷回复",
        title_en="Canned replies",
        group="service",
        roles=("owner", "manager"),
        path=STAFF + "/canned-replies",
        columns=(ConsoleColumn("title", "标题", "Title"), ConsoleColumn("text", "内容", "Text")),
        create=ConsoleForm(CannedReplyIn),
        actions=(
            ConsoleAction.edit(REPLY, ConsoleForm(CannedReplyIn), method="PUT"),
            ConsoleAction.delete(REPLY),
        ),
    ),
]
