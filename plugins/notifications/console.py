"""The notifications plugin's pages in the web console (``register_console_pages``): the
store's templates, its delivery log and its campaigns, for its owner and managers (the roles
the routes allow)."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.notifications.models import CHANNEL_NAMES
from mallkit.plugins.notifications.schemas import (
    NotifyCampaignIn,
    NotifyMessageArgs,
    NotifyPreviewIn,
    NotifyTemplateIn,
)
from mallkit.plugins.notifications.templates import EVENT_NAMES, LOCALES_EN, LOCALES_ZH

STAFF = ("owner", "manager")
LOCALE_NAMES = {k: (LOCALES_ZH[k], en) for k, en in LOCALES_EN.items()}
STORE = "/merchants/{merchant_id}/notifications"
TEMPLATE = STORE + "/templates/{event}/{channel}/{locale}"
MESSAGE = STORE + "/messages/{id}"
CAMPAIGN = STORE + "/campaigns/{id}"

PAGES = [
    ConsolePage(
        key="templates",
        title="消息模板",
        title_en="Message templates",
        group="service",
        roles=STAFF,
        path=STORE + "/templates",
        description="每个事件在邮件、短信、站内信上的中英文文案：可改为店铺自己的措辞，"
        "或关闭某个渠道；已修改的可恢复默认。",
        description_en="Each event's wording on e-mail, SMS and in-app, in Chinese and "
        "English: put it in the store's own words or switch a channel off; restore the "
        "default of one you changed.",
        columns=(
            ConsoleColumn("event", "事件", "Event", choices=EVENT_NAMES),
            ConsoleColumn("channel", "渠道", "Channel", kind="status"),
            ConsoleColumn("locale", "语言", "Locale", choices=LOCALE_NAMES),
            ConsoleColumn("subject", "标题", "Subject"),
            ConsoleColumn("body", "正文", "Text"),
            ConsoleColumn("enabled", "启用", "On", kind="bool"),
            ConsoleColumn("custom", "店铺自定义", "Store's own", kind="bool"),
        ),
        actions=(
            ConsoleAction.edit(TEMPLATE, ConsoleForm(NotifyTemplateIn), method="PUT"),
            # the wording, as typed, rendered with the event's sample values (nothing saved)
            ConsoleAction(
                "preview",
                "预览",
                "Preview",
                path=STORE + "/templates/preview",
                form=ConsoleForm(NotifyPreviewIn),
                prefill=True,
                show=(
                    ConsoleColumn("subject", "标题", "Subject"),
                    ConsoleColumn("body", "正文", "Text"),
                ),
            ),
            ConsoleAction(
                "reset",
                "恢复默认",
                "Restore default",
                method="DELETE",
                path=TEMPLATE,
                confirm=True,
                when={"custom": [True]},
            ),
        ),
    ),
    ConsolePage(
        key="messages",
        title="发送记录",
        title_en="Delivery log",
        group="service",
        roles=STAFF,
        path=STORE + "/messages",
        description="店铺发出的每条消息及其发送状态，最新的在前；发送失败的可重新发送。",
        description_en="Every message the store sent and its delivery status, newest first; "
        "send a failed one again.",
        filters=ConsoleForm(NotifyMessageArgs),
        columns=(
            ConsoleColumn("id", "编号", "No.", kind="number"),
            ConsoleColumn("event", "事件", "Event", choices=EVENT_NAMES),
            ConsoleColumn("channel", "渠道", "Channel", kind="status"),
            ConsoleColumn("address", "收件地址", "Recipient"),
            ConsoleColumn("user_id", "用户", "User", kind="number"),
            ConsoleColumn("subject", "标题", "Subject"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
            ConsoleColumn("attempts", "尝试次数", "Attempts", kind="number"),
            ConsoleColumn("last_error", "错误", "Error"),
            ConsoleColumn("created_at", "创建时间", "Created", kind="datetime"),
            ConsoleColumn("sent_at", "发送时间", "Sent", kind="datetime"),
        ),
        actions=(
            ConsoleAction.step(MESSAGE, "redeliver", "重新发送", "Send again", status=["failed"]),
        ),
    ),
    ConsolePage(
        key="campaigns",
        title="消息营销",
        title_en="Message campaigns",
        group="marketing",
        roles=STAFF,
        path=STORE + "/campaigns",
        description="向店铺的买家群发营销消息：单次、生日关怀或召回，可附优惠券；"
        "受每人每天、每周的条数上限约束，每条都带退订链接。",
        description_en="Marketing messages to the store's buyers: once, birthdays or win-back, "
        "with a coupon if you like; capped per person per day and week, each with an "
        "unsubscribe link.",
        columns=(
            ConsoleColumn("name", "名称", "Name"),
            ConsoleColumn("kind", "类型", "Kind", kind="status"),
            ConsoleColumn("channels", "渠道", "Channels", choices=CHANNEL_NAMES),
            ConsoleColumn("audience", "人群", "Audience", kind="json"),
            ConsoleColumn("run_at", "发送时间", "Runs at", kind="datetime"),
            ConsoleColumn("status", "状态", "Status", kind="status"),
            ConsoleColumn("sent_count", "已发送", "Sent", kind="number"),
            ConsoleColumn("capped_count", "超出上限", "Over the cap", kind="number"),
            ConsoleColumn("last_run_at", "上次发送", "Last run", kind="datetime"),
            ConsoleColumn("created_at", "创建时间", "Created", kind="datetime"),
        ),
        create=ConsoleForm(NotifyCampaignIn),
        actions=(
            ConsoleAction.step(
                CAMPAIGN, "stop", "停止", "Stop", status=["scheduled", "active"], confirm=True
            ),
        ),
    ),
]
