"""Bargain rules: the cut algorithm, starting, helping, buying, expiry and share codes.

A help is a compare-and-set on the bargain's help count (``helps = k - 1`` → ``k``) that moves
the price by the k-th cut, so concurrent helps never over-cut: each cut is computed from the
state it replaces. Limits are unique indexes over numbered slots (a user's n-th help on a
bargain, n-th help of the day, n-th bargain), so two racing requests cannot both take the
last one.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

import peewee as pw

from mallkit.core.plugin_api import (
    Conflict,
    NotFound,
    Order,
    PriceCandidate,
    Product,
    ShareLink,
    Sku,
    ValidationError,
    create_share,
    merchant_plugins,
    schedule_task,
    transaction,
    utcnow,
)
from mallkit.core.plugin_api import get_share as core_get_share
from mallkit.plugins.bargain.models import (
    ACTIVE,
    BOUGHT,
    EXPIRED,
    ORDERED,
    Bargain,
    BargainActivity,
    Help,
)

PLUGIN = "bargain"
ACTIVITY_TYPE = "bargain"
SHARE_KIND = "bargain"  # a bargain's share links are core share links of this kind
EXPIRE = "bargain.expire"


# -- the cut algorithm -----------------------------------------------------------------------


def cut_amount(seed: str, k: int, remaining: int, helpers_left: int) -> int:
    """The k-th cut (1-based) when ``remaining`` (minor units above the floor) is left and
    ``helpers_left`` helpers (this one included) will bring it to the floor.

    docs/rules.md: keep 1 fen back for every helper after this one, cut a random 20–80 % of what
    is left above that (at least 1 fen), the last helper takes the exact remainder. The
    random draw depends on the bargain's seed and k only, so a bargain can be replayed.
    Needs ``remaining >= helpers_left``, which every cut preserves.
    """
    if helpers_left <= 1:
        return remaining
    spare = remaining - (helpers_left - 1)
    percent = random.Random(f"{seed}:{k}").randint(20, 80)
    return max(1, spare * percent // 100)


def plan(seed: str, start: int, floor: int, helpers: int) -> list[int]:
    """Every cut of a bargain from start to floor, in order (for tests and previews)."""
    cuts, price = [], start
    for k in range(1, helpers + 1):
        cut = cut_amount(seed, k, price - floor, helpers - k + 1)
        cuts.append(cut)
        price -= cut
    return cuts


# -- activities ------------------------------------------------------------------------------


def create_activity(merchant_id: int, data: dict[str, Any]) -> BargainActivity:
    """Create an activity for one SKU of the store; the start price is at most the SKU's
    price and the floor leaves at least 1 fen per helper."""
    sku = (
        Sku.select(Sku)
        .join(Product)
        .where((Sku.id == data["sku_id"]) & (Product.merchant == merchant_id))
        .first()
    )
    errors: dict[str, list[str]] = {}
    if sku is None:
        errors["sku_id"] = ["Not a SKU of this store."]
    elif data["start_price"] > sku.price:
        errors["start_price"] = [f"At most the SKU's price {sku.price}."]
    if data["start_price"] - data["floor_price"] < data["helpers_needed"]:
        errors["floor_price"] = ["At least 1 fen of cut per helper below the start price."]
    if data["ends_at"] <= data["starts_at"]:
        errors["ends_at"] = ["After starts_at."]
    if errors:
        raise ValidationError("the activity is not valid", errors=errors)
    return BargainActivity.create(merchant_id=merchant_id, product_id=sku.product_id, **data)


def get_activity(merchant_id: int, activity_id: int) -> BargainActivity:
    activity = BargainActivity.get_or_none(
        (BargainActivity.id == activity_id) & (BargainActivity.merchant_id == merchant_id)
    )
    if activity is None:
        raise NotFound("no such bargain activity", code="activity_not_found")
    return activity


def close_activity(activity: BargainActivity) -> BargainActivity:
    """Stop new bargains; running ones keep their validity."""
    BargainActivity.update(status="closed").where(BargainActivity.id == activity.id).execute()
    return BargainActivity.get_by_id(activity.id)


def is_running(activity: BargainActivity) -> bool:
    now = utcnow()
    return activity.status == "active" and activity.starts_at <= now < activity.ends_at


# -- starting and helping --------------------------------------------------------------------


def start(activity: BargainActivity, user_id: int) -> Bargain:
    """Start a bargain at the start price; its expiry task is written with it."""
    if not is_running(activity):
        raise Conflict("the bargain activity is not running", code="activity_not_running")
    slot = (
        Bargain.select()
        .where((Bargain.activity == activity.id) & (Bargain.user_id == user_id))
        .count()
    )
    if slot >= activity.bargains_per_user:
        raise Conflict(
            f"at most {activity.bargains_per_user} bargains per buyer", code="bargain_limit"
        )
    expires = utcnow() + dt.timedelta(minutes=activity.validity_minutes)
    try:
        with transaction():
            bargain = Bargain.create(
                merchant_id=activity.merchant_id,
                activity=activity.id,
                user_id=user_id,
                slot=slot,
                sku_id=activity.sku_id,
                start_price=activity.start_price,
                floor_price=activity.floor_price,
                current_price=activity.start_price,
                helpers_needed=activity.helpers_needed,
                seed=secrets.token_hex(8),
                expires_at=expires,
            )
            schedule_task(
                EXPIRE,
                run_at=expires,
                payload={"bargain_id": bargain.id},
                merchant_id=activity.merchant_id,
                dedupe_key=f"{EXPIRE}:{bargain.id}",
            )
    except pw.IntegrityError:
        raise Conflict(
            f"at most {activity.bargains_per_user} bargains per buyer", code="bargain_limit"
        ) from None
    return bargain


def get_bargain(merchant_id: int, bargain_id: int) -> Bargain:
    bargain = Bargain.get_or_none((Bargain.id == bargain_id) & (Bargain.merchant_id == merchant_id))
    if bargain is None:
        raise NotFound("no such bargain", code="bargain_not_found")
    return bargain


def _share_of(bargain: Bargain, code: str | None) -> ShareLink | None:
    if code is None:
        return None
    try:
        share = get_share(bargain.merchant_id, code)
    except NotFound:
        share = None
    if share is None or share.target_id != bargain.id:
        raise ValidationError(
            "unknown share code", code="invalid_share", errors={"share": ["Unknown share code."]}
        )
    return share


def help_cut(bargain_id: int, helper_id: int, *, share: str | None = None) -> Help:
    """Cut the bargain's price once for ``helper_id``. Refuses (409) when the bargain is not
    active, expired or complete, when the helper is its initiator (unless allowed) and when
    a help limit is reached; a lost race is retried on the new state."""
    bargain = Bargain.get_by_id(bargain_id)
    activity = BargainActivity.get_by_id(bargain.activity_id)
    used_share = _share_of(bargain, share)
    if helper_id == bargain.user_id and not activity.initiator_may_cut:
        raise Conflict("you cannot cut your own bargain", code="own_bargain")
    inviter = used_share.sharer_id if used_share and used_share.sharer_id != helper_id else None
    # Every lost compare-and-set means another help landed, so helpers_needed + 1 tries
    # always end in a help or a refusal.
    for _ in range(bargain.helpers_needed + 1):
        now = utcnow()
        if bargain.status != ACTIVE or bargain.expires_at <= now:
            raise Conflict("the bargain is over", code="bargain_closed")
        if bargain.helps >= bargain.helpers_needed:
            raise Conflict("the bargain has reached its floor", code="bargain_complete")
        user_slot = (
            Help.select()
            .where((Help.bargain == bargain.id) & (Help.helper_id == helper_id))
            .count()
        )
        if user_slot >= activity.helps_per_user:
            raise Conflict("you already helped this bargain", code="help_limit")
        day = now.date().isoformat()
        day_slot = None
        if activity.helps_per_day:
            day_slot = (
                Help.select()
                .where(
                    (Help.activity_id == activity.id)
                    & (Help.helper_id == helper_id)
                    & (Help.day == day)
                )
                .count()
            )
            if day_slot >= activity.helps_per_day:
                raise Conflict("no helps left for you today", code="daily_help_limit")
        k = bargain.helps + 1
        amount = cut_amount(
            bargain.seed,
            k,
            bargain.current_price - bargain.floor_price,
            bargain.helpers_needed - bargain.helps,
        )
        price = bargain.current_price - amount
        with transaction():
            won = (
                Bargain.update(
                    current_price=price,
                    helps=k,
                    reached_at=now if k == bargain.helpers_needed else None,
                )
                .where(
                    (Bargain.id == bargain.id)
                    & (Bargain.helps == bargain.helps)
                    & (Bargain.status == ACTIVE)
                    & (Bargain.expires_at > now)
                )
                .execute()
            )
            if won:
                try:
                    with transaction():
                        help_ = Help.create(
                            bargain=bargain.id,
                            merchant_id=bargain.merchant_id,
                            activity_id=activity.id,
                            helper_id=helper_id,
                            inviter_id=inviter,
                            share_code=used_share.code if used_share else None,
                            seq=k,
                            amount=amount,
                            price_after=price,
                            user_slot=user_slot,
                            day=day,
                            day_slot=day_slot,
                        )
                except pw.IntegrityError:
                    # The same helper's other request took the slot: the whole help rolls back.
                    raise Conflict("you already helped", code="help_limit") from None
                if k == bargain.helpers_needed:
                    merchant_plugins(bargain.merchant_id).hook.on_bargain_finished(
                        bargain=Bargain.get_by_id(bargain.id)
                    )
                return help_
        bargain = Bargain.get_by_id(bargain.id)
    raise Conflict("the bargain is busy; try again", code="bargain_busy")


# -- buying ----------------------------------------------------------------------------------


def _activity_of(line: dict[str, Any]) -> dict[str, Any] | None:
    activity = line.get("activity")
    if isinstance(activity, dict) and activity.get("type") == ACTIVITY_TYPE:
        return activity
    return None


def _bargain_for(merchant_id: int, buyer_id: int, spec: dict[str, Any]) -> Bargain:
    params = spec.get("params") or {}
    bargain_id = params.get("bargain_id")
    if isinstance(bargain_id, bool) or not isinstance(bargain_id, int) or bargain_id < 1:
        raise ValidationError(
            "bargain_id must be a positive integer",
            code="invalid_activity",
            errors={"activity.params.bargain_id": ["A positive integer."]},
        )
    bargain = Bargain.get_or_none(
        (Bargain.id == bargain_id)
        & (Bargain.merchant_id == merchant_id)
        & (Bargain.user_id == buyer_id)
        & (Bargain.activity == spec.get("id"))
    )
    if bargain is None:
        raise NotFound("no such bargain of yours", code="bargain_not_found")
    return bargain


def unit_prices(merchant: Any, buyer: Any, lines: list[dict[str, Any]]) -> list[PriceCandidate]:
    """The bargain's current price for a line buying the buyer's own active bargain."""
    out = []
    for line in lines:
        spec = _activity_of(line)
        if spec is None or buyer is None:
            continue
        try:
            bargain = _bargain_for(merchant.id, buyer.id, spec)
        except (ValidationError, NotFound):
            continue  # validate_checkout says why
        if bargain.status != ACTIVE or bargain.sku_id != line["sku_id"]:
            continue
        activity = BargainActivity.get_by_id(bargain.activity_id)
        out.append(
            PriceCandidate(
                line_key=line["key"],
                unit_price=bargain.current_price,
                source=PLUGIN,
                kind="activity",
                label="砍价",
                data={} if activity.allow_discounts else {"exclusive": True},
            )
        )
    return out


def validate(merchant: Any, buyer: Any, draft: dict[str, Any]) -> None:
    """Refuse buying a bargain the rules forbid: one line of one unit, the buyer's own
    active bargain for that SKU, at the floor when the activity says so, at its price now."""
    lines = [ln for ln in draft["lines"] if _activity_of(ln)]
    if not lines:
        return
    if len(draft["lines"]) != 1 or lines[0]["quantity"] != 1:
        raise Conflict(
            "a bargain is bought alone, one unit",
            code="bargain_order_single_line",
            errors={"items": ["One unit of the bargain item, on its own."]},
        )
    line = lines[0]
    bargain = _bargain_for(merchant.id, buyer.id, line["activity"])
    _check_buyable(bargain, line)


def _check_buyable(bargain: Bargain, line: dict[str, Any]) -> None:
    if bargain.status == ORDERED or bargain.status == BOUGHT:
        raise Conflict("this bargain already has an order", code="bargain_already_ordered")
    if bargain.status != ACTIVE or bargain.expires_at <= utcnow():
        raise Conflict("the bargain has expired", code="bargain_expired")
    if bargain.sku_id != line["sku_id"]:
        raise Conflict("the bargain is for another SKU", code="not_in_activity")
    activity = BargainActivity.get_by_id(bargain.activity_id)
    if activity.floor_only and bargain.current_price > bargain.floor_price:
        raise Conflict(
            "the bargain has not reached its floor price yet",
            code="bargain_not_at_floor",
            errors={"helps": [f"{bargain.helpers_needed - bargain.helps} more helps needed."]},
        )
    if line["sale_unit_price"] != bargain.current_price:
        raise Conflict("the bargain price changed; check out again", code="bargain_price_changed")


def bind_order(merchant: Any, buyer: Any, order: Order, lines: list[dict[str, Any]]) -> None:
    """Inside the checkout transaction: the bargain takes this order, once."""
    line = next((ln for ln in lines if _activity_of(ln)), None)
    if line is None:
        return
    bargain = _bargain_for(merchant.id, buyer.id, line["activity"])
    _check_buyable(bargain, line)
    won = (
        Bargain.update(status=ORDERED, order_id=order.id)
        .where(
            (Bargain.id == bargain.id)
            & (Bargain.status == ACTIVE)
            & Bargain.order_id.is_null()
            & (Bargain.current_price == line["sale_unit_price"])
            & (Bargain.expires_at > utcnow())
        )
        .execute()
    )
    if not won:
        raise Conflict("this bargain already has an order", code="bargain_already_ordered")


def on_state_changed(order: Order, source: str, target: str) -> None:
    """Paid: the bargain is bought. Cancelled unpaid: the bargain is free to buy again
    (or expired, if its validity ran out meanwhile)."""
    if (source, target) == ("pending_payment", "paid"):
        Bargain.update(status=BOUGHT).where(
            (Bargain.order_id == order.id) & (Bargain.status == ORDERED)
        ).execute()
    elif target == "cancelled":
        now = utcnow()
        Bargain.update(
            status=pw.Case(None, [(Bargain.expires_at > now, ACTIVE)], EXPIRED), order_id=None
        ).where((Bargain.order_id == order.id) & (Bargain.status == ORDERED)).execute()


# -- expiry ----------------------------------------------------------------------------------


def expire(bargain_id: int) -> bool:
    """The expiry task: an active bargain (not ordered) expires. Idempotent."""
    return bool(
        Bargain.update(status=EXPIRED)
        .where((Bargain.id == bargain_id) & (Bargain.status == ACTIVE))
        .execute()
    )


def run_expire_task(task: Any) -> None:
    expire(int(task.payload["bargain_id"]))


# -- sharing ---------------------------------------------------------------------------------


def share_for(bargain: Bargain, user_id: int) -> ShareLink:
    """The share link of the bargain's initiator or one of its helpers (one per person): a
    core share link of kind ``"bargain"``."""
    helped = Help.select().where((Help.bargain == bargain.id) & (Help.helper_id == user_id))
    if user_id != bargain.user_id and not helped.exists():
        raise NotFound("only the initiator and helpers share a bargain", code="not_a_participant")
    return create_share(user_id, bargain.merchant_id, SHARE_KIND, bargain.id)


def get_share(merchant_id: int, code: Any) -> ShareLink:
    """A bargain share link of this store; 404 ``share_not_found`` otherwise."""
    share = core_get_share(code, merchant_id=merchant_id)
    if share.kind != SHARE_KIND:
        raise NotFound("no such share code", code="share_not_found")
    return share


def helps_of(bargain: Bargain) -> list[Help]:
    return list(Help.select().where(Help.bargain == bargain.id).order_by(Help.seq))
