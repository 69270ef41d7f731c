"""Cart rules: adding, changing and removing lines, and reading the cart re-priced through
the pricing pipeline with unavailable lines flagged (never silently dropped)."""

from __future__ import annotations

from typing import Any

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.catalog.models import Product, Sku
from mallkit.core.catalog.service import sellable_sku
from mallkit.core.catalog.visibility import is_on_shelf
from mallkit.core.checkout import pricing
from mallkit.core.checkout.models import MAX_QUANTITY, CartLine
from mallkit.core.db import transaction, utcnow
from mallkit.core.errors import NotFound, ValidationError

# The columns the cart and checkout read (less SQL to build on the hot path). The merchant is
# loaded whole: it is handed to plugins.
SKU_COLUMNS = (
    Sku.id,
    Sku.product,
    Sku.merchant,
    Sku.code,
    Sku.specs,
    Sku.price,
    Sku.stock,
    Sku.weight,
    Sku.image_url,
    Sku.deleted_at,
)
PRODUCT_COLUMNS = (
    Product.id,
    Product.merchant,
    Product.name,
    Product.category,
    Product.brand,
    Product.images,
    Product.is_on_shelf,
    Product.shelf_on_at,
    Product.shelf_off_at,
    Product.deleted_at,
)


def load_skus(sku_ids: list[int]) -> dict[int, Sku]:
    """SKUs with their product (the columns above) and merchant, in one query."""
    if not sku_ids:
        return {}
    rows = (
        Sku.select(*SKU_COLUMNS, *PRODUCT_COLUMNS, Merchant)
        .join(Product)
        .join(Merchant)
        .where(Sku.id.in_(sorted(set(sku_ids))))
    )
    return {s.id: s for s in rows}


def availability(sku: Sku | None, quantity: int, now=None) -> tuple[bool, str]:
    """``(available, reason)`` of buying ``quantity`` of ``sku`` now."""
    if sku is None or sku.deleted_at is not None:
        return False, "sku_unavailable"
    product = sku.product
    if not is_on_shelf(product, now or utcnow()) or not product.merchant.is_active:
        return False, "product_unavailable"
    if sku.stock <= 0:
        return False, "out_of_stock"
    if sku.stock < quantity:
        return False, "insufficient_stock"
    return True, ""


def sku_name(sku: Sku) -> str:
    return " / ".join(str(v) for v in (sku.specs or {}).values())


def catalog_line(key: str, sku: Sku, quantity: int) -> dict[str, Any]:
    """The line dict the pricing hooks see."""
    product = sku.product
    return {
        "key": key,
        "sku_id": sku.id,
        "product_id": product.id,
        "quantity": quantity,
        "unit_price": sku.price,
        "category_id": product.category_id,
        "brand_id": product.brand_id,
        "weight": sku.weight,
    }


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(
            "quantity must be between 1 and 9999",
            errors={"quantity": [f"Between 1 and {MAX_QUANTITY}."]},
        )


def add(user: User, sku_id: int, quantity: int) -> CartLine:
    """Add ``quantity`` of a SKU (to the line already there, if any)."""
    _check_quantity(quantity)
    sku = sellable_sku(sku_id)
    with transaction():
        line = CartLine.get_or_none((CartLine.user == user.id) & (CartLine.sku == sku.id))
        if line is None:
            line = CartLine.create(
                user=user.id,
                merchant=sku.merchant_id,
                sku=sku.id,
                quantity=quantity,
                added_unit_price=sku.price,
            )
        else:
            total = line.quantity + quantity
            _check_quantity(total)
            CartLine.update(quantity=total, selected=True, updated_at=utcnow()).where(
                CartLine.id == line.id
            ).execute()
    return CartLine.get_by_id(line.id)


def own_line(user: User, line_id: int) -> CartLine:
    line = CartLine.get_or_none((CartLine.id == line_id) & (CartLine.user == user.id))
    if line is None:
        raise NotFound("cart line not found", code="cart_line_not_found")
    return line


def change(
    user: User, line_id: int, *, quantity: int | None = None, selected: bool | None = None
) -> CartLine:
    line = own_line(user, line_id)
    values: dict[str, Any] = {"updated_at": utcnow()}
    if quantity is not None:
        _check_quantity(quantity)
        values["quantity"] = quantity
    if selected is not None:
        values["selected"] = selected
    with transaction():
        CartLine.update(**values).where(CartLine.id == line.id).execute()
    return CartLine.get_by_id(line.id)


def select(user: User, line_ids: list[int] | None, selected: bool) -> int:
    """Select or deselect some lines (all when ``line_ids`` is None)."""
    query = CartLine.update(selected=selected, updated_at=utcnow()).where(CartLine.user == user.id)
    if line_ids is not None:
        query = query.where(CartLine.id.in_(line_ids))
    with transaction():
        return query.execute()


def remove(user: User, line_ids: list[int] | None = None) -> int:
    query = CartLine.delete().where(CartLine.user == user.id)
    if line_ids is not None:
        query = query.where(CartLine.id.in_(line_ids))
    with transaction():
        return query.execute()


def read(user: User) -> dict[str, Any]:
    """The cart grouped by merchant, every line re-priced and flagged when unavailable."""
    lines = list(CartLine.select().where(CartLine.user == user.id).order_by(CartLine.id))
    skus = load_skus([line.sku_id for line in lines])
    now = utcnow()
    groups: dict[int, dict[str, Any]] = {}
    for line in lines:
        sku = skus.get(line.sku_id)
        available, reason = availability(sku, line.quantity, now)
        merchant = sku.product.merchant if sku else Merchant.get_by_id(line.merchant_id)
        group = groups.setdefault(merchant.id, {"merchant": merchant, "lines": []})
        product = sku.product if sku else None
        group["lines"].append(
            {
                "id": line.id,
                "sku_id": line.sku_id,
                "quantity": line.quantity,
                "selected": line.selected,
                "available": available,
                "reason": reason,
                "stock": sku.stock if sku else 0,
                "product_id": product.id if product else None,
                "product_name": product.name if product else "",
                "sku_name": sku_name(sku) if sku else "",
                "image_url": (sku.image_url or product.cover_url) if sku else "",
                "unit_price": sku.price if sku else line.added_unit_price,
                "added_unit_price": line.added_unit_price,
                "price_changed": bool(sku and sku.price != line.added_unit_price),
                "_sku": sku,
            }
        )
    out = []
    for merchant_id, group in groups.items():
        merchant = group["merchant"]
        payable = [g for g in group["lines"] if g["available"] and g["selected"]]
        priced = None
        if payable:
            priced = pricing.price(
                merchant,
                user,
                [catalog_line(str(g["id"]), g["_sku"], g["quantity"]) for g in payable],
                {"preview": True},
            )
            shares = {p.key: p for p in priced.lines}
            for g in payable:
                p = shares[str(g["id"])]
                g.update(
                    sale_unit_price=p.sale_unit_price, price_label=p.price_label, amount=p.amount
                )
        for g in group["lines"]:
            g.pop("_sku")
            g.setdefault("sale_unit_price", g["unit_price"])
            g.setdefault("price_label", "")
            g.setdefault("amount", g["sale_unit_price"] * g["quantity"])
        out.append(
            {
                "merchant_id": merchant_id,
                "merchant_name": merchant.name,
                "currency": merchant.currency,
                "lines": group["lines"],
                "selected_count": sum(g["quantity"] for g in payable),
                "subtotal": priced.subtotal if priced else 0,
                "discount_total": priced.discount_total if priced else 0,
                "freight": priced.freight if priced else 0,
                "total": priced.total if priced else 0,
                "hints": [a for a in (priced.to_dict()["unusable"] if priced else [])],
            }
        )
    return {"merchants": out, "count": sum(len(g["lines"]) for g in out)}
