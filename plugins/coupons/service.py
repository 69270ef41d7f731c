"""Coupon rules: templates, issuing (claim, staff, new-user gift, codes), pricing, consumption.

Every limit that concurrent requests could break is a conditional update: issuing raises the
template's ``issued`` only while ``issued < total`` (the update also takes the template's row
lock, so the per-user and per-day counts that follow see every claim committed before it);
a coupon goes ``unused → used`` once, bound to one order.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from peewee import fn

from mallkit.core.plugin_api import (
    Adjustment,
    Conflict,
    Merchant,
    NotFound,
    OrderLine,
    Param,
    Prepared,
    Product,
    User,
    ValidationError,
    as_utc,
    category_lineage,
    database,
    foreign_catalog_ids,
    merchant_plugins,
    transaction,
    utcnow,
)
from mallkit.plugins.coupons.models import (
    EXPIRED,
    RULE_FIELDS,
    UNUSED,
    USED,
    CouponTemplate,
    RedeemCode,
    UserCoupon,
)

PLUGIN = "coupons"
EXPIRE_JOB = "coupons.expire"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


# -- templates -------------------------------------------------------------------------------


def _check_template(merchant_id: int, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    kind = data["type"]
    if kind in ("full_reduction", "no_threshold") and data.get("amount", 0) < 1:
        errors["amount"] = ["A reduction needs an amount of at least 1."]
    if kind == "full_reduction" and data.get("threshold", 0) <= data.get("amount", 0):
        errors["threshold"] = ["The threshold must be above the amount."]
    if kind == "no_threshold" and data.get("threshold", 0):
        errors["threshold"] = ["A no-threshold coupon has no threshold."]
    if kind == "discount" and not 1 <= data.get("rate", 100) <= 99:
        errors["rate"] = ["The rate is the percentage paid, 1 to 99."]
    if data.get("scope", "all") != "all" and not data.get("scope_ids"):
        errors["scope_ids"] = ["Name the products or categories of the scope."]
    elif data.get("scope", "all") != "all":
        kind = "categories" if data["scope"] == "categories" else "products"
        if foreign := foreign_catalog_ids(merchant_id, kind, data["scope_ids"]):
            errors["scope_ids"] = [f"Not this store's {kind}: {foreign[:10]}."]
    if data.get("validity", "fixed") == "fixed":
        if not data.get("ends_at"):
            errors["ends_at"] = ["Fixed validity needs an end."]
        elif data.get("starts_at") and data["starts_at"] >= data["ends_at"]:
            errors["ends_at"] = ["The end must come after the start."]
    elif data.get("valid_days", 0) < 1:
        errors["valid_days"] = ["Validity after claim needs at least one day."]
    if errors:
        raise ValidationError("the coupon template does not add up", errors=errors)


def create_template(merchant_id: int, data: dict[str, Any]) -> CouponTemplate:
    """Define a coupon template for the merchant."""
    data = {
        **data,
        "starts_at": as_utc(data.get("starts_at")),
        "ends_at": as_utc(data.get("ends_at")),
    }
    _check_template(merchant_id, data)
    return CouponTemplate.create(merchant_id=merchant_id, **data)


def get_template(merchant_id: int, template_id: int) -> CouponTemplate:
    """The merchant's template; anybody else's answers 404."""
    row = CouponTemplate.get_or_none(
        (CouponTemplate.id == template_id) & (CouponTemplate.merchant_id == merchant_id)
    )
    if row is None:
        raise NotFound("coupon template not found", code="coupon_template_not_found")
    return row


def update_template(merchant_id: int, template_id: int, changes: dict[str, Any]) -> CouponTemplate:
    """Change a template's name, status, listing flags or total (never below ``issued``).
    Coupons already issued keep their copied rules."""
    template = get_template(merchant_id, template_id)
    if not changes:
        return template
    with transaction():
        query = CouponTemplate.update(**changes).where(CouponTemplate.id == template.id)
        if "total" in changes:
            query = query.where(CouponTemplate.issued <= changes["total"])
        if not query.execute():
            raise ValidationError(
                "the total cannot go below what was issued",
                errors={"total": [f"At least {template.issued}."]},
            )
    return CouponTemplate.get_by_id(template.id)


def coupon_centre(merchant_id: int, product_id: int | None = None) -> list[CouponTemplate]:
    """Templates a buyer can claim now (those that could apply to ``product_id``, if given)."""
    now = utcnow()
    query = CouponTemplate.select().where(
        (CouponTemplate.merchant_id == merchant_id)
        & (CouponTemplate.status == "active")
        & (CouponTemplate.claimable == True)  # noqa: E712
        & (CouponTemplate.issued < CouponTemplate.total)
        & ((CouponTemplate.ends_at.is_null()) | (CouponTemplate.ends_at > now))
    )
    rows = list(query.order_by(CouponTemplate.id))
    if product_id is None:
        return rows

    product = Product.get_or_none((Product.id == product_id) & (Product.merchant == merchant_id))
    if product is None:
        raise NotFound("product not found", code="product_not_found")
    line = {"product_id": product.id, "category_id": product.category_id}
    lineage = category_lineage([product.category_id])
    return [t for t in rows if in_scope(_rules(t), line, lineage)]


# -- issuing ---------------------------------------------------------------------------------


def _rules(template: CouponTemplate) -> dict[str, Any]:
    return {name: getattr(template, name) for name in RULE_FIELDS}


def store_day(merchant_id: int, at: dt.datetime) -> str:
    """The store's calendar day (in the merchant's ``timezone``) of a naive-UTC instant,
    ``YYYY-MM-DD``: what the per-day claim limit counts."""
    tz = Merchant.select(Merchant.timezone).where(Merchant.id == merchant_id).scalar()
    return at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(tz or "UTC")).date().isoformat()


def _grant(
    template: CouponTemplate, user_id: int, channel: str, *, limits: bool = True
) -> UserCoupon:
    """Hand one coupon of ``template`` to a user. Call inside a transaction."""
    now = utcnow()
    if template.status != "active":
        raise Conflict("this coupon is no longer given out", code="coupon_stopped")
    if template.validity == "fixed" and template.ends_at <= now:
        raise Conflict("this coupon has expired", code="coupon_expired")
    taken = (
        CouponTemplate.update(issued=CouponTemplate.issued + 1)
        .where(
            (CouponTemplate.id == template.id)
            & (CouponTemplate.status == "active")
            & (CouponTemplate.issued < CouponTemplate.total)
        )
        .execute()
    )
    if not taken:
        raise Conflict("no coupons of this kind are left", code="coupon_exhausted")
    day = store_day(template.merchant_id, now)
    if limits and template.per_user:
        held = (
            UserCoupon.select()
            .where((UserCoupon.template == template.id) & (UserCoupon.user_id == user_id))
            .count()
        )
        if held >= template.per_user:
            raise Conflict("you already hold as many as allowed", code="coupon_limit_reached")
    if limits and template.per_day:
        today = (
            UserCoupon.select()
            .where(
                (UserCoupon.template == template.id)
                & (UserCoupon.user_id == user_id)
                & (UserCoupon.claimed_day == day)
            )
            .count()
        )
        if today >= template.per_day:
            raise Conflict("come back tomorrow for another", code="coupon_daily_limit_reached")
    if template.validity == "fixed":
        starts, ends = template.starts_at or now, template.ends_at
    else:
        starts, ends = now, now + dt.timedelta(days=template.valid_days)
    return UserCoupon.create(
        template=template.id,
        merchant_id=template.merchant_id,
        user_id=user_id,
        channel=channel,
        rules=_rules(template),
        starts_at=starts,
        ends_at=ends,
        claimed_at=now,
        claimed_day=day,
    )


def claim(merchant_id: int, template_id: int, user_id: int) -> UserCoupon:
    """A buyer claims a coupon from the coupon centre or a product page."""
    template = get_template(merchant_id, template_id)
    if not template.claimable or template.status != "active":
        raise NotFound("coupon template not found", code="coupon_template_not_found")
    with transaction():
        return _grant(template, user_id, "claim")


def grant(merchant_id: int, template_id: int, user_id: int, channel: str) -> UserCoupon:
    """Another plugin gives a buyer a coupon (``grant_coupon``: bought with points); the
    template's total and per-user limits hold, claimable or not. Inside the caller's
    transaction."""
    template = get_template(merchant_id, template_id)
    with transaction():
        return _grant(template, user_id, channel[:16])


def issue(merchant_id: int, template_id: int, user_ids: list[int]) -> list[UserCoupon]:
    """Staff hand one coupon to each user; all or nothing (the total still holds)."""

    template = get_template(merchant_id, template_id)
    wanted = sorted(set(user_ids))
    found = {u for (u,) in User.select(User.id).where(User.id.in_(wanted)).tuples()}
    if missing := [u for u in wanted if u not in found]:
        raise ValidationError("unknown users", errors={"user_ids": [str(u) for u in missing]})
    with transaction():
        return [_grant(template, u, "issue", limits=False) for u in wanted]


def issue_to_segment(merchant_id: int, template_id: int, segment_id: int) -> list[UserCoupon]:
    """One coupon to every buyer in a segment, as the plugin that keeps segments answers
    ``segment_members`` (membership); all or nothing."""
    merchant = Merchant.get_by_id(merchant_id)
    users = merchant_plugins(merchant_id).hook.segment_members(
        merchant=merchant, segment_id=segment_id
    )
    if users is None:
        raise ValidationError(
            "unknown segment",
            errors={"segment_id": ["Not a segment of this store (is membership on?)."]},
        )
    return issue(merchant_id, template_id, users) if users else []


def generate_codes(merchant_id: int, template_id: int, count: int) -> list[str]:
    """Bulk-generate single-use redeem codes; each becomes a coupon when redeemed."""
    template = get_template(merchant_id, template_id)
    codes = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(12)) for _ in range(count)]
    with transaction():
        RedeemCode.insert_many(
            [{"template": template.id, "code": c, "created_at": utcnow()} for c in codes]
        ).execute()
    return codes


def redeem(merchant_id: int, code: str, user_id: int) -> UserCoupon:
    """Turn a redeem code into a coupon, once."""
    code = code.strip().upper()
    row = (
        RedeemCode.select(RedeemCode, CouponTemplate)
        .join(CouponTemplate)
        .where((RedeemCode.code == code) & (CouponTemplate.merchant_id == merchant_id))
        .first()
    )
    if row is None:
        raise NotFound("no such code", code="redeem_code_not_found")
    with transaction():
        taken = (
            RedeemCode.update(used_by=user_id, used_at=utcnow())
            .where((RedeemCode.id == row.id) & RedeemCode.used_by.is_null())
            .execute()
        )
        if not taken:
            raise Conflict("this code has been used", code="redeem_code_used")
        return _grant(row.template, user_id, "code", limits=False)


def gift_new_user(user: Any) -> list[UserCoupon]:
    """New-user gifts of every merchant that has coupons enabled (exhausted ones skipped)."""
    out = []
    for template in CouponTemplate.select().where(
        (CouponTemplate.new_user_gift == True) & (CouponTemplate.status == "active")  # noqa: E712
    ):
        if not merchant_plugins(template.merchant_id).is_enabled(PLUGIN):
            continue
        try:
            with transaction():
                out.append(_grant(template, user.id, "gift", limits=False))
        except Conflict:
            continue
    return out


def my_coupons(user_id: int, status: str | None = None, merchant_id: int | None = None):
    """The user's coupons, soonest to expire first."""
    query = UserCoupon.select().where(UserCoupon.user_id == user_id)
    if status:
        query = query.where(UserCoupon.status == status)
    if merchant_id:
        query = query.where(UserCoupon.merchant_id == merchant_id)
    return query.order_by(UserCoupon.ends_at, UserCoupon.id)


# -- pricing ---------------------------------------------------------------------------------


def in_scope(
    rules: dict[str, Any], line: dict[str, Any], lineage: dict[int, tuple[int, ...]]
) -> bool:
    """Does the coupon cover this line? A category scope covers the categories' descendants:
    ``lineage`` is :func:`category_lineage` of the lines' categories."""
    ids = set(rules.get("scope_ids") or ())
    scope = rules.get("scope", "all")
    if scope == "products":
        return line["product_id"] in ids
    if scope == "categories":
        category = line.get("category_id")
        return category is not None and not ids.isdisjoint(lineage.get(category, (category,)))
    if scope == "except":
        return line["product_id"] not in ids
    return True


def evaluate(
    rules: dict[str, Any], lines: list[dict[str, Any]], lineage: dict[int, tuple[int, ...]]
) -> tuple[int, list[str], str]:
    """``(saving, line keys, reason)`` of one coupon's rules over priced lines; a reason means
    the coupon cannot be used. The threshold is not checked here: the coupon is proposed with
    it and the core compares it with its lines' amounts after 满减 (``Adjustment.threshold``)."""
    keys = [line["key"] for line in lines if in_scope(rules, line, lineage)]
    if not keys:
        scope = rules.get("scope")
        return 0, [], "not for this category" if scope == "categories" else "not for these items"
    base = sum(line["amount"] for line in lines if line["key"] in keys)
    if rules["type"] == "discount":
        saving = base * (100 - rules["rate"]) // 100
        if rules.get("cap"):
            saving = min(saving, rules["cap"])
    else:
        saving = min(rules["amount"], base)
    return saving, keys, "" if saving > 0 else "nothing to discount"


def _offered(
    buyer_id: int,
    merchant_id: int,
    now: Any,
    columns: tuple[str, list[Any]],
    usable_only: bool,
) -> tuple[str, list[Any]]:
    """SQL and parameters for the coupons offered when the buyer has not chosen: per
    template, the usable one expiring soonest — else the first unexpired one (not valid yet:
    a fixed window that has not opened; a template's coupons share its window, or start at
    their claim) — and the first expired one (not yet swept by the daily job). Coupons of a
    template are alike, so one of each is all pricing needs. ``usable_only`` (placing an
    order, where an unusable coupon changes nothing): the usable ones only.

    Found through the partial index ``user_coupon_unused`` — ``(user_id, merchant_id,
    template_id, ends_at, id)`` of the unused coupons — without reading the buyer's others:
    the templates by a skip scan (a recursive ``MIN(template_id) … > previous``), then
    ``LIMIT 1`` lookups per template. A buyer holding thousands of coupons of one template
    costs what one coupon costs."""
    p = database.param
    # ``status`` as a literal: the index is partial, and a planner uses it only for a query
    # whose condition it can see implies the index's (a parameter would hide it).
    mine_sql = f"user_id = {p} AND merchant_id = {p} AND status = '{UNUSED}'"
    mine = [buyer_id, merchant_id]
    first = f"SELECT id FROM user_coupon WHERE {mine_sql} AND template_id = tid AND ends_at"
    order = "ORDER BY ends_at, id LIMIT 1"
    usable = f"({first} > {p} AND starts_at <= {p} {order})"
    held = (
        f"WITH RECURSIVE held(tid) AS (SELECT MIN(template_id) FROM user_coupon"
        f" WHERE {mine_sql} UNION ALL SELECT (SELECT MIN(template_id) FROM user_coupon"
        f" WHERE {mine_sql} AND template_id > tid) FROM held WHERE tid IS NOT NULL)"
    )
    if usable_only:
        picks = f"SELECT {usable} FROM held WHERE tid IS NOT NULL"
        picks_params = [*mine, now, now]
    else:
        picks = (
            f"SELECT COALESCE({usable}, ({first} > {p} {order})) FROM held"
            f" WHERE tid IS NOT NULL UNION ALL SELECT ({first} <= {p} {order}) FROM held"
            f" WHERE tid IS NOT NULL"
        )
        picks_params = [*mine, now, now, *mine, now, *mine, now]
    selected, selected_params = columns
    sql = f"{held} SELECT {selected} FROM user_coupon WHERE id IN ({picks}) ORDER BY ends_at, id"
    return sql, [*mine, *mine, *selected_params, *picks_params]  # in the order of the SQL


# A coupon's rules as stored (JSON text, copied from its template) → parsed; a buyer's coupons
# of one template share the text, and every pricing reads them. The dicts are shared: nothing
# changes the rules it is given.
_PARSED_RULES: dict[str, dict[str, Any]] = {}
_PARSED_RULES_LIMIT = 4096


def _parsed_rules(text: str) -> dict[str, Any]:
    found = _PARSED_RULES.get(text)
    if found is None:
        if len(_PARSED_RULES) >= _PARSED_RULES_LIMIT:
            _PARSED_RULES.clear()
        found = _PARSED_RULES[text] = UserCoupon.rules.python_value(text)
    return found


def propose(
    merchant_id: int, buyer_id: int, lines: list[dict[str, Any]], context: dict[str, Any]
) -> list[Adjustment]:
    """The buyer's unused coupons at this merchant, usable (with the saving) or not (with
    the reason). With no choice in ``context["coupon_ids"]`` the usable ones are offered in one
    stacking group, so the core applies the best — the biggest saving whose threshold the
    lines still reach after 满减 (a coupon falling short takes no group, so the next one in
    the core's order applies); coupons of one template are alike, so only the one expiring
    soonest is offered per template and state. With a choice: only those."""
    config = merchant_plugins(merchant_id).config(PLUGIN)
    one_per_order = config.get("one_per_order", True)
    chosen = [int(c) for c in context.get("coupon_ids") or () if str(c).isdigit()]
    now = utcnow()
    p = database.param
    # The state in SQL: no date of a row is parsed in Python.
    columns = (
        f"id, template_id, CASE WHEN ends_at <= {p} THEN 'expired'"
        f" WHEN starts_at > {p} THEN 'not valid yet' ELSE '' END, rules",
        [now, now],
    )
    mine = f"user_id = {p} AND merchant_id = {p} AND status = {p}"
    if chosen:
        sql = f"SELECT {columns[0]} FROM user_coupon"
        sql += f" WHERE id IN ({', '.join([p] * len(chosen))}) AND {mine} ORDER BY ends_at, id"
        params: list[Any] = [*columns[1], *chosen, buyer_id, merchant_id, UNUSED]
    else:
        usable_only = not context.get("preview", True)
        sql, params = _offered(buyer_id, merchant_id, now, columns, usable_only)
    # Plain SQL, rows as the driver gives them: this runs in every pricing of every cart, and
    # peewee's query building and row wrapping cost more than the query (bench/promotions.py).
    rows = [(c, t, state, _parsed_rules(r)) for c, t, state, r in database.execute_sql(sql, params)]
    lineage = (
        category_lineage(line.get("category_id") for line in lines)
        if any(rules.get("scope") == "categories" for *_, rules in rows)
        else {}
    )
    out = []
    for coupon_id, template_id, state, rules in rows:
        saving, keys, reason = (0, [], state) if state else evaluate(rules, lines, lineage)
        group = "coupon" if one_per_order or not chosen else f"coupon:{coupon_id}"
        out.append(
            Adjustment(
                source=PLUGIN,
                kind="coupon",
                amount=-saving,
                label=rules.get("name", ""),
                line_keys=tuple(keys),
                stacking=group,
                usable=not reason,
                reason=reason,
                data={
                    "user_coupon_id": coupon_id,
                    "template_id": template_id,
                    "type": rules.get("type"),
                },
                threshold=rules.get("threshold", 0),
            )
        )
    return out


def check_choice(order: dict[str, Any]) -> None:
    """Refuse a checkout whose chosen coupon did not apply (it would silently cost more)."""
    chosen = (order.get("options") or {}).get("coupon_ids") or []
    if chosen and not any(line.get("coupon_discount") for line in order["lines"]):
        raise Conflict(
            "the chosen coupon cannot be used on this order",
            code="coupon_unusable",
            errors={"coupon_ids": [str(c) for c in chosen]},
        )


# On every checkout with a coupon: built once.
_CONSUME = Prepared(
    lambda: UserCoupon.update(
        status=USED,
        order_id=Param("order"),
        used_at=Param("now", UserCoupon.used_at),
        order_total=Param("total"),
    ).where(
        (UserCoupon.id == Param("coupon"))
        & (UserCoupon.user_id == Param("user"))
        & (UserCoupon.status == UNUSED)
        & (UserCoupon.ends_at > Param("now", UserCoupon.ends_at))
    )
)


def consume(order: Any, buyer_id: int) -> None:
    """Mark the order's applied coupons used — each exactly once. A coupon used by another
    order meanwhile refuses this checkout (and everything it wrote)."""
    now = utcnow()
    for applied in (order.pricing or {}).get("applied", []):
        if applied.get("source") != PLUGIN:
            continue
        coupon_id = applied.get("data", {}).get("user_coupon_id")
        taken = _CONSUME.execute(
            {
                "order": order.id,
                "now": now,
                "total": order.total,
                "coupon": coupon_id,
                "user": buyer_id,
            }
        ).rowcount
        if not taken:
            raise Conflict(
                "this coupon has just been used or has expired",
                code="coupon_unavailable",
                errors={"coupon_ids": [str(coupon_id)]},
            )


def give_back(order: Any) -> int:
    """Return the order's coupons (an expired one comes back expired)."""
    now = utcnow()
    back = (
        UserCoupon.update(status=UNUSED, order_id=None, used_at=None, order_total=0)
        .where((UserCoupon.order_id == order.id) & (UserCoupon.status == USED))
        .execute()
    )
    expire_due(now, merchant_id=order.merchant_id)
    return back


def on_state_changed(order: Any, source: str, target: str) -> None:
    """Cancelled before payment: the coupon returns. Fully refunded (closed): only when the
    merchant allows it."""
    if target == "cancelled" and source == "pending_payment":
        give_back(order)
    elif target == "closed":
        if merchant_plugins(order.merchant_id).config(PLUGIN).get("return_on_full_refund"):
            give_back(order)


def after_aftersale(order: Any, refund: Any) -> int:
    """An after-sale case was refunded (the aftersales plugin's ``on_aftersale_completed``):
    with ``return_on_aftersale``, the order's coupons come back once every line they
    discounted is refunded in full. Returns how many came back."""
    if refund is None or not merchant_plugins(order.merchant_id).config(PLUGIN).get(
        "return_on_aftersale"
    ):
        return 0
    discounted = OrderLine.select().where(
        (OrderLine.order == order.id) & (OrderLine.coupon_discount > 0)
    )
    if (
        not discounted.exists()
        or discounted.where(OrderLine.refunded_quantity < OrderLine.quantity).exists()
    ):
        return 0
    return give_back(order)


# -- expiry and statistics -------------------------------------------------------------------


def expire_due(now: dt.datetime, merchant_id: int | None = None) -> int:
    """Unused coupons whose validity ended by ``now`` become expired."""
    query = UserCoupon.update(status=EXPIRED).where(
        (UserCoupon.status == UNUSED) & (UserCoupon.ends_at <= now)
    )
    if merchant_id is not None:
        query = query.where(UserCoupon.merchant_id == merchant_id)
    return query.execute()


def run_expiry(task: Any) -> None:
    """The daily job (the store's midnight): expire what ended by now — or by the task's due
    time when a worker runs it ahead of the clock, as tests do."""
    expire_due(max(task.run_at, utcnow()), merchant_id=task.merchant_id)


def stats(merchant_id: int, template_id: int) -> dict[str, int]:
    """Issued, claimed, used, orders and sales driven (order totals) for one template."""
    template = get_template(merchant_id, template_id)
    mine = UserCoupon.template == template.id
    used = mine & (UserCoupon.status == USED)
    claimed = UserCoupon.select().where(mine & (UserCoupon.channel == "claim")).count()
    used_count, orders, sales = (
        UserCoupon.select(
            fn.COUNT(UserCoupon.id),
            fn.COUNT(UserCoupon.order_id.distinct()),
            fn.COALESCE(fn.SUM(UserCoupon.order_total), 0),
        )
        .where(used)
        .tuples()
        .first()
    )
    return {
        "template_id": template.id,
        "issued": template.issued,
        "claimed": claimed,
        "used": used_count,
        "orders": orders,
        "sales": int(sales),
    }
