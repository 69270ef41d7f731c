"""Campaign messages (CRM): a store's marketing message to a segment of its buyers — once
(now or at a set time), or daily for birthdays and for buyers who just became dormant —
with an optional coupon, per-person frequency caps and an unsubscribe link.

Audiences: ``{"segment_id": n}`` asks the store's segment plugin (membership, through
``segment_members``); otherwise simple filters over the store's buyers — those with a paid
order — ``min_orders``, ``min_spent`` (fen) and ``dormant_days`` (no paid order for that
many days). Every recipient's message is an ordinary notification event of category
``marketing``: opt-outs apply, SMS waits out quiet hours, and the caps
(``marketing_per_day``, ``marketing_per_week``) hold across campaigns.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Any

import peewee as pw
from flask import current_app

from mallkit.core.plugin_api import (
    MallkitError,
    Merchant,
    NotFound,
    Order,
    User,
    ValidationError,
    merchant_plugins,
    schedule_task,
    transaction,
    utcnow,
)
from mallkit.plugins.notifications import service
from mallkit.plugins.notifications.models import MARKETING, Campaign

log = logging.getLogger("mallkit.notifications")

RUN_TASK = "notifications.campaign"
DAILY_TASK = "notifications.campaigns_daily"
PAID = ("paid", "awaiting_group", "shipped", "completed", "closed")
FILTERS = {"min_orders", "min_spent", "dormant_days"}


def _merchant(merchant_id: int) -> Merchant:
    return Merchant.get_by_id(merchant_id)


def check_audience(merchant_id: int, audience: dict[str, Any]) -> None:
    unknown = set(audience) - FILTERS - {"segment_id"}
    if unknown:
        raise ValidationError(
            "unknown audience filters", errors={"audience": [f"Unknown: {sorted(unknown)}."]}
        )
    for name, value in audience.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError(
                "audience values are whole numbers", errors={"audience": [f"{name}: ≥ 0."]}
            )
    if "segment_id" in audience:
        members = merchant_plugins(merchant_id).hook.segment_members(
            merchant=_merchant(merchant_id), segment_id=audience["segment_id"]
        )
        if members is None:
            raise ValidationError(
                "no such segment (is membership on?)",
                code="unknown_segment",
                errors={"audience": ["Unknown segment."]},
            )


def audience_of(merchant_id: int, audience: dict[str, Any]) -> list[int]:
    """The user ids a campaign's audience holds now."""
    if "segment_id" in audience:
        members = merchant_plugins(merchant_id).hook.segment_members(
            merchant=_merchant(merchant_id), segment_id=audience["segment_id"]
        )
        return sorted(set(members or []))
    paid = (Order.merchant == merchant_id) & Order.status.in_(PAID)
    query = Order.select(Order.buyer).where(paid).group_by(Order.buyer)
    if audience.get("min_orders"):
        query = query.having(pw.fn.COUNT(Order.id) >= audience["min_orders"])
    if audience.get("min_spent"):
        query = query.having(pw.fn.SUM(Order.paid_amount) >= audience["min_spent"])
    if audience.get("dormant_days"):
        cutoff = utcnow() - dt.timedelta(days=audience["dormant_days"])
        query = query.having(pw.fn.MAX(Order.paid_at) < cutoff)
    return sorted(row.buyer_id for row in query)


def create(merchant_id: int, data: dict[str, Any], actor_id: int) -> Campaign:
    check_audience(merchant_id, data["audience"])
    if data["kind"] != "once" and data["run_at"] is not None:
        raise ValidationError(
            "daily campaigns run every day", errors={"run_at": ["Only for a one-off campaign."]}
        )
    if data["kind"] == "winback":
        data["audience"].setdefault("dormant_days", 90)
    sample = {
        "store": {"name": "示例店铺"},
        "buyer": {"name": "小明"},
        "coupon": {"coupon_id": 1, "template_id": 1, "name": "满100减20"},
    }
    service.templates.render(data["subject"], data["body"], sample)
    with transaction():
        campaign = Campaign.create(
            merchant_id=merchant_id,
            created_by=actor_id,
            status="scheduled" if data["kind"] == "once" else "active",
            **data,
        )
        if campaign.kind == "once":
            schedule_task(
                RUN_TASK,
                run_at=data["run_at"] or utcnow(),
                payload={"campaign_id": campaign.id},
                merchant_id=merchant_id,
                dedupe_key=f"{RUN_TASK}:{campaign.id}",
            )
    return campaign


def stop(merchant_id: int, campaign_id: int) -> Campaign:
    campaign = get(merchant_id, campaign_id)
    with transaction():
        Campaign.update(status="stopped").where(
            (Campaign.id == campaign.id) & Campaign.status.in_(("scheduled", "active"))
        ).execute()
    return get(merchant_id, campaign_id)


def get(merchant_id: int, campaign_id: int) -> Campaign:
    campaign = Campaign.get_or_none(
        (Campaign.id == campaign_id) & (Campaign.merchant_id == merchant_id)
    )
    if campaign is None:
        raise NotFound("no such campaign", code="campaign_not_found")
    return campaign


def _unsubscribe_url(user_id: int) -> str:
    config = current_app.config
    base = (config.get("PUBLIC_BASE_URL") or config.get("SHARE_BASE_URL") or "").rstrip("/")
    return f"{base}/api/v1/notifications/unsubscribe?token={service.unsubscribe_token(user_id)}"


def send(campaign: Campaign, user_ids: list[int], occasion: str) -> tuple[int, int]:
    """Queue the campaign's message to each of ``user_ids`` (once per ``occasion``: the
    campaign, or the day of a daily one); (sent, capped)."""
    cfg = service.config(campaign.merchant_id)
    merchant = _merchant(campaign.merchant_id)
    now = utcnow()
    sent = capped = 0
    for user in User.select().where(User.id.in_(user_ids) & User.is_active):
        if service.marketing_capped(user.id, cfg, now):
            capped += 1
            continue
        coupon = None
        if campaign.coupon_template_id:
            try:
                with transaction():
                    coupon = merchant_plugins(campaign.merchant_id).hook.grant_coupon(
                        merchant=merchant,
                        buyer=user,
                        template_id=campaign.coupon_template_id,
                        channel="campaign",
                    )
            except MallkitError as exc:
                log.info("campaign %s: no coupon for user %s: %s", campaign.id, user.id, exc)
        values = {"store": {"name": merchant.name}, "buyer": {"name": user.name}}
        if coupon:
            values["coupon"] = coupon
        try:
            subject, body = service.templates.render(campaign.subject, campaign.body, values)
        except ValidationError as exc:  # e.g. it names the coupon and none could be given
            log.info("campaign %s: not sent to user %s: %s", campaign.id, user.id, exc.errors)
            continue
        service.publish(
            "campaign",
            campaign.merchant_id,
            f"campaign:{campaign.id}:{occasion}:{user.id}",
            user_ids=[user.id],
            context={
                "subject": subject,
                "body": body,
                "coupon": coupon or {},
                "unsubscribe_url": _unsubscribe_url(user.id),
            },
            category=MARKETING,
            campaign_id=campaign.id,
            channels=campaign.channels,
        )
        sent += 1
    Campaign.update(
        sent_count=Campaign.sent_count + sent,
        capped_count=Campaign.capped_count + capped,
        last_run_at=now,
    ).where(Campaign.id == campaign.id).execute()
    return sent, capped


def run(task: Any) -> None:
    """A one-off campaign's task: send it once, then mark it sent."""
    campaign = Campaign.get_or_none(Campaign.id == task.payload["campaign_id"])
    if campaign is None or campaign.status != "scheduled":
        return
    won = (
        Campaign.update(status="sent")
        .where((Campaign.id == campaign.id) & (Campaign.status == "scheduled"))
        .execute()
    )
    if won:
        send(campaign, audience_of(campaign.merchant_id, campaign.audience), "once")


def _birthday_people(merchant_id: int, today: dt.date) -> list[int]:
    buyers = set(audience_of(merchant_id, {}))
    born = User.select(User.id, User.birthday).where(
        User.id.in_(list(buyers)) & User.birthday.is_null(False)
    )
    return sorted(
        u.id for u in born if (u.birthday.month, u.birthday.day) == (today.month, today.day)
    )


def _newly_dormant(merchant_id: int, days: int, today: dt.date, tz: dt.tzinfo) -> list[int]:
    """Buyers whose last paid order was exactly ``days`` store-days ago."""
    start = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(), tzinfo=tz)
    lo = start.astimezone(dt.UTC).replace(tzinfo=None)
    hi = lo + dt.timedelta(days=1)
    query = (
        Order.select(Order.buyer)
        .where((Order.merchant == merchant_id) & Order.status.in_(PAID))
        .group_by(Order.buyer)
        .having((pw.fn.MAX(Order.paid_at) >= lo) & (pw.fn.MAX(Order.paid_at) < hi))
    )
    return sorted(row.buyer_id for row in query)


def daily(task: Any) -> None:
    """The store's daily run of its birthday and win-back campaigns (store time)."""
    merchant = _merchant(task.merchant_id)
    tz = zoneinfo.ZoneInfo(merchant.timezone or "Asia/Shanghai")
    today = dt.date.fromisoformat(task.payload["local_date"])
    for campaign in Campaign.select().where(
        (Campaign.merchant_id == merchant.id) & (Campaign.status == "active")
    ):
        if campaign.kind == "birthday":
            people = _birthday_people(merchant.id, today)
        elif campaign.kind == "winback":
            people = _newly_dormant(
                merchant.id, campaign.audience.get("dormant_days", 90), today, tz
            )
        else:
            continue
        filters = {k: v for k, v in campaign.audience.items() if k != "dormant_days"}
        if filters:
            people = sorted(set(people) & set(audience_of(merchant.id, filters)))
        send(campaign, people, today.isoformat())
