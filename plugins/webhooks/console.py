"""The webhooks plugin's pages in the web console (``register_console_pages``): a store's
endpoints and their deliveries for its owner and managers, the platform's for platform admins.

The signing secret is answered once, by the API, when an endpoint is made or its secret
rotated: the console shows it then, in a dialog to copy it from (``create_reveal`` and the
rotate button's ``reveal``), and never again."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsoleAction, ConsoleColumn, ConsoleForm, ConsolePage
from mallkit.plugins.webhooks.schemas import (
    DELIVERY_STATES,
    EVENT_NAMES,
    WebhookDeliveryFilter,
    WebhookEndpointIn,
    WebhookEndpointPatch,
)

STORE = "/merchants/{merchant_id}/webhooks"
PLATFORM = "/admin/webhooks"

ENDPOINT_COLUMNS = (
    ConsoleColumn("id", "编号", "ID", kind="number"),
    ConsoleColumn("url", "地址", "URL"),
    ConsoleColumn("event_types", "事件", "Events", choices=EVENT_NAMES),
    ConsoleColumn("description", "备注", "Note"),
    ConsoleColumn("enabled", "启用", "Enabled", kind="bool"),
    ConsoleColumn("failures", "连续失败", "Failures", kind="number"),
    ConsoleColumn("disabled_reason", "停用原因", "Why off"),
    ConsoleColumn("created_at", "创建时间", "Created", kind="datetime"),
)
DELIVERY_COLUMNS = (
    ConsoleColumn("id", "编号", "ID", kind="number"),
    ConsoleColumn("created_at", "时间", "Time", kind="datetime"),
    ConsoleColumn("endpoint_id", "地址编号", "Endpoint", kind="number"),
    ConsoleColumn("event_type", "事件", "Event", choices=EVENT_NAMES),
    ConsoleColumn("status", "状态", "Status", kind="status", choices=DELIVERY_STATES),
    ConsoleColumn("attempts", "尝试次数", "Attempts", kind="number"),
    ConsoleColumn("response_status", "应答码", "Answer", kind="number"),
    ConsoleColumn("last_error", "最近错误", "Last error"),
    ConsoleColumn("delivered_at", "送达时间", "Delivered", kind="datetime"),
)

SECRET_NOTE = (
    "签名密钥只在创建地址和轮换密钥时显示一次，请当场复制保存；"
    "轮换后旧密钥仍会同时签名 24 小时，供接收方换用新密钥。"
)
SECRET_NOTE_EN = (
    "The signing secret is shown once, when an endpoint is made and when its secret is "
    "rotated: copy it then. After a rotation the old secret signs too for 24 hours, while the "
    "receiver switches to the new one."
)
SECRET = (ConsoleColumn("secret", "签名密钥", "Signing secret"),)


def _pages(
    base: str, scope: str, group: str, prefix: str, prefix_en: str, keys: tuple[str, str]
) -> list[ConsolePage]:
    endpoint = base + "/endpoints/{id}"
    delivery = base + "/deliveries/{id}"
    roles = ("owner", "manager")
    columns = DELIVERY_COLUMNS
    if scope == "platform":  # the platform's endpoints hear every store: whose event it was
        columns = (*columns[:3], ConsoleColumn("merchant_id", "商家", "Store", kind="number"))
        columns += DELIVERY_COLUMNS[3:]
    return [
        ConsolePage(
            key=keys[0],
            title=f"{prefix}Webhook 推送",
            title_en=f"{prefix_en}Webhooks",
            scope=scope,
            group=group,
            roles=roles,
            path=base + "/endpoints",
            description="订单和库存事件按 Standard Webhooks 签名推送到这些 https 地址，"
            "失败自动重试，连续失败的地址会被停用。" + SECRET_NOTE,
            description_en="Order and stock events are POSTed to these https addresses, "
            "signed the Standard Webhooks way, retried, and an address failing again and "
            "again is switched off. " + SECRET_NOTE_EN,
            columns=ENDPOINT_COLUMNS,
            create=ConsoleForm(WebhookEndpointIn),
            create_reveal=SECRET,
            actions=(
                # both open with the row's values and send what was changed
                ConsoleAction.edit(
                    endpoint,
                    ConsoleForm(WebhookEndpointPatch, only=("url", "event_types", "description")),
                ),
                ConsoleAction(
                    "switch",
                    "启用/停用",
                    "On/off",
                    method="PATCH",
                    path=endpoint,
                    form=ConsoleForm(WebhookEndpointPatch, only=("enabled",)),
                    prefill=True,
                ),
                ConsoleAction(
                    "rotate",
                    "轮换密钥",
                    "Rotate secret",
                    path=endpoint + "/rotate-secret",
                    confirm=True,
                    reveal=SECRET,
                ),
                ConsoleAction.delete(endpoint),
            ),
        ),
        ConsolePage(
            key=keys[1],
            title=f"{prefix}Webhook 推送记录",
            title_en=f"{prefix_en}Webhook deliveries",
            scope=scope,
            group=group,
            roles=roles,
            path=base + "/deliveries",
            description="每次推送的状态、尝试次数和接收方最近的应答，最新的在前；"
            "失败或已成功的推送可以重新推送（webhook-id 不变）。",
            description_en="Each delivery's status, attempts and the receiver's last answer, "
            "newest first; a failed or succeeded one can be sent again (the same webhook-id).",
            columns=columns,
            filters=ConsoleForm(WebhookDeliveryFilter, only=("endpoint_id", "status")),
            actions=(
                ConsoleAction.step(
                    delivery,
                    "redeliver",
                    "重新推送",
                    "Redeliver",
                    status=["failed", "succeeded"],
                    confirm=True,
                ),
            ),
        ),
    ]


PAGES = [
    *_pages(STORE, "merchant", "plugins", "", "", ("endpoints", "deliveries")),
    *_pages(
        PLATFORM,
        "platform",
        "platform",
        "平台 ",
        "Platform ",
        ("platform-endpoints", "platform-deliveries"),
    ),
]
