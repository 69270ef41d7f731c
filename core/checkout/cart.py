"""Cart rules: adding, changing and removing lines, and reading the cart re-priced through
the pricing pipeline with unavailable lines flagged (never silently dropped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import peewee as pw

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.catalog.errors import ProductUnavailable, SkuNotFound
from mallkit.core.catalog.models import Product, Sku
from mallkit.core.catalog.visibility import is_on_shelf, on_shelf_expression
from mallkit.core.checkout import pricing
from mallkit.core.checkout.models import MAX_QUANTITY, CartLine
from mallkit.core.db import Param, Prepared, instance, readers, transaction, utcnow
from mallkit.core.errors import NotFound, ValidationError
from mallkit.core.orders.models import OrderSettings
from mallkit.core.plugins import prime_merchant_plugins

# The columns the cart and checkout read (less SQL to build on the hot path). The merchant is
# loaded whole: it is handed to plugins.
SKU_COLUMNS = (
    Sku.id,
    Sku.product,
    Sku.merchant,
    Sku.code,
    Sku.specs,
    Sku.price,
    Sku.cost,  # written on the order line (unit_cost)
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


MERCHANT_COLUMNS = tuple(Merchant._meta.sorted_fields)
SETTINGS_COLUMNS = tuple(OrderSettings._meta.sorted_fields)
CART_COLUMNS = tuple(CartLine._meta.sorted_fields)


def _select(model: type, with_settings: bool) -> Any:
    """SKUs with their product and merchant (and the merchant's order settings), from
    ``model`` (Sku, or CartLine for the cart's lines with their SKUs)."""
    columns = (*SKU_COLUMNS, *PRODUCT_COLUMNS, *MERCHANT_COLUMNS)
    if with_settings:
        columns += SETTINGS_COLUMNS
    if model is CartLine:
        query = CartLine.select(*CART_COLUMNS, *columns).join(Sku, on=(CartLine.sku == Sku.id))
    else:
        query = Sku.select(*columns)
    query = query.join_from(Sku, Product, on=(Sku.product == Product.id)).join_from(
        Product, Merchant, on=(Product.merchant == Merchant.id)
    )
    if with_settings:
        query = query.join_from(
            Merchant,
            OrderSettings,
            pw.JOIN.LEFT_OUTER,
            on=(OrderSettings.merchant == Merchant.id),
        )
    return query


def _skus_query(n: int, with_settings: bool):
    return _select(Sku, with_settings).where(Sku.id.in_([Param(f"s{k}") for k in range(n)]))


def _cart_query(kind: str | int, with_settings: bool):
    """The buyer's cart lines with their SKUs: all (``"all"``), the selected ones
    (``"selected"``) or ``kind`` given ones (``line{k}`` parameters)."""
    where = CartLine.user == Param("user")
    if kind == "selected":
        where &= CartLine.selected == True  # noqa: E712  (SQL)
    elif kind != "all":
        where &= CartLine.id.in_([Param(f"line{k}") for k in range(kind)])
    return _select(CartLine, with_settings).where(where).order_by(CartLine.id)


_SKUS = Prepared(_skus_query)
_CART = Prepared(_cart_query)


def _names(columns: tuple) -> list[str]:
    return [c.name for c in columns]


_SKU_NAMES = _names(SKU_COLUMNS)
_PRODUCT_NAMES = _names(PRODUCT_COLUMNS)
_MERCHANT_NAMES = _names(MERCHANT_COLUMNS)
_SETTINGS_NAMES = _names(SETTINGS_COLUMNS)
_CART_NAMES = _names(CART_COLUMNS)
_SKU_READERS = readers(SKU_COLUMNS)
_PRODUCT_READERS = readers(PRODUCT_COLUMNS)
_MERCHANT_READERS = readers(MERCHANT_COLUMNS)
_SETTINGS_READERS = readers(SETTINGS_COLUMNS)
_CART_READERS = readers(CART_COLUMNS)


def _data(names: list[str], raw: Sequence, convert: tuple) -> dict[str, Any]:
    """A model's field values from a slice of a raw row (converted where needed)."""
    values = list(raw)
    for i, read in convert:
        if values[i] is not None:
            values[i] = read(values[i])
    return dict(zip(names, values, strict=True))


def _sku_from(row: Sequence, at: int, with_settings: bool, seen: dict) -> Sku:
    """The Sku (product, merchant, settings attached) of a raw row from ``at``. A merchant
    or product met earlier in the same read (``seen``) is the same object: its columns are
    the same row, decoded once."""
    a, b = at, at + len(_SKU_NAMES)
    c = b + len(_PRODUCT_NAMES)
    d = c + len(_MERCHANT_NAMES)
    product = seen.get(("product", row[b]))
    if product is None:
        merchant = seen.get(("merchant", row[c]))
        if merchant is None:
            merchant = instance(Merchant, _data(_MERCHANT_NAMES, row[c:d], _MERCHANT_READERS))
            prime_merchant_plugins(merchant.id, merchant.plugin_settings_version)
            if with_settings:
                values = row[d : d + len(_SETTINGS_NAMES)]
                merchant.order_settings_loaded = (
                    instance(OrderSettings, _data(_SETTINGS_NAMES, values, _SETTINGS_READERS))
                    if values[0] is not None
                    else OrderSettings(merchant=merchant.id)
                )
            seen["merchant", merchant.id] = merchant
        data = _data(_PRODUCT_NAMES, row[b:c], _PRODUCT_READERS)
        product = seen["product", row[b]] = instance(Product, data, merchant=merchant)
    return instance(Sku, _data(_SKU_NAMES, row[a:b], _SKU_READERS), product=product)


def load_skus(sku_ids: list[int], *, with_settings: bool = False) -> dict[int, Sku]:
    """SKUs with their product (the columns above) and merchant, in one query whose SQL is
    built once; ``with_settings``: the merchant's order settings too
    (``merchant.order_settings_loaded``)."""
    ids = sorted(set(sku_ids))
    if not ids:
        return {}
    rows = _SKUS.raw_rows({f"s{k}": i for k, i in enumerate(ids)}, len(ids), with_settings)
    seen: dict = {}
    return {row[0]: _sku_from(row, 0, with_settings, seen) for row in rows}


def cart_lines(
    user_id: int,
    *,
    selected: bool = False,
    line_ids: list[int] | None = None,
    with_settings: bool = False,
) -> list[tuple[CartLine, Sku]]:
    """The buyer's cart lines (all, the selected ones, or ``line_ids``) each with its SKU
    (product, merchant), in id order, in one query."""
    values: dict[str, Any] = {"user": user_id}
    kind: str | int = "selected" if selected else "all"
    if line_ids is not None:
        ids = sorted(set(line_ids))
        values.update({f"line{k}": i for k, i in enumerate(ids)})
        kind = len(ids)
    out = []
    width = len(_CART_NAMES)
    seen: dict = {}
    for row in _CART.raw_rows(values, kind, with_settings):
        line = instance(CartLine, _data(_CART_NAMES, row[:width], _CART_READERS))
        out.append((line, _sku_from(row, width, with_settings, seen)))
    return out


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


def _upsert_query():
    """Add to the buyer's line of a SKU, or create it, in one statement — only while the SKU
    is sellable (not deleted, its product on shelf, its merchant active: the rules of
    ``catalog.service.sellable_sku`` in SQL), at the SKU's price read by the statement itself.
    No row back: nothing changed (unsellable, or the sum would pass the limit)."""
    now = Param("now", CartLine.created_at)
    sellable = (
        (Sku.id == Param("sku"))
        & Sku.deleted_at.is_null()
        & on_shelf_expression(now)
        & (Merchant.is_active == True)  # noqa: E712  (SQL)
    )
    source = (
        Sku.select(
            pw.Cast(Param("user"), "BIGINT"),
            Sku.merchant,
            Sku.id,
            pw.Cast(Param("quantity"), "BIGINT"),
            True,
            Sku.price,
            now,
            now,
        )
        .join_from(Sku, Product, on=(Sku.product == Product.id))
        .join_from(Product, Merchant, on=(Product.merchant == Merchant.id))
        .where(sellable)
    )
    total = CartLine.quantity + pw.EXCLUDED.quantity
    columns = [
        CartLine.user,
        CartLine.merchant,
        CartLine.sku,
        CartLine.quantity,
        CartLine.selected,
        CartLine.added_unit_price,
        CartLine.created_at,
        CartLine.updated_at,
    ]
    return (
        CartLine.insert_from(source, columns)
        .on_conflict(
            conflict_target=[CartLine.user, CartLine.sku],
            update={
                CartLine.quantity: total,
                CartLine.selected: True,
                CartLine.updated_at: pw.EXCLUDED.updated_at,
            },
            where=(total <= MAX_QUANTITY),
        )
        .returning(*CART_COLUMNS)
    )


_UPSERT = Prepared(_upsert_query)


def add(user: User, sku_id: int, quantity: int) -> CartLine:
    """Add ``quantity`` of a SKU (to the line already there, if any): one statement; the SKU
    is read again only to say why nothing was added."""
    _check_quantity(quantity)
    row = _UPSERT.one({"user": user.id, "sku": sku_id, "quantity": quantity, "now": utcnow()})
    if row is None:
        sku = load_skus([sku_id]).get(sku_id)
        if sku is None or sku.deleted_at is not None:
            raise SkuNotFound("SKU not found")
        if not is_on_shelf(sku.product, utcnow()) or not sku.product.merchant.is_active:
            raise ProductUnavailable(
                "this product is not on sale", errors={"sku_id": [f"SKU {sku_id} is not on sale."]}
            )
        _check_quantity(MAX_QUANTITY + 1)  # the line is there and the sum would pass the limit
    return instance(CartLine, dict(zip(_CART_NAMES, row, strict=True)))


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
    now = utcnow()
    groups: dict[int, dict[str, Any]] = {}
    for line, sku in cart_lines(user.id):  # one query, whatever the cart's size
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
