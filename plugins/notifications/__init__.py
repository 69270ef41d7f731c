"""notifications (消息通知): tells buyers and staff what happened — by e-mail over SMTP, SMS
through a provider, and an in-app inbox — from the store's templates, with per-person
opt-outs, SMS quiet hours, marketing campaigns with frequency caps, and a delivery log.

Events are published from hooks inside the business transaction as durable tasks and sent
by the task workers, never from inside a transaction (service.py has the whole life of a
message). The plugin also delivers the core's verification codes
(``send_verification_code``). See docs/plugins/notifications.md.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from pathlib import Path

from marshmallow import Schema, ValidationError, fields, validate, validates

from mallkit.core.plugin_api import (
    JobHandler,
    MigrationSource,
    PluginMeta,
    ScheduledTask,
    transaction,
    utcnow,
)
from mallkit.hookspecs import hookimpl
from mallkit.plugins.notifications import campaigns, demo, retention, service
from mallkit.plugins.notifications.api import blp
from mallkit.plugins.notifications.models import CHANNELS
from mallkit.plugins.notifications.templates import LOCALES_EN, LOCALES_ZH

log = logging.getLogger("mallkit.notifications")


class NotificationsConfig(Schema):
    locale = fields.String(
        load_default="zh-CN",
        validate=validate.OneOf(["zh-CN", "en"]),
        metadata={
            "label": "Message language",
            "label_zh": "消息语言",
            "choices": LOCALES_EN,
            "choices_zh": LOCALES_ZH,
        },
    )
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        load_default=list(CHANNELS),
        metadata={
            "label": "Channels",
            "label_zh": "发送渠道",
            "description": "Channels the store's messages use",
            "description_zh": "店铺消息使用的发送渠道",
        },
    )
    sms_quiet_hours = fields.String(
        load_default="22:00-08:00",
        validate=validate.Regexp(r"^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"),
        metadata={
            "label": "SMS quiet hours",
            "label_zh": "短信免打扰时段",
            "description": "Store time with no SMS (HH:MM-HH:MM; empty: none)",
            "description_zh": "不发短信的时段，按店铺时间（HH:MM-HH:MM；留空表示不限）",
        },
    )
    unpaid_reminder_minutes = fields.Integer(
        load_default=10,
        validate=validate.Range(min=0, max=120),
        metadata={
            "label": "Unpaid reminder (minutes)",
            "label_zh": "催付提醒（分钟）",
            "description": "Remind an unpaid buyer this long before cancelling (0: off)",
            "description_zh": "在未付款订单自动取消前多少分钟提醒买家（0 表示不提醒）",
        },
    )
    marketing_per_day = fields.Integer(
        load_default=1,
        validate=validate.Range(min=0, max=20),
        metadata={"label": "Marketing messages per day", "label_zh": "每人每日营销消息上限"},
    )
    marketing_per_week = fields.Integer(
        load_default=3,
        validate=validate.Range(min=0, max=50),
        metadata={"label": "Marketing messages per week", "label_zh": "每人每周营销消息上限"},
    )

    @validates("sms_quiet_hours")
    def _not_empty_window(self, value, **kwargs):
        if value and value.split("-")[0] == value.split("-")[1]:
            raise ValidationError("Start and end differ.")


meta = PluginMeta(
    name="notifications",
    version="1.0.0",
    title="Notifications (消息通知)",
    description="E-mail, SMS and in-app messages for orders, stock, groups and campaigns.",
    mallkit=">=0.1,<1",
    config_schema=NotificationsConfig,
    level="merchant",
    category="service",
    title_zh="消息通知",
    description_zh="订单、库存、拼团和营销活动的邮件、短信和站内信。",
)


def _publish(*args, **kwargs) -> None:
    """Queue an event without ever failing the business change it rides on: a notification
    must not block a sale (the savepoint drops only its own writes)."""
    try:
        with transaction():
            service.publish(*args, **kwargs)
    except Exception:
        log.exception("queueing notification %s failed", args[:1])


@hookimpl
def register_migrations():
    return [MigrationSource("notifications", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_console_pages():
    from mallkit.plugins.notifications.console import PAGES

    return PAGES


@hookimpl
def register_job_handlers():
    return [
        JobHandler(service.EVENT_TASK, service.fan_out, max_attempts=5),
        JobHandler(service.DELIVER_TASK, service.deliver, in_transaction=False, max_attempts=8),
        JobHandler(service.REMINDER_TASK, service.unpaid_reminder),
        JobHandler(campaigns.RUN_TASK, campaigns.run),
        JobHandler(campaigns.DAILY_TASK, campaigns.daily, daily_at=dt.time(10, 0)),
        # the delivery log's purge: one short transaction per batch, not one long one
        JobHandler(
            retention.PURGE_TASK, retention.run, in_transaction=False, every=retention.EVERY
        ),
    ]


# -- orders ----------------------------------------------------------------------------------


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    _publish("order_placed", order.merchant_id, f"order_placed:{order.id}", order_id=order.id)
    auto_cancel = ScheduledTask.get_or_none(
        (ScheduledTask.dedupe_key == f"order.auto_cancel:{order.id}")
        & (ScheduledTask.status == "pending")
    )
    try:
        with transaction():
            service.schedule_unpaid_reminder(order, auto_cancel.run_at if auto_cancel else None)
    except Exception:
        log.exception("scheduling the unpaid reminder of order %s failed", order.id)


_STATE_EVENTS = {"paid": "order_paid", "shipped": "order_shipped", "completed": "order_completed"}


@hookimpl
def on_order_state_changed(order, source, target, actor):
    event = _STATE_EVENTS.get(target)
    if event is None or (target == "paid" and source != "pending_payment"):
        return
    _publish(event, order.merchant_id, f"{event}:{order.id}", order_id=order.id)


@hookimpl
def on_order_refunded(order, refund, lines, full):
    _publish(
        "order_refunded",
        order.merchant_id,
        f"order_refunded:{refund.id}",
        order_id=order.id,
        context={"amount": refund.amount, "full": bool(full)},
    )


# -- stock -----------------------------------------------------------------------------------


@hookimpl
def on_low_stock(merchant, sku, stock, threshold):
    _publish(
        "low_stock",
        merchant.id,
        f"low_stock:{sku.id}:{utcnow().isoformat()}",
        context={
            "product": {"id": sku.product.id, "name": sku.product.name},
            "sku": {
                "id": sku.id,
                "name": " ".join(str(v) for v in (sku.specs or {}).values()),
                "code": sku.code or "",
            },
            "stock": stock,
            "threshold": threshold,
        },
    )


# -- other plugins' events (optional: those plugins may be absent) ---------------------------


@hookimpl(optionalhook=True)
def on_group_succeeded(group, members):
    for m in members:
        _publish(
            "group_succeeded",
            group.merchant_id,
            f"group_succeeded:{m.order_id}",
            order_id=m.order_id,
            user_ids=[m.user_id],
        )


@hookimpl(optionalhook=True)
def on_group_failed(group, members):
    for m in members:
        _publish(
            "group_failed",
            group.merchant_id,
            f"group_failed:{m.order_id}",
            order_id=m.order_id,
            user_ids=[m.user_id],
        )


@hookimpl(optionalhook=True)
def on_bargain_finished(bargain):
    _publish(
        "bargain_finished",
        bargain.merchant_id,
        f"bargain_finished:{bargain.id}",
        user_ids=[bargain.user_id],
        context={"bargain": {"id": bargain.id, "price": bargain.current_price}},
    )


@hookimpl(optionalhook=True)
def on_commission_settled(commission, promoter):
    _publish(
        "commission_settled",
        commission.merchant_id,
        f"commission_settled:{commission.id}",
        user_ids=[promoter.user_id],
        context={"amount": commission.settled},
    )


# An after-sale case's states as a buyer reads them (the aftersales plugin's codes).
AFTERSALE_STATUS = {
    "applied": ("已申请", "applied"),
    "approved": ("已同意", "approved"),
    "returning": ("待寄回商品", "waiting for the goods to be sent back"),
    "received": ("商家已收到退货", "the goods are back with the store"),
    "refunding": ("退款中", "being refunded"),
    "completed": ("已完成", "completed"),
    "rejected": ("已拒绝", "rejected"),
    "cancelled": ("已撤销", "cancelled"),
    "closed": ("已关闭", "closed"),
    "refused": ("退货未通过验收", "the returned goods were not accepted"),
}


def _aftersale(case, order) -> None:
    zh, en = AFTERSALE_STATUS.get(case.status, (case.status, case.status))
    _publish(
        "aftersale_updated",
        case.merchant_id,
        f"aftersale_updated:{case.id}:{case.status}",
        order_id=order.id,
        user_ids=[case.buyer_id],
        context={
            "case": {
                "id": case.id,
                "number": case.number,
                "status": case.status,  # the code, for a store's own templates
                "status_zh": zh,
                "status_en": en,
                "type": case.type,
            }
        },
    )


@hookimpl(optionalhook=True)
def on_aftersale_approved(case, order):
    _aftersale(case, order)


@hookimpl(optionalhook=True)
def on_aftersale_completed(case, order, refund):
    _aftersale(case, order)


@hookimpl(optionalhook=True)
def on_aftersale_closed(case, order):
    _aftersale(case, order)


# -- chat ------------------------------------------------------------------------------------

CHAT_WINDOW_SECONDS = 600


@hookimpl
def on_chat_message_offline(merchant, message, recipient_id, unread):
    """At most one message per conversation and reader in ten minutes: the first unread
    message of a burst tells them; the rest wait in the chat."""
    if recipient_id is None:
        return
    window = int(utcnow().timestamp()) // CHAT_WINDOW_SECONDS
    _publish(
        "chat_offline",
        merchant.id,
        f"chat_offline:{message['conversation_id']}:{recipient_id}:{window}",
        user_ids=[recipient_id],
        context={"text": html.unescape(message.get("text") or "")[:200], "unread": unread},
    )


# -- verification codes and the demo ---------------------------------------------------------


@hookimpl
def send_verification_code(channel, recipient, code, purpose, expires_at, locale):
    return service.send_code(channel, recipient, code, purpose, expires_at, locale)


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, merchant, base_url)
