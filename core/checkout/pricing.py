"""The pricing pipeline: plugins propose, the core decides, in a fixed documented order.

1. **Unit prices.** ``propose_unit_prices`` candidates per line. Kinds rank
   ``activity`` (group buy, bargain, flash sale) above ``discount``/``member`` (time-limited
   discount or member price: the better one, never both). The best candidate of the highest
   ranked kind present wins (lowest price; ties: higher ``priority``, then ``source``); a
   candidate above the catalog price is ignored. No candidate: the catalog price. A winning
   candidate with ``data={"exclusive": True}`` keeps promotions and coupons off its line.
2. **Adjustments.** ``propose_adjustments`` proposals are applied in kind order
   ``promotion`` (满减/满折) → ``coupon`` → ``points`` → anything else; within a kind by
   ``priority`` (higher first) then the bigger discount. An adjustment with a ``threshold``
   (满X) applies only when the running amount of its lines after the adjustments of earlier
   kinds reaches it — a coupon's threshold is measured after 满减 — otherwise it is listed as
   unusable with the shortfall (``"¥12.00 short"``). Adjustments sharing a non-empty
   ``stacking`` group exclude each other (the first applied wins, the rest are listed as
   unusable with the reason; one that falls short of its threshold takes no group). Each
   applied discount is apportioned over its lines by their running amounts (largest
   remainder), so no line ever goes below zero, and it is capped so the goods total stays at
   least one minor unit. A usable ``gift`` adjustment (满赠,
   ``data={"sku_id", "product_id", "quantity"}``) moves no money: it adds a zero-price line
   flagged ``is_gift``, which checkout writes and takes stock for like any other.
3. **Shipping.** ``propose_shipping_quotes``; the buyer's choice by ``code`` or the cheapest
   deliverable quote (free standard delivery comes from the core's ``checkout_defaults``
   plugin when nobody quotes). The freight is
   apportioned over the lines by their amounts after discounts.

Every share is stored per line, so ``sum(line.pay_amount) == order.total`` to the fen and
partial refunds are exact. Prices sent by a client are never read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from mallkit.core.checkout.proposals import Adjustment, PriceCandidate, ShippingQuote
from mallkit.core.errors import Conflict
from mallkit.core.money import Money, apportion
from mallkit.core.plugins import merchant_plugins

PRICE_KIND_RANK = {"activity": 0, "discount": 1, "member": 1}
ADJUSTMENT_ORDER = ("promotion", "coupon", "points")
_COLUMN = {
    "promotion": "promotion_discount",
    "coupon": "coupon_discount",
    "points": "points_discount",
}
EXCLUSIVE_KINDS = ("promotion", "coupon")  # kept off lines priced with an exclusive candidate


@dataclass
class PricedLine:
    """A line with its final unit price and every share of money."""

    key: str
    sku_id: int
    product_id: int
    quantity: int
    unit_price: int
    sale_unit_price: int
    price_source: str = ""
    price_label: str = ""
    price_kind: str = ""  # the winning candidate's kind: activity, discount, member
    # The winning candidate said ``data={"exclusive": True}``: no promotion or coupon applies
    # to this line (group buy and bargain prices, unless their activity allows it).
    exclusive: bool = False
    is_gift: bool = False  # added by a ``gift`` adjustment (满赠) at zero price
    promotion_discount: int = 0
    coupon_discount: int = 0
    points_discount: int = 0
    other_discount: int = 0
    freight_share: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def amount(self) -> int:
        return self.sale_unit_price * self.quantity

    @property
    def discount(self) -> int:
        return (
            self.promotion_discount
            + self.coupon_discount
            + self.points_discount
            + self.other_discount
        )

    @property
    def pay_amount(self) -> int:
        return self.amount - self.discount + self.freight_share

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "sku_id": self.sku_id,
            "product_id": self.product_id,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "sale_unit_price": self.sale_unit_price,
            "price_source": self.price_source,
            "price_label": self.price_label,
            "price_kind": self.price_kind,
            "activity": self.extra.get("activity"),
            "is_gift": self.is_gift,
            "amount": self.amount,
            "promotion_discount": self.promotion_discount,
            "coupon_discount": self.coupon_discount,
            "points_discount": self.points_discount,
            "other_discount": self.other_discount,
            "freight_share": self.freight_share,
            "pay_amount": self.pay_amount,
        }


@dataclass
class PricedOrder:
    """The outcome of pricing one merchant's lines."""

    currency: str
    lines: list[PricedLine]
    applied: list[Adjustment]
    # The proposals that did not apply, each with the core's reason (None: the plugin's own);
    # made into ``unusable`` only when read (a preview shows them, a placed order does not).
    refused: list[tuple[Adjustment, str | None]]
    shipping_options: list[ShippingQuote]
    shipping: ShippingQuote | None

    @cached_property
    def unusable(self) -> list[Adjustment]:
        """The proposals that did not apply, marked unusable with the reason."""
        return [
            a if reason is None else replace(a, usable=False, reason=reason)
            for a, reason in self.refused
        ]

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def freight(self) -> int:
        return sum(line.freight_share for line in self.lines)

    @property
    def total(self) -> int:
        return sum(line.pay_amount for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "subtotal": self.subtotal,
            "discount_total": self.discount_total,
            "freight": self.freight,
            "total": self.total,
            "lines": [line.to_dict() for line in self.lines],
            "applied": [_adjustment_dict(a) for a in self.applied],
            "unusable": [_adjustment_dict(a) for a in self.unusable],
            "shipping_options": [_quote_dict(q) for q in self.shipping_options],
            "shipping": _quote_dict(self.shipping) if self.shipping else None,
        }

    def stored(self) -> dict[str, Any]:
        """What an order keeps of its pricing (``order.pricing``): the applied adjustments and
        the chosen shipping."""
        return {
            "applied": [_adjustment_dict(a) for a in self.applied],
            "shipping": _quote_dict(self.shipping) if self.shipping else None,
        }


def _adjustment_dict(a: Adjustment) -> dict[str, Any]:
    return {
        "source": a.source,
        "kind": a.kind,
        "amount": a.amount,
        "label": a.label,
        "line_keys": list(a.line_keys),
        "reason": a.reason,
        "data": a.data,
    }


def _quote_dict(q: ShippingQuote) -> dict[str, Any]:
    return {
        "source": q.source,
        "code": q.code,
        "label": q.label,
        "amount": q.amount,
        "deliverable": q.deliverable,
        "reason": q.reason,
        "delivery_days": list(q.delivery_days) if q.delivery_days else None,
    }


def _flatten(results: list[list[Any] | None]) -> list[Any]:
    return [item for items in results for item in (items or ())]


def _best_price(line: dict[str, Any], candidates: list[PriceCandidate]) -> PriceCandidate | None:
    usable = [
        c
        for c in candidates
        if c.kind in PRICE_KIND_RANK and 0 <= c.unit_price < line["unit_price"]
    ]
    if not usable:
        return None
    top = min(PRICE_KIND_RANK[c.kind] for c in usable)
    return min(
        (c for c in usable if PRICE_KIND_RANK[c.kind] == top),
        key=lambda c: (c.unit_price, -c.priority, c.source),
    )


_KIND_RANK = {kind: n for n, kind in enumerate(ADJUSTMENT_ORDER)}


def _kind_rank(a: Adjustment) -> int:
    return _KIND_RANK.get(a.kind, len(ADJUSTMENT_ORDER))


def _adjustment_sort_key(a: Adjustment) -> tuple:
    return (_kind_rank(a), -a.priority, a.amount, a.source, a.label)


def price(
    merchant: Any, buyer: Any, lines: list[dict[str, Any]], context: dict[str, Any] | None = None
) -> PricedOrder:
    """Price one merchant's lines. ``lines``: ``{"key", "sku_id", "product_id", "quantity",
    "unit_price", ...}`` with catalog prices; ``context``: ``address``, ``shipping_code``,
    ``coupon_ids``, ``points``, ``preview`` and whatever plugins read."""
    context = dict(context or {})
    hook = merchant_plugins(merchant.id).hook

    # 1. unit prices
    candidates = _flatten(hook.propose_unit_prices(merchant=merchant, buyer=buyer, lines=lines))
    by_line: dict[str, list[PriceCandidate]] = {}
    for c in candidates:
        by_line.setdefault(c.line_key, []).append(c)
    priced: list[PricedLine] = []
    for line in lines:
        best = _best_price(line, by_line.get(line["key"], []))
        priced.append(
            PricedLine(
                key=line["key"],
                sku_id=line["sku_id"],
                product_id=line["product_id"],
                quantity=line["quantity"],
                unit_price=line["unit_price"],
                sale_unit_price=best.unit_price if best else line["unit_price"],
                price_source=best.source if best else "",
                price_label=best.label if best else "",
                price_kind=best.kind if best else "",
                exclusive=bool(best and best.data.get("exclusive")),
                extra={
                    k: v
                    for k, v in line.items()
                    if k not in {"key", "sku_id", "product_id", "quantity", "unit_price"}
                },
            )
        )

    # 2. adjustments
    view_lines = [
        {
            **line,
            "unit_price": p.sale_unit_price,
            "amount": p.amount,
            "catalog_unit_price": p.unit_price,
            "price_kind": p.price_kind,
        }
        for line, p in zip(lines, priced, strict=True)
    ]
    proposals = _flatten(
        hook.propose_adjustments(merchant=merchant, buyer=buyer, lines=view_lines, context=context)
    )
    running = {p.key: p.amount for p in priced}
    by_key = {p.key: p for p in priced}
    exclusive = {p.key for p in priced if p.exclusive}  # kept off EXCLUSIVE_KINDS
    applied: list[Adjustment] = []
    refused: list[tuple[Adjustment, str | None]] = [(a, None) for a in proposals if not a.usable]
    taken_groups: dict[str, str] = {}
    # The running amounts before the first adjustment of the current kind: what thresholds
    # are measured against (a coupon's threshold after 满减, but not after another coupon).
    kind_rank, before_kind = -1, dict(running)
    for a in sorted(
        (a for a in proposals if a.usable and a.kind != "gift"), key=_adjustment_sort_key
    ):
        if _kind_rank(a) != kind_rank:
            kind_rank, before_kind = _kind_rank(a), dict(running)
        if a.amount > 0:
            refused.append((a, "charges are not supported"))
            continue
        if not a.threshold and a.stacking in taken_groups:  # (no threshold to fall short of)
            refused.append((a, f"does not combine with {taken_groups[a.stacking]}"))
            continue
        if not a.line_keys and not exclusive:
            keys = list(running)
        else:
            skip = exclusive if a.kind in EXCLUSIVE_KINDS else ()
            keys = [k for k in (a.line_keys or running) if k in running and k not in skip]
        if keys and a.threshold and a.threshold > (base := sum(before_kind[k] for k in keys)):
            short = Money(a.threshold - base, merchant.currency).text()
            refused.append((a, f"{short} short"))
            continue
        if a.stacking and a.stacking in taken_groups:
            refused.append((a, f"does not combine with {taken_groups[a.stacking]}"))
            continue
        if not keys:
            refused.append((a, "not for activity-priced items"))
            continue
        weights = [running[k] for k in keys]
        cap = min(sum(weights), sum(running.values()) - 1)
        discount = min(-a.amount, max(cap, 0))
        if a.amount < 0 and discount <= 0:
            refused.append((a, "nothing left to discount"))
            continue
        for k, share in zip(keys, apportion(discount, weights), strict=True):
            running[k] -= share
            column = _COLUMN.get(a.kind, "other_discount")
            setattr(by_key[k], column, getattr(by_key[k], column) + share)
        applied.append(a if a.amount == -discount else replace(a, amount=-discount))
        if a.stacking:
            taken_groups[a.stacking] = a.label or a.source

    # Gifts (满赠) last: zero-price lines that take no share of any discount or the freight.
    for n, a in enumerate(a for a in proposals if a.usable and a.kind == "gift"):
        priced.append(
            PricedLine(
                key=f"gift{n}",
                sku_id=int(a.data["sku_id"]),
                product_id=int(a.data["product_id"]),
                quantity=int(a.data.get("quantity", 1)),
                unit_price=0,
                sale_unit_price=0,
                price_source=a.source,
                price_label=a.label,
                is_gift=True,
            )
        )
        applied.append(replace(a, amount=0))

    # 3. shipping
    quotes = _flatten(
        hook.propose_shipping_quotes(
            merchant=merchant, buyer=buyer, lines=view_lines, address=context.get("address")
        )
    )
    deliverable = [q for q in quotes if q.deliverable]
    wanted = context.get("shipping_code")
    chosen: ShippingQuote | None
    if wanted:
        chosen = next((q for q in deliverable if q.code == wanted), None)
        if chosen is None:
            raise Conflict(
                f"shipping method {wanted!r} is not available",
                code="shipping_unavailable",
                errors={"shipping": [wanted]},
            )
    else:
        chosen = min(deliverable, key=lambda q: (q.amount, q.code)) if deliverable else None
    if chosen is not None and chosen.amount:
        keys = list(running)
        for k, share in zip(
            keys, apportion(chosen.amount, [running[k] for k in keys]), strict=True
        ):
            by_key[k].freight_share += share

    return PricedOrder(
        currency=merchant.currency,
        lines=priced,
        applied=applied,
        refused=refused,
        shipping_options=quotes,
        shipping=chosen,
    )
