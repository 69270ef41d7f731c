"""Checkout: preview and place.

A cart spanning merchants becomes one order per merchant. Placing runs in one transaction:
``validate_checkout`` hooks, the orders and their lines (with every share of money from the
pricing pipeline), the stock decrement (at placing, or at payment when the merchant says so),
the auto-cancel task, and the removal of the ordered cart lines. The number of queries does
not grow with the number of lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from mallkit.core import signals
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import Address, User
from mallkit.core.accounts.service import validate_address
from mallkit.core.api import INT_MAX
from mallkit.core.catalog import stock
from mallkit.core.checkout import cart, pricing
from mallkit.core.checkout.models import CartLine
from mallkit.core.db import Param, Prepared, insert, transaction, utcnow
from mallkit.core.errors import Conflict, ValidationError
from mallkit.core.orders.machine import Actor, record_event
from mallkit.core.orders.models import STOCK_AT_PLACE, Order, OrderLine
from mallkit.core.orders.service import AUTO_CANCEL, new_number, settings_for
from mallkit.core.payments import service as payments
from mallkit.core.payments.registry import enabled_channels
from mallkit.core.plugins import merchant_plugins
from mallkit.core.shares import service as shares
from mallkit.core.tasks import queue as tasks

ADDRESS_FIELDS = (
    "recipient",
    "phone",
    "country",
    "province",
    "city",
    "district",
    "detail",
    "postal_code",
)


@dataclass
class StoreCheckout:
    """One merchant's part of a checkout."""

    merchant: Merchant
    lines: list[dict[str, Any]]  # catalog lines (pricing input)
    skus: dict[int, Any]
    cart_line_ids: list[int]
    options: dict[str, Any]
    priced: pricing.PricedOrder | None = None


_ADDRESS = Prepared(
    lambda: Address.select(*(getattr(Address, f) for f in ADDRESS_FIELDS)).where(
        (Address.id == Param("id")) & (Address.user == Param("user"))
    )
)
_DELETE_CART_LINES = Prepared(
    lambda n: CartLine.delete().where(
        (CartLine.user == Param("user")) & CartLine.id.in_([Param(f"line{k}") for k in range(n)])
    )
)


def _address(buyer: User, data: dict[str, Any]) -> dict[str, Any] | None:
    if data.get("address_id") is not None:
        row = _ADDRESS.one({"id": data["address_id"], "user": buyer.id})
        if row is None:
            raise ValidationError(
                "address not found",
                code="address_not_found",
                errors={"address_id": ["Not in your address book."]},
            )
        return dict(zip(ADDRESS_FIELDS, row, strict=True))
    if data.get("address"):
        address = {k: data["address"].get(k, "") for k in ADDRESS_FIELDS}
        validate_address(address)
        return address
    return None


def _groups(buyer: User, data: dict[str, Any]) -> list[StoreCheckout]:
    """Resolve what is being bought into per-merchant groups, refusing anything unavailable."""
    if data.get("items"):
        wanted = [
            (f"i{n}", item["sku_id"], item["quantity"], None, item.get("activity"))
            for n, item in enumerate(data["items"])
        ]
        skus = cart.load_skus([w[1] for w in wanted], with_settings=True)
    else:
        # The cart's lines with their SKUs in one query.
        lines = cart.cart_lines(
            buyer.id,
            selected=not data.get("cart_line_ids"),
            line_ids=data.get("cart_line_ids") or None,
            with_settings=True,
        )
        wanted = [(f"c{c.id}", c.sku_id, c.quantity, c.id, None) for c, _sku in lines]
        skus = {sku.id: sku for _c, sku in lines}
        if data.get("cart_line_ids") and len(wanted) != len(set(data["cart_line_ids"])):
            raise ValidationError(
                "some cart lines are not in your cart",
                errors={"cart_line_ids": ["Unknown cart line."]},
            )
    if not wanted:
        raise ValidationError("there is nothing to check out", code="empty_checkout")
    now = utcnow()
    errors: dict[str, list[str]] = {}
    groups: dict[int, StoreCheckout] = {}
    options = {o["merchant_id"]: o for o in data.get("merchants", [])}
    for key, sku_id, quantity, cart_line_id, activity in wanted:
        sku = skus.get(sku_id)
        ok, reason = cart.availability(sku, quantity, now)
        if not ok:
            errors[str(sku_id)] = [reason]
            continue
        merchant = sku.product.merchant
        group = groups.setdefault(
            merchant.id, StoreCheckout(merchant, [], {}, [], options.get(merchant.id, {}))
        )
        line = cart.catalog_line(key, sku, quantity)
        if activity:
            line["activity"] = activity
        group.lines.append(line)
        group.skus[sku.id] = sku
        if cart_line_id is not None:
            group.cart_line_ids.append(cart_line_id)
    for merchant_id, group in groups.items():
        unknown = set(group.options.get("plugins") or ()) - merchant_plugins(merchant_id).enabled
        if unknown:
            raise ValidationError(
                "options for plugins this store has not enabled",
                code="unknown_plugin_options",
                errors={"merchants": {str(merchant_id): {"plugins": sorted(unknown)}}},
            )
    if errors:
        code = (
            "out_of_stock"
            if all(e[0] in ("out_of_stock", "insufficient_stock") for e in errors.values())
            else "unavailable"
        )
        raise Conflict("some lines cannot be bought", code=code, errors=errors)
    return sorted(groups.values(), key=lambda g: g.merchant.id)


def _price(buyer: User, group: StoreCheckout, address: dict | None, preview: bool) -> None:
    opts = group.options
    group.priced = pricing.price(
        group.merchant,
        buyer,
        group.lines,
        {
            "address": address,
            "shipping_code": opts.get("shipping_code"),
            "coupon_ids": opts.get("coupon_ids", []),
            "points": opts.get("points", 0),
            "preview": preview,
            "plugins": opts.get("plugins") or {},
        },
    )


def preview(buyer: User, data: dict[str, Any]) -> dict[str, Any]:
    """Totals, applied and unusable offers, shipping options and payment channels."""

    address = _address(buyer, data)
    out = []
    for group in _groups(buyer, data):
        _price(buyer, group, address, preview=True)
        out.append(
            {
                "merchant_id": group.merchant.id,
                "merchant_name": group.merchant.name,
                **_described(group, group.priced.to_dict()),
                "payment_channels": [
                    {"code": c.code, "title": c.title, "methods": list(c.methods)}
                    for c in enabled_channels(group.merchant.id)
                ],
            }
        )
    return {"address": address, "merchants": out, "total": sum(m["total"] for m in out)}


def _described(group: StoreCheckout, priced: dict[str, Any]) -> dict[str, Any]:
    """The priced lines with what a buyer reads on the confirm page: product and SKU names
    and the picture (gift lines of 满赠 included)."""
    missing = [line["sku_id"] for line in priced["lines"] if line["sku_id"] not in group.skus]
    skus = {**group.skus, **(cart.load_skus(missing) if missing else {})}
    for line in priced["lines"]:
        sku = skus.get(line["sku_id"])
        line["product_name"] = sku.product.name if sku else ""
        line["sku_name"] = cart.sku_name(sku) if sku else ""
        line["image_url"] = (sku.image_url or sku.product.cover_url) if sku else ""
    return priced


def _check_gifts(group: StoreCheckout) -> None:
    """Gift lines (满赠) are SKUs of the same store with the stock for them, or the checkout
    is refused."""
    gifts = [p for p in group.priced.lines if p.is_gift]
    if not gifts:
        return
    group.skus.update(cart.load_skus([p.sku_id for p in gifts if p.sku_id not in group.skus]))
    wanted: dict[int, int] = {}
    for p in group.priced.lines:
        wanted[p.sku_id] = wanted.get(p.sku_id, 0) + p.quantity
    now = utcnow()
    for p in gifts:
        sku = group.skus.get(p.sku_id)
        ok, reason = cart.availability(sku, wanted[p.sku_id], now)
        if not ok or sku.product.merchant_id != group.merchant.id:
            raise Conflict(
                "the gift is not available",
                code="gift_unavailable",
                errors={str(p.sku_id): [reason or "unavailable"]},
            )


@dataclass
class CheckoutPlan:
    """A checkout resolved and priced, ready to be written."""

    address: dict[str, Any]
    groups: list[StoreCheckout]
    share: Any = None  # the live share link the checkout came through (docs/shares.md)


def prepare(buyer: User, data: dict[str, Any]) -> CheckoutPlan:
    """Resolve, check and price everything a place needs — reads only, outside the write
    transaction, so the transaction (and the hot SKUs' row locks) stays short."""
    address = _address(buyer, data)
    if address is None:
        raise ValidationError(
            "a delivery address is required",
            code="address_required",
            errors={"address_id": ["Give address_id or address."]},
        )
    groups = _groups(buyer, data)
    for group in groups:
        _price(buyer, group, address, preview=False)
        _check_gifts(group)
        _check_fits(group)
        if group.priced.shipping is None:
            reasons = [q.reason for q in group.priced.shipping_options if q.reason]
            raise Conflict(
                "; ".join(reasons) or "this store does not deliver to the address",
                code="undeliverable",
                errors={str(group.merchant.id): reasons or ["Not deliverable."]},
            )
    return CheckoutPlan(address, groups, shares.find_live_share(data.get("share_code")))


def _check_fits(group: StoreCheckout) -> None:
    """An order's amounts must fit its integer columns (PostgreSQL's ``integer``): a larger
    one is refused before anything is written, never a database error."""
    priced = group.priced
    if max(priced.subtotal, priced.freight, priced.total) > INT_MAX:
        raise ValidationError(
            "the order is too large; split it into smaller orders",
            code="order_too_large",
            errors={str(group.merchant.id): [f"At most {INT_MAX} fen in one order."]},
        )


def place(
    buyer: User,
    data: dict[str, Any],
    *,
    checkout_key: str = "",
    prepared: CheckoutPlan | None = None,
    savepoint: bool = True,
) -> list[Order]:
    """Place one order per merchant; all or nothing. Call inside ``run_once`` for
    ``Idempotency-Key`` support; pass what :func:`prepare` returned to keep the pricing out
    of the write transaction. Stock is the only thing re-checked inside it, and it is the
    conditional decrement itself. ``savepoint=False`` when the caller's transaction rolls back
    on any error anyway (``run_once`` does): no savepoint of its own inside it.

    The orders returned carry their new lines (``lines_loaded``, as written), so they can be
    shown without reading them back."""
    prepared = prepared or prepare(buyer, data)
    orders: list[Order] = []
    with transaction(savepoint=savepoint):
        for group in prepared.groups:
            orders.append(
                _create_order(buyer, group, prepared.address, data, checkout_key, prepared.share)
            )
        cart_ids = [i for g in prepared.groups for i in g.cart_line_ids]
        if cart_ids:
            values = {"user": buyer.id, **{f"line{k}": i for k, i in enumerate(cart_ids)}}
            _DELETE_CART_LINES.execute(values, len(cart_ids))
    return orders


def _create_order(
    buyer: User,
    group: StoreCheckout,
    address: dict,
    data: dict[str, Any],
    checkout_key: str,
    share: Any = None,
) -> Order:
    merchant, priced = group.merchant, group.priced
    # Read with the SKUs (cart.load_skus(with_settings=True)), else now.
    settings = getattr(merchant, "order_settings_loaded", None) or settings_for(merchant.id)
    draft = {
        "merchant_id": merchant.id,
        "buyer_id": buyer.id,
        "total": priced.total,
        "currency": priced.currency,
        "lines": [p.to_dict() for p in priced.lines],
        "address": address,
        "options": group.options,
    }
    merchant_plugins(merchant.id).hook.validate_checkout(
        merchant=merchant, buyer=buyer, order=draft
    )
    order = insert(
        Order,
        [
            {
                "number": new_number(),
                "merchant": merchant.id,
                "buyer": buyer.id,
                "currency": priced.currency,
                "subtotal": priced.subtotal,
                "discount_total": priced.discount_total,
                "freight": priced.freight,
                "total": priced.total,
                "address": address,
                "buyer_note": (group.options.get("note") or data.get("buyer_note") or "")[:500],
                "shipping_method": priced.shipping.code if priced.shipping else "",
                "pricing": priced.stored(),
                "checkout_key": checkout_key[:64],
                "plugins": sorted(merchant_plugins(merchant.id).enabled),
                # Set up front: the allocation below either succeeds or rolls everything back.
                "stock_deducted": settings.stock_deduct == STOCK_AT_PLACE,
                **shares.source_fields(share, merchant.id),  # the store's own share link only
            }
        ],
    )[0]
    rows = []
    for p in priced.lines:
        sku = group.skus[p.sku_id]
        rows.append(
            {
                "order": order.id,
                "sku_id": p.sku_id,
                "product_id": p.product_id,
                "product_name": sku.product.name,
                "sku_name": cart.sku_name(sku),
                "sku_code": sku.code,
                "specs": sku.specs or {},
                "image_url": sku.image_url or sku.product.cover_url,
                "unit_price": p.unit_price,
                "sale_unit_price": p.sale_unit_price,
                "unit_cost": sku.cost,
                "price_source": p.price_source,
                "price_kind": p.price_kind,
                "activity": p.extra.get("activity"),
                "is_gift": p.is_gift,
                "quantity": p.quantity,
                "amount": p.amount,
                "promotion_discount": p.promotion_discount,
                "coupon_discount": p.coupon_discount,
                "points_discount": p.points_discount,
                "other_discount": p.other_discount,
                "freight_share": p.freight_share,
                "pay_amount": p.pay_amount,
            }
        )
    order.lines_loaded = insert(OrderLine, rows)  # what the response renders, not read back
    record_event(
        order, "placed", Actor("buyer", buyer.id), data={"total": priced.total, "lines": len(rows)}
    )
    tasks.schedule(
        AUTO_CANCEL,
        delay=dt.timedelta(minutes=settings.auto_cancel_minutes),
        payload={"order_id": order.id},
        merchant_id=merchant.id,
        dedupe_key=f"{AUTO_CANCEL}:{order.id}",
    )
    merchant_plugins(merchant.id).hook.on_order_placed(
        merchant=merchant, buyer=buyer, order=order, lines=[p.to_dict() for p in priced.lines]
    )
    # Last: the hot SKUs' row locks are held from here to the commit only.
    if settings.stock_deduct == STOCK_AT_PLACE:
        stock.allocate(
            merchant,
            [(p.sku_id, p.quantity) for p in priced.lines],
            stock.StockReference("order", order.number),
        )
    signals.send_after_commit(signals.order_placed, order, buyer_id=buyer.id)
    if order.total == 0:
        payments.settle_free_order(order)
        order = Order.get_by_id(order.id)  # paid now: read back (its lines too, when shown)
    return order
