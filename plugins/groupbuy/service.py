"""Group buy rules: activities, seats, payment, success, failure with refunds, share codes.

Every change of a seat or a group is a conditional update on the row's state (``joined <
size``, ``status = 'open'``), so the last seat goes to one buyer and a group succeeds or fails
exactly once however many workers and payments race. Lock order on PostgreSQL is always
orders first, then the group row (the payment path locks the order before its hook touches
the group; expiry locks the members' orders before the group), so the two never deadlock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import peewee as pw
from flask import has_request_context, request

from mallkit.core.plugin_api import (
    SYSTEM,
    Conflict,
    NotFound,
    Order,
    PriceCandidate,
    Product,
    ShareLink,
    Sku,
    User,
    ValidationError,
    attribute_order,
    cancel_order,
    create_share,
    is_postgres,
    merchant_plugins,
    refund_order,
    schedule_task,
    transaction,
    transition_order,
    utcnow,
)
from mallkit.core.plugin_api import get_share as core_get_share
from mallkit.plugins.groupbuy.models import (
    CANCELLED,
    FAILED,
    OPEN,
    PAID,
    PENDING,
    REFUNDED,
    RELEASED,
    RESERVED,
    SUCCEEDED,
    Group,
    GroupActivity,
    Member,
)

PLUGIN = "groupbuy"
ACTIVITY_TYPE = "groupbuy"
SHARE_KIND = "group"  # a group's share links are core share links of this kind
EXPIRE = "groupbuy.expire"
AWAITING = "awaiting_group"
HELD = (RESERVED, PAID)


# -- activities ------------------------------------------------------------------------------


def create_activity(merchant_id: int, data: dict[str, Any]) -> GroupActivity:
    """Create an activity. ``data["prices"]``: ``{sku_id: group unit price}`` for SKUs of
    ``data["product_id"]``; each price below the SKU's own price and at least 1."""
    product = Product.get_or_none(
        (Product.id == data["product_id"]) & (Product.merchant == merchant_id)
    )
    if product is None:
        raise ValidationError(
            "no such product in this store", errors={"product_id": ["Unknown product."]}
        )
    skus = {s.id: s for s in Sku.select().where(Sku.product == product.id)}
    errors: dict[str, list[str]] = {}
    prices: dict[str, int] = {}
    for sku_id, price in data["prices"].items():
        sku = skus.get(int(sku_id)) if str(sku_id).isdigit() else None
        if sku is None:
            errors[str(sku_id)] = ["Not a SKU of this product."]
        elif not 1 <= price < sku.price:
            errors[str(sku_id)] = [f"Between 1 and {sku.price - 1}."]
        else:
            prices[str(sku.id)] = price
    if not prices and not errors:
        errors["prices"] = ["At least one SKU."]
    if data["ends_at"] <= data["starts_at"]:
        errors["ends_at"] = ["After starts_at."]
    if data.get("per_user_limit") and data["per_user_limit"] < data.get("per_order_limit", 1):
        errors["per_user_limit"] = ["At least per_order_limit."]
    if errors:
        raise ValidationError("the activity is not valid", errors={"prices": errors})
    fields = {k: v for k, v in data.items() if k not in ("prices", "product_id")}
    return GroupActivity.create(
        merchant_id=merchant_id, product_id=product.id, prices=prices, **fields
    )


def get_activity(merchant_id: int, activity_id: int) -> GroupActivity:
    activity = GroupActivity.get_or_none(
        (GroupActivity.id == activity_id) & (GroupActivity.merchant_id == merchant_id)
    )
    if activity is None:
        raise NotFound("no such group-buy activity", code="activity_not_found")
    return activity


def close_activity(activity: GroupActivity) -> GroupActivity:
    """Stop new groups and joins; groups already open run to their end."""
    GroupActivity.update(status="closed").where(GroupActivity.id == activity.id).execute()
    return GroupActivity.get_by_id(activity.id)


def is_running(
    activity: GroupActivity, now: dt.datetime | None = None, early_minutes: int = 0
) -> bool:
    """Running now — or, for a buyer with ``early_minutes`` of early access, starting
    within them."""
    now = now or utcnow()
    opens = activity.starts_at - dt.timedelta(minutes=early_minutes)
    return activity.status == "active" and opens <= now < activity.ends_at


def early_minutes(merchant: Any, buyer: Any) -> int:
    """The buyer's early access to timed activities (``buyer_perks``: a member level);
    0 without a buyer or a plugin that answers."""
    if buyer is None:
        return 0
    perks = merchant_plugins(merchant.id).hook.buyer_perks(merchant=merchant, buyer=buyer)
    return max((int(p.get("early_access_minutes") or 0) for p in perks if p), default=0)


# -- checkout --------------------------------------------------------------------------------


def _activity_of(line: dict[str, Any]) -> dict[str, Any] | None:
    activity = line.get("activity")
    if isinstance(activity, dict) and activity.get("type") == ACTIVITY_TYPE:
        return activity
    return None


def _int_param(params: dict[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{name} must be a positive integer",
            code="invalid_activity",
            errors={f"activity.params.{name}": ["A positive integer."]},
        )
    return value


def unit_prices(
    merchant: Any, lines: list[dict[str, Any]], buyer: Any = None
) -> list[PriceCandidate]:
    """Group prices for lines bought through a running activity of this merchant (early
    for a buyer with early access)."""
    wanted = {ln["key"]: a for ln in lines if (a := _activity_of(ln))}
    if not wanted:
        return []
    ids = {a.get("id") for a in wanted.values()}
    activities = {
        a.id: a
        for a in GroupActivity.select().where(
            (GroupActivity.id.in_([i for i in ids if isinstance(i, int)]))
            & (GroupActivity.merchant_id == merchant.id)
        )
    }
    now = utcnow()
    early = 0
    if any(a.starts_at > now for a in activities.values()):  # ask only when it matters
        early = early_minutes(merchant, buyer)
    out = []
    for line in lines:
        spec = wanted.get(line["key"])
        activity = activities.get(spec.get("id")) if spec else None
        if activity is None or not is_running(activity, now, early):
            continue
        price = activity.prices.get(str(line["sku_id"]))
        if price is None:
            continue
        out.append(
            PriceCandidate(
                line_key=line["key"],
                unit_price=price,
                source=PLUGIN,
                kind="activity",
                label="拼团价",
                data={} if activity.allow_discounts else {"exclusive": True},
            )
        )
    return out


def _resolve(
    merchant_id: int, spec: dict[str, Any]
) -> tuple[GroupActivity, int | None, ShareLink | None]:
    """The activity, the group to join (None: open one) and the share link used."""
    activity = get_activity(merchant_id, spec.get("id") or 0)
    params = spec.get("params") or {}
    group_id = _int_param(params, "group_id")
    share = None
    code = params.get("share")
    if code is not None:
        try:
            share = get_share(merchant_id, code)
        except NotFound:
            raise ValidationError(
                "unknown share code",
                code="invalid_share",
                errors={"activity.params.share": ["Unknown share code."]},
            ) from None
        if group_id is None:
            group_id = share.target_id
        elif group_id != share.target_id:
            raise ValidationError(
                "the share code is for another group",
                code="invalid_share",
                errors={"activity.params.share": ["Another group's code."]},
            )
    return activity, group_id, share


def _held_quantity(activity_id: int, user_id: int) -> int:
    return (
        Member.select(pw.fn.COALESCE(pw.fn.SUM(Member.quantity), 0))
        .where(
            (Member.activity_id == activity_id)
            & (Member.user_id == user_id)
            & Member.status.in_(HELD)
        )
        .scalar()
    )


def validate(merchant: Any, buyer: Any, draft: dict[str, Any]) -> None:
    """Refuse a group-buy checkout the rules forbid; nothing is written."""
    lines = [ln for ln in draft["lines"] if _activity_of(ln)]
    if not lines:
        return
    if len(draft["lines"]) != 1:
        raise Conflict(
            "a group-buy order holds its one group item only",
            code="group_order_single_line",
            errors={"items": ["Buy the group item on its own."]},
        )
    line = lines[0]
    activity, group_id, _ = _resolve(merchant.id, line["activity"])
    if not is_running(activity, early_minutes=early_minutes(merchant, buyer)):
        raise Conflict("the group-buy activity is not running", code="activity_not_running")
    price = activity.prices.get(str(line["sku_id"]))
    if price is None or line["sale_unit_price"] != price or line["price_source"] != PLUGIN:
        raise Conflict(
            "this SKU is not in the group-buy activity",
            code="not_in_activity",
            errors={"sku_id": [str(line["sku_id"])]},
        )
    if line["quantity"] > activity.per_order_limit:
        raise Conflict(
            f"at most {activity.per_order_limit} per group-buy order",
            code="per_order_limit",
            errors={"quantity": [f"At most {activity.per_order_limit}."]},
        )
    if activity.per_user_limit:
        held = _held_quantity(activity.id, buyer.id)
        if held + line["quantity"] > activity.per_user_limit:
            raise Conflict(
                f"at most {activity.per_user_limit} per buyer in this activity",
                code="per_user_limit",
                errors={"quantity": [f"{activity.per_user_limit - held} left for you."]},
            )
    if group_id is None:
        if Group.get_or_none(Group.open_key == f"{activity.id}:{buyer.id}") is not None:
            raise Conflict(
                "you already lead an open group in this activity",
                code="one_open_group",
            )
        return
    group = Group.get_or_none((Group.id == group_id) & (Group.activity == activity.id))
    if group is None:
        raise NotFound("no such group", code="group_not_found")
    _check_joinable(group, buyer.id)


def _check_joinable(group: Group, user_id: int) -> None:
    if group.status != OPEN or (group.expires_at and group.expires_at <= utcnow()):
        raise Conflict("the group is no longer open", code="group_closed")
    if group.joined >= group.size:
        raise Conflict("the group is full", code="group_full")
    already = Member.select().where(
        (Member.group == group.id) & (Member.user_id == user_id) & Member.status.in_(HELD)
    )
    if already.exists():
        raise Conflict("you are already in this group", code="already_in_group")


def reserve(merchant: Any, buyer: Any, order: Order, lines: list[dict[str, Any]]) -> None:
    """Inside the checkout transaction: open a (pending) group or take a seat in one, and the
    activity's stock; conditional updates, so a full group or a second open group refuses
    the checkout with nothing written."""
    line = next((ln for ln in lines if _activity_of(ln)), None)
    if line is None:
        return
    activity, group_id, share = _resolve(merchant.id, line["activity"])
    quantity = line["quantity"]
    if activity.per_user_limit:
        # Serialise one buyer's group checkouts (SQLite's BEGIN IMMEDIATE already does), then
        # count again: two simultaneous orders cannot both pass the per-user limit.
        if is_postgres():
            # NO KEY UPDATE: the order row's foreign key already holds KEY SHARE on it.
            User.select(User.id).where(User.id == buyer.id).for_update(
                "FOR NO KEY UPDATE"
            ).execute()
        if _held_quantity(activity.id, buyer.id) + quantity > activity.per_user_limit:
            raise Conflict(
                f"at most {activity.per_user_limit} per buyer in this activity",
                code="per_user_limit",
            )
    if activity.stock is not None:
        took = (
            GroupActivity.update(stock=GroupActivity.stock - quantity)
            .where((GroupActivity.id == activity.id) & (GroupActivity.stock >= quantity))
            .execute()
        )
        if not took:
            raise Conflict("the group-buy activity is sold out", code="activity_sold_out")
    inviter = share.sharer_id if share is not None and share.sharer_id != buyer.id else None
    if group_id is None:
        try:
            with transaction():  # a savepoint: the unique open_key decides a race
                group = Group.create(
                    merchant_id=merchant.id,
                    activity=activity.id,
                    leader_id=buyer.id,
                    size=activity.group_size,
                    joined=1,
                    status=PENDING,
                    open_key=f"{activity.id}:{buyer.id}",
                )
        except pw.IntegrityError:
            raise Conflict(
                "you already lead an open group in this activity", code="one_open_group"
            ) from None
        is_leader = True
    else:
        group = Group.get_by_id(group_id)
        _check_joinable(group, buyer.id)
        won = (
            Group.update(joined=Group.joined + 1)
            .where(
                (Group.id == group.id)
                & (Group.status == OPEN)
                & (Group.joined < Group.size)
                & (Group.expires_at > utcnow())
            )
            .execute()
        )
        if not won:
            raise Conflict("the group is full", code="group_full")
        is_leader = False
    Member.create(
        group=group.id,
        merchant_id=merchant.id,
        activity_id=activity.id,
        user_id=buyer.id,
        order_id=order.id,
        quantity=quantity,
        is_leader=is_leader,
        inviter_id=inviter,
        share_code=share.code if share is not None else None,
    )
    # The order came through the group's share link (unless it was placed with another).
    attribute_order(order, share)


# -- order state -----------------------------------------------------------------------------


def _member_of(order: Order) -> Member | None:
    return Member.get_or_none(Member.order_id == order.id)


def on_state_changed(order: Order, source: str, target: str) -> None:
    """Follow the order: payment seats the member (and opens a leader's group), an unpaid
    cancel gives the seat back, a refund-close of a waiting order leaves the group."""
    if (source, target) == ("pending_payment", "paid"):
        member = _member_of(order)
        if member is not None:
            _paid(order, member)
    elif target == "cancelled":
        member = _member_of(order)
        if member is not None:
            _release(member)
    elif (source, target) == (AWAITING, "closed"):
        member = _member_of(order)
        if member is not None:
            _left(member)


def _restock_activity(activity_id: int, quantity: int) -> None:
    GroupActivity.update(stock=GroupActivity.stock + quantity).where(
        (GroupActivity.id == activity_id) & GroupActivity.stock.is_null(False)
    ).execute()


def _paid(order: Order, member: Member) -> None:
    now = utcnow()
    won = (
        Member.update(status=PAID, paid_at=now)
        .where((Member.id == member.id) & (Member.status == RESERVED))
        .execute()
    )
    if not won:
        return
    group = Group.get_by_id(member.group_id)
    if member.is_leader:
        activity = GroupActivity.get_by_id(group.activity_id)
        expires = now + dt.timedelta(minutes=activity.time_limit_minutes)
        moved = (
            Group.update(status=OPEN, paid=Group.paid + 1, opened_at=now, expires_at=expires)
            .where((Group.id == group.id) & (Group.status == PENDING))
            .execute()
        )
        if moved:
            schedule_task(
                EXPIRE,
                run_at=expires,
                payload={"group_id": group.id},
                merchant_id=group.merchant_id,
                dedupe_key=f"{EXPIRE}:{group.id}",
            )
    else:
        moved = (
            Group.update(paid=Group.paid + 1)
            .where((Group.id == group.id) & (Group.status == OPEN))
            .execute()
        )
    if not moved:
        # Cannot happen through the rules (unpaid members are cancelled when a group ends);
        # if it does, the money goes straight back rather than waiting for nothing.

        Member.update(status=REFUNDED).where(Member.id == member.id).execute()
        refund_order(order, reason="group_closed", actor=SYSTEM)
        return
    transition_order(order, AWAITING, SYSTEM, reason="waiting for the group")
    group = Group.get_by_id(group.id)
    if group.paid >= group.size:
        succeed(group)


def _release(member: Member) -> None:
    won = (
        Member.update(status=RELEASED)
        .where((Member.id == member.id) & (Member.status == RESERVED))
        .execute()
    )
    if not won:
        return
    Group.update(joined=Group.joined - 1).where(Group.id == member.group_id).execute()
    if member.is_leader:
        Group.update(status=CANCELLED, open_key=None, finished_at=utcnow()).where(
            (Group.id == member.group_id) & (Group.status == PENDING)
        ).execute()
    _restock_activity(member.activity_id, member.quantity)


def _left(member: Member) -> None:
    """A paid member refunded while waiting (by staff): the seat is free again."""
    won = (
        Member.update(status=REFUNDED)
        .where((Member.id == member.id) & (Member.status == PAID))
        .execute()
    )
    if won:
        Group.update(joined=Group.joined - 1, paid=Group.paid - 1).where(
            (Group.id == member.group_id) & (Group.status == OPEN)
        ).execute()
        _restock_activity(member.activity_id, member.quantity)


# -- the end of a group ----------------------------------------------------------------------


def _members(group: Group, status: str) -> list[Member]:
    return list(
        Member.select()
        .where((Member.group == group.id) & (Member.status == status))
        .order_by(Member.id)
    )


def _lock_orders(group: Group) -> None:
    if is_postgres():
        ids = Member.select(Member.order_id).where(Member.group == group.id)
        Order.select(Order.id).where(Order.id.in_(ids)).order_by(Order.id).for_update().execute()


def succeed(group: Group, *, simulated: bool = False) -> bool:
    """Close the group as succeeded (once): every paid member's order moves on to ``paid``
    (and can ship); members who never paid are cancelled (a simulated success fills their
    seats)."""
    with transaction():
        won = (
            Group.update(status=SUCCEEDED, open_key=None, finished_at=utcnow(), simulated=simulated)
            .where((Group.id == group.id) & (Group.status == OPEN))
            .execute()
        )
        if not won:
            return False
        for member in _members(group, PAID):
            order = Order.get_by_id(member.order_id)
            if order.status == AWAITING:
                transition_order(
                    order,
                    "paid",
                    SYSTEM,
                    reason="group succeeded" + (" (simulated)" if simulated else ""),
                    changes={"paid_at": order.paid_at},
                )
        for member in _members(group, RESERVED):
            order = Order.get_by_id(member.order_id)
            if order.status == "pending_payment":
                cancel_order(order, SYSTEM, reason="group_closed")
        group = Group.get_by_id(group.id)
        merchant_plugins(group.merchant_id).hook.on_group_succeeded(
            group=group, members=_members(group, PAID)
        )
    return True


def fail(group: Group) -> bool:
    """Close the group as failed (once): every paid member is refunded in full through the
    channel they paid with; unpaid members are cancelled."""

    with transaction():
        _lock_orders(group)
        won = (
            Group.update(status=FAILED, open_key=None, finished_at=utcnow())
            .where((Group.id == group.id) & (Group.status == OPEN))
            .execute()
        )
        if not won:
            return False
        refunded = []
        for member in _members(group, PAID):
            moved = (
                Member.update(status=REFUNDED)
                .where((Member.id == member.id) & (Member.status == PAID))
                .execute()
            )
            if not moved:
                continue
            order = Order.get_by_id(member.order_id)
            refund_order(order, reason="group_failed", actor=SYSTEM)
            _restock_activity(member.activity_id, member.quantity)
            refunded.append(member)
        for member in _members(group, RESERVED):
            order = Order.get_by_id(member.order_id)
            if order.status == "pending_payment":
                cancel_order(order, SYSTEM, reason="group_failed")
        group = Group.get_by_id(group.id)
        merchant_plugins(group.merchant_id).hook.on_group_failed(group=group, members=refunded)
    return True


def expire(group_id: int) -> str:
    """The expiry task: succeed by simulation when the activity says so (always, or once the
    paid share of seats reaches the threshold), otherwise fail and refund. Idempotent."""
    group = Group.get_or_none(Group.id == group_id)
    if group is None or group.status != OPEN:
        return "nothing"
    activity = GroupActivity.get_by_id(group.activity_id)
    threshold = activity.success_threshold
    if activity.simulate_success or (threshold and group.paid * 100 >= threshold * group.size):
        return "succeeded" if succeed(group, simulated=True) else "nothing"
    return "failed" if fail(group) else "nothing"


def run_expire_task(task: Any) -> None:
    expire(int(task.payload["group_id"]))


# -- storefront badge ------------------------------------------------------------------------


def _running_by_product(merchant_id: int) -> dict[int, dict[str, Any]]:
    now = utcnow()
    out: dict[int, dict[str, Any]] = {}
    for activity in GroupActivity.select().where(
        (GroupActivity.merchant_id == merchant_id)
        & (GroupActivity.status == "active")
        & (GroupActivity.starts_at <= now)
        & (GroupActivity.ends_at > now)
    ):
        price = min(activity.prices.values())
        best = out.get(activity.product_id)
        if best is None or price < best["price"]:
            out[activity.product_id] = {
                "activity_id": activity.id,
                "badge": f"{activity.group_size}人团",
                "price": price,
            }
    return out


def product_badge(merchant_id: int, product_id: int) -> dict[str, Any] | None:
    """The best running activity of a product, for product cards. One query per merchant
    per request (a list page renders many cards)."""
    if has_request_context():
        memo = request.environ.setdefault("mallkit.groupbuy.badges", {})
        if merchant_id not in memo:
            memo[merchant_id] = _running_by_product(merchant_id)
        found = memo[merchant_id]
    else:
        found = _running_by_product(merchant_id)
    return found.get(product_id)


# -- reading and sharing ---------------------------------------------------------------------


def open_groups(activity: GroupActivity):
    """Joinable groups of an activity, the soonest to expire first."""
    return (
        Group.select()
        .where(
            (Group.activity == activity.id)
            & (Group.status == OPEN)
            & (Group.joined < Group.size)
            & (Group.expires_at > utcnow())
        )
        .order_by(Group.expires_at, Group.id)
    )


def get_group(merchant_id: int, group_id: int) -> Group:
    group = Group.get_or_none((Group.id == group_id) & (Group.merchant_id == merchant_id))
    if group is None:
        raise NotFound("no such group", code="group_not_found")
    return group


def member_of_order(merchant_id: int, order_id: int) -> Member | None:
    """The seat an order of this store holds in a group (None: no group order)."""
    return Member.get_or_none((Member.order_id == order_id) & (Member.merchant_id == merchant_id))


def share_for(group: Group, user_id: int) -> ShareLink:
    """The user's share link for a group they are in (one per group and member): a core
    share link of kind ``"group"``."""
    member = Member.select().where(
        (Member.group == group.id) & (Member.user_id == user_id) & Member.status.in_(HELD)
    )
    if not member.exists():
        raise NotFound("you are not in this group", code="not_a_member")
    return create_share(user_id, group.merchant_id, SHARE_KIND, group.id)


def get_share(merchant_id: int, code: Any) -> ShareLink:
    """A group share link of this store; 404 ``share_not_found`` otherwise."""
    share = core_get_share(code, merchant_id=merchant_id)
    if share.kind != SHARE_KIND:
        raise NotFound("no such share code", code="share_not_found")
    return share


def visible_members(group: Group) -> list[Member]:
    return list(
        Member.select()
        .where((Member.group == group.id) & Member.status.in_(HELD + (REFUNDED,)))
        .order_by(Member.id)
    )
