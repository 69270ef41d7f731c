"""Points: lots with an expiry date, a ledger, and the moves between them.

``Member.points`` always equals the sum of ``remaining`` over the member's active lots; every
move changes both under the member's row lock (``members.lock``) and writes one ledger row
with a unique ``key``, so an event (an order paid, a refund) moves points once however often
it is reported. Spending takes the oldest lots first (earliest expiry) and remembers which
lot each point came from (``PointSpend``): a cancel or refund puts them back in that lot —
unless the lot expired meanwhile, in which case they stay expired. Expiry empties a lot in
one conditional update, so a return racing the daily expiry lands before it (and expires
with the lot) or after it (and is not returned): never both.
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from typing import Any

from peewee import fn

from mallkit.core.plugin_api import (
    Conflict,
    NotFound,
    Order,
    OrderLine,
    Product,
    Refund,
    category_lineage,
    database,
    merchant_plugins,
    transaction,
    utcnow,
)
from mallkit.plugins.membership import members
from mallkit.plugins.membership.models import (
    Member,
    PointEntry,
    PointLot,
    PointsEvent,
    PointSpend,
    Recharge,
)


def _entry_done(key: str | None) -> bool:
    return bool(key) and PointEntry.select().where(PointEntry.key == key).exists()


def add(
    merchant_id: int,
    user_id: int,
    amount: int,
    kind: str,
    *,
    key: str | None = None,
    order_id: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
) -> int:
    """Give ``amount`` points as a new lot expiring after the store's ``points_valid_days``;
    returns the points given (0 for a ``key`` already applied or nothing to give)."""
    if amount <= 0:
        return 0
    with transaction():
        member = members.lock(merchant_id, user_id)
        if _entry_done(key):
            return 0
        days = members.config(merchant_id)["points_valid_days"]
        now = utcnow()
        PointLot.create(
            merchant_id=merchant_id,
            user_id=user_id,
            amount=amount,
            remaining=amount,
            source=kind,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        PointEntry.create(
            merchant_id=merchant_id,
            user_id=user_id,
            delta=amount,
            kind=kind,
            key=key,
            order_id=order_id,
            reason=reason[:255],
            actor_id=actor_id,
        )
        Member.update(points=Member.points + amount).where(Member.id == member.id).execute()
    return amount


def _atomic():
    """A savepoint of its own outside a transaction, none inside one: the callers inside a
    transaction (checkout) roll it back whole on any error, and every refusal here happens
    before the first write — so checkout pays no SAVEPOINT round trips."""
    return nullcontext() if database.in_transaction() else transaction()


def take(
    merchant_id: int,
    user_id: int,
    amount: int,
    kind: str,
    *,
    key: str | None = None,
    order_id: int | None = None,
    reason: str = "",
    actor_id: int | None = None,
    partial: bool = False,
) -> int:
    """Take ``amount`` points from the oldest lots. Refuses (``points_insufficient``) when
    the member has fewer, unless ``partial`` (a reversal: take what is there, never below
    zero). Spending for an order (``kind="spend"``) records the lots for returns.

    Without ``partial`` and ``key`` (checkout), the conditional update of the member's total
    is the first statement: it takes the member's row lock and is the race guard at once."""
    if amount <= 0:
        return 0
    with _atomic():
        if partial or key:
            member = members.lock(merchant_id, user_id)
            if _entry_done(key):
                return 0
            if partial:
                amount = min(amount, member.points)
                if amount <= 0:
                    return 0
        # Raw SQL on this path: it runs in every checkout that redeems points, and peewee's
        # query building cost more than the queries (bench/membership.py).
        p = database.param
        won = database.execute_sql(
            f"UPDATE membership_member SET points = points - {p}"
            f" WHERE merchant_id = {p} AND user_id = {p} AND points >= {p}",
            (amount, merchant_id, user_id, amount),
        ).rowcount
        if not won:
            have = members.find(merchant_id, user_id)
            raise Conflict(
                "not enough points",
                code="points_insufficient",
                errors={"points": [f"{have.points if have else 0} available."]},
            )
        left, spends = amount, []
        lots = database.execute_sql(
            f"SELECT id, remaining FROM membership_point_lot WHERE merchant_id = {p}"
            f" AND user_id = {p} AND status = 'active' AND remaining > 0"
            " ORDER BY expires_at, id",
            (merchant_id, user_id),
        )
        taken = []
        for lot_id, remaining in lots:
            part = min(remaining, left)
            taken.append((lot_id, part))
            left -= part
            if left == 0:
                break
        lots.close()
        if left:  # the lots disagree with the member's total: refuse rather than drift
            raise Conflict("the points ledger is inconsistent", code="points_inconsistent")
        for lot_id, part in taken:
            database.execute_sql(
                f"UPDATE membership_point_lot SET remaining = remaining - {p} WHERE id = {p}",
                (part, lot_id),
            )
            spends.append((lot_id, order_id, part))
        if kind == "spend" and order_id is not None:
            database.execute_sql(
                "INSERT INTO membership_point_spend (lot_id, order_id, amount, returned) VALUES "
                + ", ".join(f"({p}, {p}, {p}, 0)" for _ in spends),
                [v for row in spends for v in row],
            )
        database.execute_sql(
            'INSERT INTO membership_point_entry (merchant_id, user_id, delta, kind, "key",'
            " order_id, reason, actor_id, created_at)"
            f" VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
            (merchant_id, user_id, -amount, kind, key, order_id, reason[:255], actor_id, utcnow()),
        )
    return amount


def give_back(order: Any, amount: int | None, *, key: str, reason: str) -> int:
    """Return points the order spent (``None``: all not yet returned) to the lots they came
    from; points whose lot expired meanwhile stay expired. Returns the points returned."""
    with transaction():
        member = members.lock(order.merchant_id, order.buyer_id)
        if _entry_done(key):
            return 0
        spends = list(
            PointSpend.select(PointSpend, PointLot)
            .join(PointLot)
            .where((PointSpend.order_id == order.id) & (PointSpend.returned < PointSpend.amount))
            .order_by(PointSpend.id.desc())  # the latest-expiring lots first
        )
        left = sum(s.amount - s.returned for s in spends) if amount is None else amount
        now, returned, lost = utcnow(), 0, 0
        for spend in spends:
            if left <= 0:
                break
            part = min(spend.amount - spend.returned, left)
            PointSpend.update(returned=PointSpend.returned + part).where(
                PointSpend.id == spend.id
            ).execute()
            back = (
                PointLot.update(remaining=PointLot.remaining + part)
                .where(
                    (PointLot.id == spend.lot_id)
                    & (PointLot.status == "active")
                    & (PointLot.expires_at > now)
                )
                .execute()
            )
            returned += part if back else 0
            lost += 0 if back else part
            left -= part
        if returned or lost:
            Member.update(points=Member.points + returned).where(Member.id == member.id).execute()
            PointEntry.create(
                merchant_id=order.merchant_id,
                user_id=order.buyer_id,
                delta=returned,
                kind="return",
                key=key,
                order_id=order.id,
                reason=(reason + (f"; {lost} expired meanwhile" if lost else ""))[:255],
            )
    return returned


def expire_lot(lot_id: int, now: dt.datetime | None = None) -> int:
    """Expire one lot whose date passed by ``now``: one conditional update empties it;
    returns the points expired (0 when it was not active any more)."""
    lot = PointLot.get_by_id(lot_id)
    now = now or utcnow()
    with transaction():
        member = members.lock(lot.merchant_id, lot.user_id)
        won = (
            PointLot.update(status="expired", expired=PointLot.remaining, remaining=0)
            .where(
                (PointLot.id == lot.id)
                & (PointLot.status == "active")
                & (PointLot.expires_at <= now)
            )
            .execute()
        )
        if not won:
            return 0
        gone = PointLot.get_by_id(lot.id).expired
        if gone:
            Member.update(points=Member.points - gone).where(Member.id == member.id).execute()
            PointEntry.create(
                merchant_id=lot.merchant_id,
                user_id=lot.user_id,
                delta=-gone,
                kind="expire",
                key=f"expire:{lot.id}",
                reason=f"lot {lot.id} expired",
            )
    return gone


def expire_due(merchant_id: int, now: dt.datetime | None = None) -> int:
    """Expire every active lot of the store whose date has passed; returns points expired."""
    now = now or utcnow()
    due = PointLot.select(PointLot.id).where(
        (PointLot.merchant_id == merchant_id)
        & (PointLot.status == "active")
        & (PointLot.expires_at <= now)
    )
    return sum(expire_lot(lot.id, now) for lot in list(due))


def run_expiry(task: Any) -> None:
    """The daily job (store time): expire what is due."""
    expire_due(task.merchant_id)


# -- earning and reversing for orders --------------------------------------------------------


def is_recharge(order: Any) -> bool:
    return Recharge.select().where(Recharge.order_id == order.id).exists()


def _event_multipliers(merchant_id: int, lines: list[Any], at: dt.datetime) -> list[int]:
    """Per line, the best points-multiplier event running at ``at`` (100 when none)."""
    events = list(
        PointsEvent.select().where(
            (PointsEvent.merchant_id == merchant_id)
            & (PointsEvent.starts_at <= at)
            & (PointsEvent.ends_at > at)
        )
    )
    if not events:
        return [100] * len(lines)
    categories = {
        p.id: p.category_id
        for p in Product.select(Product.id, Product.category).where(
            Product.id.in_([ln.product_id for ln in lines])
        )
    }
    lineage = category_lineage(categories.values())
    out = []
    for line in lines:
        tree = lineage.get(categories.get(line.product_id), ())
        out.append(
            max(
                [100]
                + [e.multiplier for e in events if e.category_id is None or e.category_id in tree]
            )
        )
    return out


def points_for(order: Any, level_multiplier: int) -> int:
    """Points an order earns: ``points_per_yuan`` per whole yuan paid and not refunded,
    weighted per line by a running multiplier event, times the level's multiplier, rounded
    down."""
    cfg = members.config(order.merchant_id)
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    multipliers = _event_multipliers(order.merchant_id, lines, order.paid_at or utcnow())
    weighted = sum(
        (ln.pay_amount - ln.refunded_amount) * m for ln, m in zip(lines, multipliers, strict=True)
    )
    yuan = weighted // 100 // 100
    return yuan * cfg["points_per_yuan"] * level_multiplier // 100


def earn(order: Any) -> int:
    """Points for a paid (or received) order, once."""
    if is_recharge(order):
        return 0
    member = members.ensure(order.merchant_id, order.buyer_id)
    level = members.levels(order.merchant_id)
    multiplier = level[min(member.level, len(level) - 1)]["points_multiplier"]
    return add(
        order.merchant_id,
        order.buyer_id,
        points_for(order, multiplier),
        "earn",
        key=f"earn:{order.id}",
        order_id=order.id,
        reason=f"order {order.number}",
    )


def _order_sum(order_id: int, kind: str) -> int:
    return (
        PointEntry.select(fn.COALESCE(fn.SUM(PointEntry.delta), 0))
        .where((PointEntry.order_id == order_id) & (PointEntry.kind == kind))
        .scalar()
    )


def reverse(order: Any, refund: Refund, full: bool) -> int:
    """Take back the points the order earned, in proportion to the refund (all that is left
    when the order is refunded in full); never below zero."""
    earned = _order_sum(order.id, "earn")
    if earned <= 0:
        return 0
    taken = -_order_sum(order.id, "reverse")
    target = earned if full else min(earned, earned * order.refunded_amount // order.paid_amount)
    return take(
        order.merchant_id,
        order.buyer_id,
        target - taken,
        "reverse",
        key=f"reverse:{refund.number}",
        order_id=order.id,
        reason=f"refund {refund.number}",
        partial=True,
    )


def spent_on(order_id: int) -> int:
    return -_order_sum(order_id, "spend")


def return_for_refund(order: Any, refund: Refund, full: bool) -> int:
    """Points the order spent come back in proportion to the refund (all when in full)."""
    spent = spent_on(order.id)
    if spent <= 0:
        return 0
    if full:
        amount = None
    else:
        already = _order_sum(order.id, "return")
        lost = (
            PointSpend.select(fn.COALESCE(fn.SUM(PointSpend.returned), 0))
            .where(PointSpend.order_id == order.id)
            .scalar()
            - already
        )
        target = spent * order.refunded_amount // order.paid_amount
        amount = max(target - already - lost, 0)
    return give_back(order, amount, key=f"return:{refund.number}", reason=f"refund {refund.number}")


def reload_order(order_id: int) -> Order:
    return Order.get_by_id(order_id)


def buy_coupon(merchant: Any, buyer: Any, template_id: int) -> dict[str, Any]:
    """Pay a coupon offer's points and get the coupon from the plugin that keeps coupons
    (``grant_coupon``), in one transaction: a coupon refused (exhausted, limit reached,
    coupons off) takes no points, and too few points get no coupon."""
    offers = members.config(merchant.id).get("coupon_offers") or []
    offer = next((o for o in offers if o["template_id"] == template_id), None)
    if offer is None:
        raise NotFound("no such coupon offer", code="offer_not_found")
    with transaction():
        take(
            merchant.id,
            buyer.id,
            offer["points"],
            "redeem",
            reason=f"coupon template {template_id}",
        )
        granted = merchant_plugins(merchant.id).hook.grant_coupon(
            merchant=merchant, buyer=buyer, template_id=template_id, channel="points"
        )
        if granted is None:
            raise Conflict("this store gives out no coupons", code="coupons_unavailable")
    member = members.find(merchant.id, buyer.id)
    return {**granted, "points": offer["points"], "balance": member.points}


def reward_share_visit(share: Any, visit: Any) -> int:
    """A visit through a buyer's share link earns the sharer ``share_points``, at most
    ``share_rewards_per_day`` times a store day; a sharer's own visits earn nothing. Counted
    under the sharer's member lock, so racing visits never pass the cap."""
    cfg = members.config(share.merchant_id)
    if not cfg["share_points"] or not cfg["share_rewards_per_day"]:
        return 0
    if visit.user_id == share.sharer_id:
        return 0
    day = members.local_date(share.merchant_id, visit.created_at).isoformat()
    with transaction():
        members.lock(share.merchant_id, share.sharer_id)
        given = (
            PointEntry.select()
            .where(
                (PointEntry.merchant_id == share.merchant_id)
                & (PointEntry.user_id == share.sharer_id)
                & (PointEntry.kind == "share")
                & PointEntry.key.startswith(f"share:{day}:")
            )
            .count()
        )
        if given >= cfg["share_rewards_per_day"]:
            return 0
        return add(
            share.merchant_id,
            share.sharer_id,
            cfg["share_points"],
            "share",
            key=f"share:{day}:{visit.id}",
            reason=f"a visit through share {share.code}",
        )
