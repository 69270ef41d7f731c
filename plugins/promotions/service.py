"""Promotion rules: definitions, the pricing proposals, and the limits of 限时折扣.

限时折扣 is a ``discount`` price candidate (the core keeps the better of it and a member
price); 满减/满折, 买N送M and bundles are ``promotion`` adjustments the core applies before
coupons and apportions over the lines they cover. Whether 满减/满折 combines with a coupon is
the merchant's ``stack_with_coupons`` setting: when off, they share the coupons' stacking
group, so whichever the core applies first (the promotion) keeps the coupon off.

A limited discount's stock cap and per-user limit are checked when pricing (the price is not
offered once exhausted) and enforced when the order is placed with a conditional update of
the promotion's ``sold`` — which also takes the promotion's row lock, so the per-user sum that
follows sees every order committed before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from peewee import fn

from mallkit.core.plugin_api import (
    Adjustment,
    Conflict,
    Merchant,
    Money,
    NotFound,
    Param,
    Prepared,
    PriceCandidate,
    Product,
    Sku,
    ValidationError,
    as_utc,
    foreign_catalog_ids,
    forget_merchant_plugins,
    instance,
    merchant_plugins,
    transaction,
    utcnow,
)
from mallkit.plugins.promotions.models import Promotion, PromotionUsage

PLUGIN = "promotions"
SOURCE_PREFIX = "promotions:"
LIMITED = ":limited"


def yuan(fen: int) -> str:
    """``1200`` → ``"¥12.00"``, ``123456`` → ``"¥1,234.56"`` (``Money.text``: no float)."""
    return Money(fen).text()


# -- definitions -----------------------------------------------------------------------------


def _int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_rules(kind: str, rules: dict[str, Any]) -> list[str]:
    if kind == "discount":
        if ("rate" in rules) == ("price" in rules) or set(rules) - {"rate", "price"}:
            return ["Give either rate (percentage paid, 1-99) or price."]
        if "rate" in rules and not _int(rules["rate"], 1, 99):
            return ["rate is the percentage paid, 1 to 99."]
        if "price" in rules and not _int(rules["price"], 0, 100_000_000):
            return ["price is a unit price in fen."]
    elif kind in ("full_reduction", "full_discount"):
        tiers = rules.get("tiers")
        key = "amount" if kind == "full_reduction" else "rate"
        if set(rules) != {"tiers"} or not isinstance(tiers, list) or not 1 <= len(tiers) <= 10:
            return [f"Give tiers: 1 to 10 of {{threshold, {key}}}."]
        last = -1
        for tier in tiers:
            if not isinstance(tier, dict) or set(tier) != {"threshold", key}:
                return [f"Each tier is {{threshold, {key}}}."]
            if not _int(tier["threshold"], 1, 100_000_000) or tier["threshold"] <= last:
                return ["Thresholds are positive and rising."]
            last = tier["threshold"]
            if key == "amount" and not _int(tier["amount"], 1, tier["threshold"] - 1):
                return ["An amount is positive and below its threshold."]
            if key == "rate" and not _int(tier["rate"], 1, 99):
                return ["A rate is the percentage paid, 1 to 99."]
    elif kind == "buy_n_get_m":
        if set(rules) != {"buy", "free"} or not (
            _int(rules["buy"], 1, 100) and _int(rules["free"], 1, 100)
        ):
            return ["Give buy and free, 1 to 100 each."]
    elif kind == "bundle":
        ids = rules.get("sku_ids")
        if (
            set(rules) != {"sku_ids", "price"}
            or not isinstance(ids, list)
            or not 2 <= len(set(ids)) == len(ids) <= 20
            or not all(_int(i, 1, 2**31 - 1) for i in ids)
            or not _int(rules["price"], 1, 100_000_000)
        ):
            return ["Give sku_ids (2 to 20 distinct) and a price."]
    elif kind == "gift":
        if set(rules) != {"threshold", "sku_id", "quantity"} or not (
            _int(rules["threshold"], 1, 100_000_000)
            and _int(rules["sku_id"], 1, 2**31 - 1)
            and _int(rules["quantity"], 1, 100)
        ):
            return ["Give threshold, sku_id and quantity (1 to 100)."]
    return []


def _check(merchant_id: int, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if problems := _check_rules(data["type"], data.get("rules") or {}):
        errors["rules"] = problems
    if data["starts_at"] >= data["ends_at"]:
        errors["ends_at"] = ["The end must come after the start."]
    if data.get("scope", "all") != "all" and not data.get("scope_ids"):
        errors["scope_ids"] = ["Name the products, SKUs or categories of the scope."]
    elif data.get("scope", "all") != "all":
        kind = {"skus": "skus", "categories": "categories"}.get(data["scope"], "products")
        if foreign := foreign_catalog_ids(merchant_id, kind, data["scope_ids"]):
            errors["scope_ids"] = [f"Not this store's {kind}: {foreign[:10]}."]
    if data["type"] != "discount" and (data.get("stock") or data.get("per_user")):
        errors["stock"] = ["Only a time-limited discount has its own stock and per-user limit."]
    if not errors and data["type"] in ("bundle", "gift"):
        rules = data["rules"]
        ids = rules["sku_ids"] if data["type"] == "bundle" else [rules["sku_id"]]
        mine = (
            Sku.select()
            .join(Product)
            .where(Sku.id.in_(ids) & (Product.merchant == merchant_id))
            .count()
        )
        if mine != len(ids):
            errors["rules"] = ["Every SKU is one of this store's."]
    if data.get("segment_id") is not None:
        merchant = Merchant.get_by_id(merchant_id)
        known = merchant_plugins(merchant_id).hook.segment_members(
            merchant=merchant, segment_id=data["segment_id"]
        )
        if known is None:
            errors["segment_id"] = ["Not a segment of this store (is membership on?)."]
    if errors:
        raise ValidationError("the promotion does not add up", errors=errors)


def _zhe(rate: int) -> str:
    """85 → "8.5折", 80 → "8折"."""
    return f"{rate // 10}.{rate % 10}折" if rate % 10 else f"{rate // 10}折"


def create(merchant_id: int, data: dict[str, Any]) -> Promotion:
    """Define a promotion."""
    data = {**data, "starts_at": as_utc(data["starts_at"]), "ends_at": as_utc(data["ends_at"])}
    _check(merchant_id, data)
    created = Promotion.create(merchant_id=merchant_id, **data)
    forget_merchant_plugins(merchant_id)  # the trigger moved the store's version: re-read it
    return created


def get(merchant_id: int, promotion_id: int) -> Promotion:
    """The merchant's promotion; anybody else's answers 404."""
    row = Promotion.get_or_none(
        (Promotion.id == promotion_id) & (Promotion.merchant_id == merchant_id)
    )
    if row is None:
        raise NotFound("promotion not found", code="promotion_not_found")
    return row


def update(merchant_id: int, promotion_id: int, changes: dict[str, Any]) -> Promotion:
    """Change a promotion; the whole result is checked again before it is saved."""
    promotion = get(merchant_id, promotion_id)
    if not changes:
        return promotion
    for key in ("starts_at", "ends_at"):
        if key in changes:
            changes[key] = as_utc(changes[key])
    merged = {
        name: changes.get(name, getattr(promotion, name))
        for name in ("type", "rules", "starts_at", "ends_at", "scope", "scope_ids")
    }
    merged["stock"] = changes.get("stock", promotion.stock)
    merged["per_user"] = changes.get("per_user", promotion.per_user)
    merged["segment_id"] = changes.get("segment_id", promotion.segment_id)
    _check(merchant_id, merged)
    with transaction():
        Promotion.update(**changes).where(Promotion.id == promotion.id).execute()
    forget_merchant_plugins(merchant_id)  # the trigger moved the store's version: re-read it
    return Promotion.get_by_id(promotion.id)


_FIELDS = tuple(Promotion._meta.sorted_fields)
# Every active promotion of the store not ended yet (future ones too), highest priority first.
_UNENDED = Prepared(
    lambda: (
        Promotion.select(*_FIELDS)
        .where(
            (Promotion.merchant_id == Param("merchant"))
            & (Promotion.status == "active")
            & (Promotion.ends_at > Param("now", Promotion.ends_at))
        )
        .order_by(Promotion.priority.desc(), Promotion.id)
    )
)
_SOLD = Prepared(
    lambda n: Promotion.select(Promotion.id, Promotion.sold).where(
        Promotion.id.in_([Param(f"p{k}") for k in range(n)])
    )
)


# How a scope matches a line: (the line's key, the scope's ids are the ones *not* covered).
_MATCH = {
    "products": ("product_id", False),
    "skus": ("sku_id", False),
    "categories": ("category_id", False),
    "except": ("product_id", True),
}


@dataclass(frozen=True, slots=True)
class Running:
    """A running promotion as pricing reads it: its row's fields as plain attributes (reading
    a model's field costs a descriptor call, and a pricing makes hundreds) and its scope as a
    set. ``promotion`` is the row itself, for answers."""

    promotion: Promotion
    id: int
    type: str
    name: str
    priority: int
    rules: dict[str, Any]
    starts_at: dt.datetime
    ends_at: dt.datetime
    stock: int
    sold: int
    per_user: int
    segment_id: int | None
    match_key: str | None  # the line's field the scope is about (None: every line)
    match_ids: frozenset
    match_except: bool

    @classmethod
    def of(cls, p: Promotion) -> Running:
        if p.type == "bundle":
            key, ids, negate = "sku_id", p.rules["sku_ids"], False
        else:
            key, negate = _MATCH.get(p.scope, (None, False))
            ids = p.scope_ids or ()
        return cls(
            p, p.id, p.type, p.name, p.priority, p.rules, p.starts_at, p.ends_at, p.stock,
            p.sold, p.per_user, p.segment_id, key, frozenset(ids), negate,
        )  # fmt: skip


def _unended(merchant_id: int, now: dt.datetime) -> tuple[Running, ...]:
    """Every active promotion of the store not ended yet, kept with the store's plugin view
    (``MerchantPlugins.memo``): read once per process, and again after any change to the
    store's promotions — migration 0003's triggers move the store's ``plugin_settings_version``
    on every insert, delete and update of a promotion, whoever writes it, except an update of
    ``sold`` alone (which :func:`active` reads fresh where orders move it). Shared by every
    request: nothing changes what it is given."""

    def load() -> tuple[Running, ...]:
        out = []
        for row in _UNENDED.raw_rows({"merchant": merchant_id, "now": now}):
            data = {
                f.name: None if v is None else f.python_value(v)
                for f, v in zip(_FIELDS, row, strict=True)
            }
            out.append(Running.of(instance(Promotion, data)))
        return tuple(out)

    return merchant_plugins(merchant_id).memo((PLUGIN, "unended"), load)


def active(merchant_id: int, now=None, early_minutes: int = 0) -> list[Running]:
    """The merchant's promotions running now, highest priority first. ``early_minutes``: a
    buyer's early access (``buyer_perks``) — a 限时折扣 starting within that many minutes
    counts as running for them. A limited promotion (a stock cap or a per-buyer limit: its
    orders move ``sold``) comes with its ``sold`` as it is now — one read, only while such a
    promotion runs."""
    now = now or utcnow()
    opens = now + dt.timedelta(minutes=early_minutes)
    running = [
        r
        for r in _unended(merchant_id, now)
        if r.ends_at > now
        and (r.starts_at <= now or (r.type == "discount" and r.starts_at <= opens))
    ]
    limited = [r.id for r in running if r.stock or r.per_user]
    if not limited:
        return running
    values = {f"p{k}": pid for k, pid in enumerate(limited)}
    sold = dict(_SOLD.raw_rows(values, len(limited)))
    return [
        r
        if sold.get(r.id, r.sold) == r.sold
        else Running.of(instance(Promotion, {**r.promotion.__data__, "sold": sold[r.id]}))
        for r in running
    ]


def for_buyer(merchant: Any, buyer: Any, now=None) -> list[Running]:
    """The promotions running for this buyer: early access to 限时折扣 from the buyer's perks,
    and promotions aimed at a segment only for the segment's buyers. Without a plugin that
    answers (membership off) a buyer has no early access and is in no segment."""
    hook = merchant_plugins(merchant.id).hook
    early = 0
    if buyer is not None:
        perks = hook.buyer_perks(merchant=merchant, buyer=buyer)
        early = max((int(p.get("early_access_minutes") or 0) for p in perks if p), default=0)
    running = active(merchant.id, now, early)
    segments = {p.segment_id for p in running if p.segment_id is not None}
    inside = {
        s
        for s in segments
        if buyer is not None
        and hook.buyer_in_segment(merchant=merchant, buyer=buyer, segment_id=s) is True
    }
    return [p for p in running if p.segment_id is None or p.segment_id in inside]


def in_scope(promotion: Running, line: dict[str, Any]) -> bool:
    """Does the promotion cover this line? (A bundle covers its SKUs.)"""
    key = promotion.match_key
    return key is None or (line.get(key) in promotion.match_ids) != promotion.match_except


def for_product(merchant_id: int, product_id: int) -> list[Promotion]:
    """Promotions running now that cover some SKU of a product (its page's badges)."""

    product = Product.get_or_none((Product.id == product_id) & (Product.merchant == merchant_id))
    if product is None:
        raise NotFound("product not found", code="product_not_found")
    sku_ids = [s for (s,) in Sku.select(Sku.id).where(Sku.product == product.id).tuples()]
    lines = [
        {"sku_id": s, "product_id": product.id, "category_id": product.category_id} for s in sku_ids
    ]
    return [r.promotion for r in active(merchant_id) if any(in_scope(r, line) for line in lines)]


def summary(promotion: Promotion) -> str:
    """A one-line description for badges (满300减50 ...)."""
    r = promotion.rules
    if promotion.type == "discount":
        return _zhe(r["rate"]) if "rate" in r else f"特价{yuan(r['price'])}"
    if promotion.type == "full_reduction":
        return ", ".join(f"满{yuan(t['threshold'])}减{yuan(t['amount'])}" for t in r["tiers"])
    if promotion.type == "full_discount":
        return ", ".join(f"满{yuan(t['threshold'])}打{_zhe(t['rate'])}" for t in r["tiers"])
    if promotion.type == "buy_n_get_m":
        return f"买{r['buy']}送{r['free']}"
    if promotion.type == "gift":
        return f"满{yuan(r['threshold'])}赠{r['quantity']}件"
    return f"套装价{yuan(r['price'])}"


# -- pricing ---------------------------------------------------------------------------------


def _bought(promotion_ids: list[int], user_id: int) -> dict[int, int]:
    if not promotion_ids:
        return {}
    rows = (
        PromotionUsage.select(PromotionUsage.promotion, fn.SUM(PromotionUsage.quantity))
        .where(PromotionUsage.promotion.in_(promotion_ids) & (PromotionUsage.user_id == user_id))
        .group_by(PromotionUsage.promotion)
        .tuples()
    )
    return {p: int(q) for p, q in rows}


def propose_prices(
    merchant_id: int, buyer_id: int | None, lines: list[dict[str, Any]], running: list[Running]
) -> list[PriceCandidate]:
    """限时折扣 prices for the lines they cover, while stock and the buyer's limit allow."""
    discounts = [p for p in running if p.type == "discount"]
    if not discounts:
        return []
    limited = [p.id for p in discounts if p.per_user]
    bought = _bought(limited, buyer_id) if buyer_id and limited else {}
    out = []
    for p in discounts:
        wanted = sum(line["quantity"] for line in lines if in_scope(p, line))
        if not wanted:
            continue
        if p.stock and p.sold + wanted > p.stock:
            continue
        if p.per_user and bought.get(p.id, 0) + wanted > p.per_user:
            continue
        for line in lines:
            if not in_scope(p, line):
                continue
            price = p.rules.get("price")
            if price is None:
                price = line["unit_price"] * p.rules["rate"] // 100
            out.append(
                PriceCandidate(
                    line_key=line["key"],
                    unit_price=price,
                    # Limited ones are marked so placing an order touches only those.
                    source=f"{SOURCE_PREFIX}{p.id}{LIMITED if p.stock or p.per_user else ''}",
                    kind="discount",
                    label=p.name,
                    priority=p.priority,
                )
            )
    return out


def _tiers(promotion: Running, base: int) -> tuple[int, dict | None, dict | None]:
    """(saving, reached tier, next tier) of a 满减/满折 at ``base``."""
    reached, upcoming = None, None
    for tier in promotion.rules["tiers"]:
        if tier["threshold"] <= base:
            reached = tier
        elif upcoming is None:
            upcoming = tier
    if reached is None:
        return 0, None, upcoming
    if promotion.type == "full_reduction":
        return reached["amount"], reached, upcoming
    return base * (100 - reached["rate"]) // 100, reached, upcoming


def _tier_saving(promotion: Running, tier: dict) -> int:
    if promotion.type == "full_reduction":
        return tier["amount"]
    return tier["threshold"] * (100 - tier["rate"]) // 100


def _free_units(lines: list[dict[str, Any]], buy: int, free: int) -> int:
    units = sorted(line["unit_price"] for line in lines for _ in range(line["quantity"]))
    sets = len(units) // (buy + free)
    return sum(units[: sets * free])


def _bundle(promotion: Running, lines: list[dict[str, Any]]) -> int:
    qty: dict[int, int] = {}
    price: dict[int, int] = {}
    for line in lines:
        qty[line["sku_id"]] = qty.get(line["sku_id"], 0) + line["quantity"]
        price[line["sku_id"]] = min(
            price.get(line["sku_id"], line["unit_price"]), line["unit_price"]
        )
    ids = promotion.rules["sku_ids"]
    if any(s not in qty for s in ids):
        return 0
    sets = min(qty[s] for s in ids)
    return max(sets * (sum(price[s] for s in ids) - promotion.rules["price"]), 0)


def propose_adjustments(
    merchant_id: int, lines: list[dict[str, Any]], running: list[Running], hints: bool = True
) -> list[Adjustment]:
    """满减/满折 (with "add ¥X more to save ¥Y" hints), 买N送M and bundles. ``hints=False``
    (placing an order, where only what applies is kept): no unusable "add … more" hints.
    Runs in every pricing over every running promotion: an adjustment's fields are put
    together only for a promotion that proposes one."""
    config = merchant_plugins(merchant_id).config(PLUGIN)
    tier_group = "full_reduction" if config.get("stack_with_coupons", True) else "coupon"
    out = []
    every_key = tuple(line["key"] for line in lines)
    every_amount = sum(line["amount"] for line in lines)
    for p in running:
        kind = p.type
        if kind == "discount":
            continue
        if p.match_key is None:  # the whole order
            covered, keys, base = lines, every_key, every_amount
        else:
            covered = [line for line in lines if in_scope(p, line)]
            if not covered:
                continue
            keys = tuple(line["key"] for line in covered)
            base = sum(line["amount"] for line in covered)
        if kind in ("full_reduction", "full_discount"):
            saving, reached, upcoming = _tiers(p, base)
            if reached:
                out.append(_adjustment(p, keys, -saving, stacking=tier_group))
            if upcoming and hints:
                more = upcoming["threshold"] - base
                upcoming_saving = _tier_saving(p, upcoming)
                out.append(
                    _adjustment(
                        p,
                        keys,
                        -upcoming_saving,
                        stacking=tier_group,
                        usable=False,
                        reason=f"add {yuan(more)} more to save {yuan(upcoming_saving)}",
                        add=more,
                    )
                )
        elif kind == "buy_n_get_m":
            saving = _free_units(covered, p.rules["buy"], p.rules["free"])
            if saving:
                out.append(_adjustment(p, keys, -saving))
            elif hints:
                units = sum(line["quantity"] for line in covered)
                need = p.rules["buy"] + p.rules["free"] - units
                reason = f"add {need} more to get {p.rules['free']} free"
                out.append(_adjustment(p, keys, 0, usable=False, reason=reason))
        elif kind == "bundle":
            saving = _bundle(p, covered)
            if saving:
                out.append(_adjustment(p, keys, -saving))
        elif kind == "gift":
            out.append(_gift(p, base))
    return out


def _adjustment(
    p: Running,
    keys: tuple[str, ...],
    amount: int,
    stacking: str = "",
    usable: bool = True,
    reason: str = "",
    add: int | None = None,
) -> Adjustment:
    """A promotion's adjustment of its lines (``add``: the amount a hint asks for more)."""
    data = {"promotion_id": p.id, "type": p.type}
    if add is not None:
        data["add"] = add
    return Adjustment(
        source=PLUGIN,
        kind="promotion",
        amount=amount,
        label=p.name,
        line_keys=keys,
        priority=p.priority,
        stacking=stacking,
        usable=usable,
        reason=reason,
        data=data,
    )


def _gift(promotion: Running, base: int) -> Adjustment:
    """满赠: a gift line once the threshold is reached and while the gift SKU has the stock
    (checkout checks the stock again)."""

    r = promotion.rules
    common = {
        "source": PLUGIN,
        "kind": "gift",
        "label": promotion.name,
        "priority": promotion.priority,
    }
    data = {"promotion_id": promotion.id, "type": promotion.type}
    if base < r["threshold"]:
        more = r["threshold"] - base
        reason = f"add {yuan(more)} more to get a gift"
        return Adjustment(amount=0, usable=False, reason=reason, data=data, **common)
    sku = Sku.select(Sku.id, Sku.product, Sku.stock).where(Sku.id == r["sku_id"]).first()
    if sku is None or sku.stock < r["quantity"]:
        reason = "the gift is out of stock"
        return Adjustment(amount=0, usable=False, reason=reason, data=data, **common)
    data.update(sku_id=sku.id, product_id=sku.product_id, quantity=r["quantity"])
    return Adjustment(amount=0, data=data, **common)


# -- placing and cancelling ------------------------------------------------------------------


def enforce_limits(order: Any, buyer_id: int, lines: list[dict[str, Any]]) -> None:
    """Count the units bought at a discount with a stock cap or a per-user limit; refuse
    the whole checkout when the promotion's stock or the buyer's limit ran out meanwhile."""
    wanted: dict[int, int] = {}
    for line in lines:
        source = line.get("price_source") or ""
        if source.startswith(SOURCE_PREFIX) and source.endswith(LIMITED):
            pid = int(source[len(SOURCE_PREFIX) : -len(LIMITED)])
            wanted[pid] = wanted.get(pid, 0) + line["quantity"]
    for pid, quantity in sorted(wanted.items()):
        taken = (
            Promotion.update(sold=Promotion.sold + quantity)
            .where(
                (Promotion.id == pid)
                & ((Promotion.stock == 0) | (Promotion.sold + quantity <= Promotion.stock))
            )
            .execute()
        )
        if not taken:
            raise Conflict(
                "the discounted stock has run out",
                code="promotion_sold_out",
                errors={"promotion_id": [str(pid)]},
            )
        promotion = Promotion.get_by_id(pid)
        if promotion.per_user:
            before = _bought([pid], buyer_id).get(pid, 0)
            if before + quantity > promotion.per_user:
                raise Conflict(
                    f"at most {promotion.per_user} per customer at this price",
                    code="promotion_limit_reached",
                    errors={"promotion_id": [str(pid)]},
                )
        PromotionUsage.create(promotion=pid, user_id=buyer_id, order_id=order.id, quantity=quantity)


def give_back(order: Any) -> None:
    """An unpaid order was cancelled: its discounted units return to the promotions."""
    for usage in PromotionUsage.select().where(PromotionUsage.order_id == order.id):
        Promotion.update(sold=Promotion.sold - usage.quantity).where(
            Promotion.id == usage.promotion_id
        ).execute()
    PromotionUsage.delete().where(PromotionUsage.order_id == order.id).execute()
