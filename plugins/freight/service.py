"""Freight rules: templates, product picks, and the quote checkout asks for.

The fee of one template for the lines that use it, to one region::

    units = pieces (method piece) or grams = Σ SKU weight × quantity (method weight)
    fee   = first_price + ⌈max(0, units − first_unit) / extra_unit⌉ × extra_price

with the row of the address's city if a row names it, else its province's, else the default
row. A free-shipping rule of the region (city, province or everywhere) whose every condition
holds — the template's lines' amount ≥ ``min_amount``, their pieces ≥ ``min_quantity`` —
makes the template's fee 0. A template that lists the city or province as undeliverable
refuses the order with the region named.

Several templates in one order: each template is priced on its own lines and the fees are
**summed**; the delivery estimate is the slowest template's. Lines of products that picked
no template use the store's default template; with no default they travel free. A store
without templates quotes nothing (the core's free standard delivery applies).
"""

from __future__ import annotations

from typing import Any

from mallkit.core.plugin_api import (
    Conflict,
    NotFound,
    Product,
    ShippingQuote,
    Sku,
    ValidationError,
    merchant_plugins,
    record_audit,
    transaction,
    utcnow,
)
from mallkit.plugins.freight.models import WEIGHT, FreightProduct, FreightTemplate
from mallkit.plugins.freight.regions import Place, regions

SOURCE = "freight"
CODE = "express"
DEFAULT_LABEL = "Express delivery"


# -- templates -------------------------------------------------------------------------------


def templates(merchant_id: int):
    return (
        FreightTemplate.select()
        .where(FreightTemplate.merchant_id == merchant_id)
        .order_by(FreightTemplate.id)
    )


def template(merchant_id: int, template_id: int) -> FreightTemplate:
    row = FreightTemplate.get_or_none(
        (FreightTemplate.id == template_id) & (FreightTemplate.merchant_id == merchant_id)
    )
    if row is None:
        raise NotFound("freight template not found", code="freight_template_not_found")
    return row


def _check_regions(data: dict[str, Any]) -> None:
    """Every code is a known province or city, and no region is in two rows."""
    known = regions().by_code
    errors: dict[str, Any] = {}
    seen: dict[str, int] = {}
    for n, row in enumerate(data.get("rows", [])):
        for code in row["regions"]:
            if code not in known:
                errors.setdefault("rows", {}).setdefault(str(n), []).append(
                    f"Unknown region {code}."
                )
            elif code in seen and seen[code] != n:
                errors.setdefault("rows", {}).setdefault(str(n), []).append(
                    f"{regions().name_of(code)} is already in row {seen[code]}."
                )
            seen.setdefault(code, n)
    for n, rule in enumerate(data.get("free", [])):
        bad = [c for c in rule["regions"] if c not in known]
        if bad:
            errors.setdefault("free", {})[str(n)] = [f"Unknown regions {', '.join(bad)}."]
    bad = [c for c in data.get("undeliverable", []) if c not in known]
    if bad:
        errors["undeliverable"] = [f"Unknown regions {', '.join(bad)}."]
    if errors:
        raise ValidationError("unknown or repeated regions", code="bad_regions", errors=errors)


def save_template(
    merchant_id: int, data: dict[str, Any], template_id: int | None = None, *, actor_id=None
) -> FreightTemplate:
    _check_regions(data)
    with transaction():
        if data.get("is_default"):
            query = FreightTemplate.update(is_default=False).where(
                FreightTemplate.merchant_id == merchant_id
            )
            if template_id is not None:
                query = query.where(FreightTemplate.id != template_id)
            query.execute()
        if template_id is None:
            row = FreightTemplate.create(merchant_id=merchant_id, **data)
        else:
            row = template(merchant_id, template_id)
            FreightTemplate.update(**data, updated_at=utcnow()).where(
                FreightTemplate.id == row.id
            ).execute()
        record_audit(
            "freight.template",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="freight_template",
            target_id=row.id,
            after={k: data[k] for k in ("name", "method", "is_default")},
        )
    return FreightTemplate.get_by_id(row.id)


def delete_template(merchant_id: int, template_id: int, *, actor_id=None) -> None:
    with transaction():
        row = template(merchant_id, template_id)
        used = FreightProduct.select().where(FreightProduct.template_id == row.id).count()
        if used:
            raise Conflict(
                f"{used} products use this template; move them first",
                code="freight_template_in_use",
            )
        row.delete_instance()
        record_audit(
            "freight.template_deleted",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="freight_template",
            target_id=row.id,
            before={"name": row.name},
        )


def render(row: FreightTemplate) -> dict[str, Any]:
    names = regions().name_of
    return {
        "id": row.id,
        "merchant_id": row.merchant_id,
        "name": row.name,
        "method": row.method,
        "is_default": row.is_default,
        "rows": [{**r, "region_names": [names(c) for c in r["regions"]]} for r in row.rows],
        "default_row": row.default_row,
        "free": row.free,
        "undeliverable": row.undeliverable,
        "updated_at": row.updated_at,
    }


# -- products --------------------------------------------------------------------------------


def _product(merchant_id: int, product_id: int) -> Product:
    product = Product.get_or_none((Product.id == product_id) & (Product.merchant == merchant_id))
    if product is None:
        raise NotFound("product not found", code="product_not_found")
    return product


def product_template(merchant_id: int, product_id: int) -> dict[str, Any]:
    _product(merchant_id, product_id)
    pick = FreightProduct.get_or_none(FreightProduct.product_id == product_id)
    row = FreightTemplate.get_or_none(FreightTemplate.id == pick.template_id) if pick else None
    return {
        "product_id": product_id,
        "template_id": row.id if row else None,
        "template_name": row.name if row else None,
    }


def pick_template(merchant_id: int, product_id: int, template_id: int | None) -> dict[str, Any]:
    """A product uses ``template_id`` (None: back to the store's default)."""
    with transaction():
        _product(merchant_id, product_id)
        if template_id is None:
            FreightProduct.delete().where(FreightProduct.product_id == product_id).execute()
        else:
            template(merchant_id, template_id)
            FreightProduct.insert(
                product_id=product_id,
                merchant_id=merchant_id,
                template_id=template_id,
                updated_at=utcnow(),
            ).on_conflict(
                conflict_target=[FreightProduct.product_id],
                update={
                    FreightProduct.template_id: template_id,
                    FreightProduct.updated_at: utcnow(),
                },
            ).execute()
    return product_template(merchant_id, product_id)


# -- quoting ---------------------------------------------------------------------------------


def fee(row: dict[str, Any], units: int) -> int:
    """first_price + ⌈(units − first_unit) / extra_unit⌉ × extra_price, in fen."""
    extra = max(0, units - row["first_unit"])
    steps = -(-extra // row["extra_unit"])  # ⌈extra / extra_unit⌉ in integers: no float
    return row["first_price"] + steps * row["extra_price"]


def _for_place(entries: list[dict[str, Any]], place: Place | None) -> dict[str, Any] | None:
    """The entry naming the place's city, else its province."""
    if place is None:
        return None
    for code in place.codes:
        for entry in entries:
            if code in entry["regions"]:
                return entry
    return None


def _is_free(tpl: FreightTemplate, place: Place | None, amount: int, pieces: int) -> bool:
    codes = set(place.codes) if place else set()
    for rule in tpl.free:
        if rule["regions"] and not codes & set(rule["regions"]):
            continue
        if rule.get("min_amount") is not None and amount < rule["min_amount"]:
            continue
        if rule.get("min_quantity") is not None and pieces < rule["min_quantity"]:
            continue
        return True
    return False


def _free_shipping_perk(merchant, buyer) -> bool:
    if buyer is None:
        return False
    answers = merchant_plugins(merchant.id).hook.buyer_perks(merchant=merchant, buyer=buyer)
    return any((a or {}).get("free_shipping") for a in answers)


def quote(merchant, buyer, lines: list[dict[str, Any]], address) -> list[ShippingQuote]:
    """The store's freight quote for the lines (see the module's docstring); ``[]`` for a
    store without templates."""
    tpls = {t.id: t for t in templates(merchant.id)}
    if not tpls or not lines:
        return []
    default = next((t for t in tpls.values() if t.is_default), None)
    picks = dict(
        FreightProduct.select(FreightProduct.product_id, FreightProduct.template_id)
        .where(FreightProduct.product_id.in_({ln["product_id"] for ln in lines}))
        .tuples()
    )
    groups: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        tpl = tpls.get(picks.get(line["product_id"])) or default
        if tpl is not None and not line.get("is_gift"):
            groups.setdefault(tpl.id, []).append(line)
    if not groups:
        return []
    weights: dict[int, int] = {}
    if any(tpls[t].method == WEIGHT for t in groups):
        ids = {ln["sku_id"] for t, ls in groups.items() if tpls[t].method == WEIGHT for ln in ls}
        weights = dict(Sku.select(Sku.id, Sku.weight).where(Sku.id.in_(ids)).tuples())
    place = regions().locate(address)
    config = merchant_plugins(merchant.id).config("freight") or {}
    label = config.get("label") or DEFAULT_LABEL
    total = 0
    days: list[tuple[int, int]] = []
    for tpl_id in sorted(groups):
        tpl, group = tpls[tpl_id], groups[tpl_id]
        if place is not None:
            blocked = next((c for c in place.codes if c in tpl.undeliverable), None)
            if blocked:
                return [
                    ShippingQuote(
                        SOURCE,
                        CODE,
                        label,
                        0,
                        deliverable=False,
                        reason=f"does not deliver to {regions().name_of(blocked)}",
                    )
                ]
        pieces = sum(ln["quantity"] for ln in group)
        units = (
            sum(weights.get(ln["sku_id"], 0) * ln["quantity"] for ln in group)
            if tpl.method == WEIGHT
            else pieces
        )
        row = _for_place(tpl.rows, place) or tpl.default_row
        if row.get("delivery_days"):
            days.append(tuple(row["delivery_days"]))
        amount = sum(ln.get("amount", ln["unit_price"] * ln["quantity"]) for ln in group)
        if not _is_free(tpl, place, amount, pieces):
            total += fee(row, units)
    if total and _free_shipping_perk(merchant, buyer):
        total, label = 0, f"{label} (member free shipping)"
    estimate = (max(d[0] for d in days), max(d[1] for d in days)) if days else None
    return [ShippingQuote(SOURCE, CODE, label, total, delivery_days=estimate)]
