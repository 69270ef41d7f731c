"""What promoters and staff read: earnings, the team, share links and posters, statistics."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import peewee as pw
import segno

from mallkit.core.plugin_api import (
    Merchant,
    Rendered,
    User,
    create_share,
    get_share,
    share_url,
    utcnow,
)
from mallkit.plugins.distribution.models import (
    C_CANCELLED,
    C_FROZEN,
    C_SETTLED,
    PAID,
    PAYING,
    REQUESTED,
    Binding,
    Commission,
    Promoter,
    Withdrawal,
)
from mallkit.plugins.distribution.promoters import day_start_utc, store_day

KEPT = Commission.amount - Commission.cancelled


def _sum(query: pw.ModelSelect) -> int:
    return int(query.scalar() or 0)


def earnings(promoter: Promoter) -> dict[str, int]:
    today = store_day(promoter.merchant_id)
    day_start = day_start_utc(promoter.merchant_id, today)
    month_start = day_start_utc(promoter.merchant_id, today.replace(day=1))
    mine = (Commission.promoter_id == promoter.id) & (Commission.status != C_CANCELLED)

    def kept(where) -> int:
        return _sum(Commission.select(pw.fn.COALESCE(pw.fn.SUM(KEPT), 0)).where(mine & where))

    def withdrawals(*statuses: str) -> int:
        return _sum(
            Withdrawal.select(pw.fn.COALESCE(pw.fn.SUM(Withdrawal.amount), 0)).where(
                (Withdrawal.promoter_id == promoter.id) & Withdrawal.status.in_(statuses)
            )
        )

    return {
        "today": kept(Commission.created_at >= day_start),
        "month": kept(Commission.created_at >= month_start),
        "total": kept(Commission.id > 0),
        "frozen": kept(Commission.status == C_FROZEN),
        "withdrawable": promoter.balance,
        "withdrawing": withdrawals(REQUESTED, PAYING),
        "withdrawn": withdrawals(PAID),
        "debt": promoter.debt,
    }


def _live(query_where, now: dt.datetime):
    return query_where & (Binding.expires_at.is_null() | (Binding.expires_at > now))


def _team_where(promoter: Promoter, level: int):
    now = utcnow()
    if level == 1:
        return _live(Binding.promoter_id == promoter.id, now)
    children = Promoter.select(Promoter.id).where(Promoter.parent_id == promoter.id)
    return _live(Binding.promoter_id.in_(children), now)


def team_counts(promoter: Promoter) -> dict[str, int]:
    return {
        f"level{level}": Binding.select()
        .where((Binding.merchant_id == promoter.merchant_id) & _team_where(promoter, level))
        .count()
        for level in (1, 2)
    }


def team_members(promoter: Promoter, level: int) -> Rendered:
    query = (
        Binding.select()
        .where((Binding.merchant_id == promoter.merchant_id) & _team_where(promoter, level))
        .order_by(Binding.bound_at.desc(), Binding.id.desc())
    )

    def render(rows: list[Binding]) -> list[dict[str, Any]]:
        user_ids = [b.user_id for b in rows]
        names = {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(user_ids))}
        promoters = {
            p.user_id: p.id
            for p in Promoter.select(Promoter.id, Promoter.user_id).where(
                (Promoter.merchant_id == promoter.merchant_id) & Promoter.user_id.in_(user_ids)
            )
        }
        figures = {
            r.buyer_id: (r.orders, r.commission)
            for r in Commission.select(
                Commission.buyer_id,
                pw.fn.COUNT(pw.fn.DISTINCT(Commission.order_id)).alias("orders"),
                pw.fn.COALESCE(pw.fn.SUM(KEPT), 0).alias("commission"),
            )
            .where((Commission.promoter_id == promoter.id) & Commission.buyer_id.in_(user_ids))
            .group_by(Commission.buyer_id)
        }
        return [
            {
                "user_id": b.user_id,
                "name": names.get(b.user_id, ""),
                "promoter_id": promoters.get(b.user_id),
                "bound_at": b.bound_at,
                "orders": figures.get(b.user_id, (0, 0))[0],
                "commission": int(figures.get(b.user_id, (0, 0))[1]),
            }
            for b in rows
        ]

    return Rendered(query, render)


def share(promoter: Promoter, data: dict[str, Any]) -> dict[str, Any]:
    kind = data["kind"]
    target = promoter.merchant_id if kind == "store" else data.get("target_id")
    link = create_share(
        promoter.user_id, promoter.merchant_id, kind, target, channel=data["channel"]
    )
    base = f"/api/v1/merchants/{promoter.merchant_id}/distribution/me"
    return {
        "code": link.code,
        "url": share_url(link),
        "qr_url": f"/api/v1/shares/{link.code}/qr.svg",
        "poster_url": f"{base}/poster.svg?code={link.code}",
        "promoter_code": promoter.code,
    }


def poster(promoter: Promoter, code: str | None) -> str:
    """A share poster (SVG, 600×900): the store, the promoter, the link's QR code and the
    promoter code."""
    link = get_share(code, merchant_id=promoter.merchant_id) if code else None
    if link is None or link.sharer_id != promoter.user_id:
        link = create_share(
            promoter.user_id, promoter.merchant_id, "store", promoter.merchant_id, channel="poster"
        )
    url = share_url(link)
    store = Merchant.get_by_id(promoter.merchant_id).name
    name = User.select(User.name).where(User.id == promoter.user_id).scalar() or ""
    qr = segno.make(url, error="m").svg_inline(scale=10, border=2)
    qr = qr.replace("<svg ", '<svg x="150" y="300" ', 1)
    text = html.escape
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="600" height="900" '
        'viewBox="0 0 600 900">'
        '<rect width="600" height="900" fill="#fff7ef"/>'
        '<rect x="0" y="0" width="600" height="200" fill="#e4393c"/>'
        '<text x="300" y="110" font-size="44" text-anchor="middle" fill="#fff">'
        f"{text(store)}</text>"
        f'<text x="300" y="260" font-size="28" text-anchor="middle" fill="#333">'
        f"{text(name)} 邀请你一起逛</text>"
        f"{qr}"
        f'<text x="300" y="800" font-size="30" text-anchor="middle" fill="#333">'
        f"推广码 {text(promoter.code)}</text>"
        '<text x="300" y="850" font-size="22" text-anchor="middle" fill="#888">'
        "长按识别二维码</text>"
        "</svg>"
    )


def statistics(merchant_id: int, days: int) -> dict[str, Any]:
    today = store_day(merchant_id)
    first = today - dt.timedelta(days=days - 1)
    since = day_start_utc(merchant_id, first)
    store = Commission.merchant_id == merchant_id
    live = store & (Commission.status != C_CANCELLED)
    by_promoter = list(
        Commission.select(
            Commission.promoter_id,
            pw.fn.SUM(KEPT).alias("commission"),
            pw.fn.COUNT(pw.fn.DISTINCT(Commission.order_id)).alias("orders"),
        )
        .where(live & (Commission.created_at >= since))
        .group_by(Commission.promoter_id)
        .order_by(pw.fn.SUM(KEPT).desc(), Commission.promoter_id)
        .limit(10)
    )
    promoters = {
        p.id: p.user_id
        for p in Promoter.select().where(Promoter.id.in_([r.promoter_id for r in by_promoter]))
    }
    names = {
        u.id: u.name
        for u in User.select(User.id, User.name).where(User.id.in_(list(promoters.values())))
    }
    days_rows: dict[str, dict[str, Any]] = {}
    orders_per_day: dict[str, set[int]] = {}
    for row in Commission.select(
        Commission.created_at, Commission.amount, Commission.cancelled, Commission.order_id
    ).where(live & (Commission.created_at >= since)):
        day = store_day(merchant_id, row.created_at).isoformat()
        entry = days_rows.setdefault(day, {"day": day, "commission": 0, "orders": 0})
        entry["commission"] += row.amount - row.cancelled
        orders_per_day.setdefault(day, set()).add(row.order_id)
    by_day = []
    for n in range(days):
        day = (first + dt.timedelta(days=n)).isoformat()
        entry = days_rows.get(day, {"day": day, "commission": 0, "orders": 0})
        entry["orders"] = len(orders_per_day.get(day, ()))
        by_day.append(entry)

    def total(where) -> int:
        return _sum(Commission.select(pw.fn.COALESCE(pw.fn.SUM(KEPT), 0)).where(where))

    return {
        "promoters": Promoter.select().where(Promoter.merchant_id == merchant_id).count(),
        "frozen": total(store & (Commission.status == C_FROZEN)),
        "settled": total(store & (Commission.status == C_SETTLED)),
        "withdrawn": _sum(
            Withdrawal.select(pw.fn.COALESCE(pw.fn.SUM(Withdrawal.amount), 0)).where(
                (Withdrawal.merchant_id == merchant_id) & (Withdrawal.status == PAID)
            )
        ),
        "top": [
            {
                "promoter_id": r.promoter_id,
                "name": names.get(promoters.get(r.promoter_id), ""),
                "commission": int(r.commission or 0),
                "orders": r.orders,
            }
            for r in by_promoter
        ],
        "by_day": by_day,
    }
