"""Catalog rules for merchants: products with their SKUs, brands, suppliers, tags, shelf
status and settings, and :func:`sellable_sku` for the cart. No HTTP here.

Every function takes the merchant id explicitly and touches only that merchant's rows; an id
of another merchant's object answers 404 exactly like a missing one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import nh3
import peewee as pw

from mallkit.core import audit
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.catalog import categories, search, skus, stock
from mallkit.core.catalog.errors import ProductNotFound, ProductUnavailable, SkuNotFound
from mallkit.core.catalog.models import (
    Brand,
    CatalogSettings,
    Category,
    Product,
    ProductTag,
    Sku,
    Supplier,
    Tag,
)
from mallkit.core.catalog.visibility import is_on_shelf
from mallkit.core.db import transaction, utcnow
from mallkit.core.errors import Conflict, NotFound, ValidationError

PRODUCT_FIELDS = (
    "name",
    "subtitle",
    "description",
    "images",
    "video_url",
    "attributes",
    "is_on_shelf",
    "shelf_on_at",
    "shelf_off_at",
)
SKU_FIELDS = (
    "code",
    "price",
    "original_price",
    "cost",
    "weight",
    "low_stock_threshold",
    "image_url",
)
AUDITED_SKU_FIELDS = ("price", "original_price", "cost")


def sanitize_html(html: str) -> str:
    """Rich text as buyers may see it: ``nh3`` keeps formatting, images and links and drops
    scripts, event handlers and ``javascript:`` URLs."""
    return nh3.clean(html or "")


# -- brands, suppliers, tags -----------------------------------------------------------------


def _owned(model: type[pw.Model], merchant_id: int, object_id: int, what: str):
    obj = model.get_or_none((model.id == object_id) & (model.merchant == merchant_id))
    if obj is None:
        raise NotFound(f"{what} not found", code=f"{what}_not_found")
    return obj


def _unique_name(
    model: type[pw.Model], merchant_id: int, name: str, what: str, exclude: int | None = None
) -> None:
    query = model.select().where((model.merchant == merchant_id) & (model.name == name))
    if exclude is not None:
        query = query.where(model.id != exclude)
    if query.exists():
        raise Conflict(
            f"a {what} with this name exists",
            code=f"{what}_exists",
            errors={"name": ["Already used."]},
        )


def save_named(
    model: type[pw.Model],
    what: str,
    merchant_id: int,
    data: dict[str, Any],
    object_id: int | None = None,
    *,
    actor_id: int | None = None,
):
    """Create or update a brand, supplier or tag (names unique per merchant). Renaming a
    brand or tag refreshes the search tokens of its products."""
    with transaction():
        obj = _owned(model, merchant_id, object_id, what) if object_id is not None else None
        if "name" in data:
            _unique_name(model, merchant_id, data["name"], what, exclude=object_id)
        if obj is None:
            obj = model.create(merchant=merchant_id, **data)
        elif not data:
            return obj  # an empty PATCH changes nothing
        else:
            model.update(**data).where(model.id == obj.id).execute()
            if "name" in data and data["name"] != obj.name and model in (Brand, Tag):
                link = (
                    Product.brand == obj.id
                    if model is Brand
                    else Product.id.in_(
                        ProductTag.select(ProductTag.product).where(ProductTag.tag == obj.id)
                    )
                )
                refresh_search(Product.select(Product.id).where(link))
        audit.record(
            f"{what}.save",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type=what,
            target_id=obj.id,
            after=data,
        )
    return model.get_by_id(obj.id)


def delete_named(
    model: type[pw.Model],
    what: str,
    merchant_id: int,
    object_id: int,
    *,
    actor_id: int | None = None,
) -> None:
    """Delete a brand, supplier or tag; products keep existing without it."""
    with transaction():
        obj = _owned(model, merchant_id, object_id, what)
        affected = None
        if model is Tag:
            affected = list(
                ProductTag.select(ProductTag.product).where(ProductTag.tag == obj.id).tuples()
            )
        elif model is Brand:
            affected = list(Product.select(Product.id).where(Product.brand == obj.id).tuples())
        if model is Brand:
            Product.update(brand=None).where(Product.brand == obj.id).execute()
        elif model is Supplier:
            Product.update(supplier=None).where(Product.supplier == obj.id).execute()
        obj.delete_instance(recursive=False)
        if affected:
            refresh_search([r[0] for r in affected])
        audit.record(
            f"{what}.delete",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type=what,
            target_id=obj.id,
            before={"name": obj.name},
        )


def tags_by_name(merchant_id: int, names: Iterable[str]) -> list[Tag]:
    """The merchant's tags with these names, creating the missing ones."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n and n.strip()))
    if not wanted:
        return []
    found = {
        t.name: t for t in Tag.select().where((Tag.merchant == merchant_id) & Tag.name.in_(wanted))
    }
    for name in wanted:
        if name not in found:
            found[name] = Tag.create(merchant=merchant_id, name=name[:32])
    return [found[n] for n in wanted]


def refresh_search(product_ids: Iterable[int] | pw.ModelSelect) -> None:
    """Recompute the search tokens of some products (after a brand or tag rename)."""
    if isinstance(product_ids, pw.ModelSelect):
        ids = [r[0] for r in product_ids.tuples()]
    else:
        ids = list(product_ids)
    if not ids:
        return
    tag_names: dict[int, list[str]] = {}
    for pid, name in (
        ProductTag.select(ProductTag.product, Tag.name)
        .join(Tag)
        .where(ProductTag.product.in_(ids))
        .order_by(ProductTag.id)
        .tuples()
    ):
        tag_names.setdefault(pid, []).append(name)
    rows = (
        Product.select(Product.id, Product.name, Product.subtitle, Brand.name)
        .join(Brand, pw.JOIN.LEFT_OUTER)
        .where(Product.id.in_(ids))
        .tuples()
    )
    for pid, name, subtitle, brand in rows:
        doc = search.product_document(name, subtitle, brand or "", tag_names.get(pid, []))
        Product.update(**doc).where(Product.id == pid).execute()


# -- settings --------------------------------------------------------------------------------


def get_settings(merchant_id: int) -> dict[str, Any]:
    return {"low_stock_threshold": stock.merchant_threshold(merchant_id)}


def update_settings(
    merchant_id: int, data: dict[str, Any], *, actor_id: int | None = None
) -> dict[str, Any]:
    with transaction():
        before = get_settings(merchant_id)
        row = CatalogSettings.get_or_none(CatalogSettings.merchant == merchant_id)
        if row is None:
            CatalogSettings.create(merchant=merchant_id, **data)
        else:
            CatalogSettings.update(updated_at=utcnow(), **data).where(
                CatalogSettings.id == row.id
            ).execute()
        audit.record(
            "catalog.settings",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="merchant",
            target_id=merchant_id,
            before=before,
            after=data,
        )
    return get_settings(merchant_id)


# -- products --------------------------------------------------------------------------------


def get_product(merchant_id: int, product_id: int, *, deleted: bool = False) -> Product:
    """One of the merchant's products (deleted ones only when ``deleted``)."""
    where = (Product.id == product_id) & (Product.merchant == merchant_id)
    if not deleted:
        where &= Product.deleted_at.is_null()
    product = Product.get_or_none(where)
    if product is None:
        raise ProductNotFound("product not found")
    return product


def _links(merchant_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Resolve category, platform category, brand and supplier ids, all scoped."""
    out: dict[str, Any] = {}
    if "category_id" in data:
        cid = data["category_id"]
        out["category"] = categories.get_category(merchant_id, cid).id if cid else None
    if "platform_category_id" in data:
        cid = data["platform_category_id"]
        out["platform_category"] = categories.get_category(None, cid).id if cid else None
    for key, model, what in (("brand_id", Brand, "brand"), ("supplier_id", Supplier, "supplier")):
        if key in data:
            oid = data[key]
            out[what] = _owned(model, merchant_id, oid, what).id if oid else None
    return out


def _check_schedule(shelf_on_at: dt.datetime | None, shelf_off_at: dt.datetime | None) -> None:
    if shelf_on_at and shelf_off_at and shelf_on_at == shelf_off_at:
        raise ValidationError(
            "on- and off-shelf times are the same",
            errors={"shelf_off_at": ["Differs from shelf_on_at."]},
        )


def _check_codes(
    merchant_id: int, rows: Sequence[dict[str, Any]], exclude_product: int | None
) -> None:
    codes = [r["code"] for r in rows if r.get("code")]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ValidationError(
            "SKU codes repeat",
            code="duplicate_sku_code",
            errors={"skus": [f"Code {c!r} is used twice." for c in dupes]},
        )
    if not codes:
        return
    query = Sku.select(Sku.code).where(
        (Sku.merchant == merchant_id) & Sku.code.in_(codes) & Sku.deleted_at.is_null()
    )
    if exclude_product is not None:
        query = query.where(Sku.product != exclude_product)
    taken = sorted(r[0] for r in query.tuples())
    if taken:
        raise Conflict(
            "SKU codes already used by another product",
            code="duplicate_sku_code",
            errors={"skus": [f"Code {c!r} is already used." for c in taken]},
        )


def _price_range(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    prices = [r["price"] for r in rows]
    return {"price_min": min(prices), "price_max": max(prices)}


def _set_tags(product_id: int, tags: list[Tag]) -> None:
    ProductTag.delete().where(ProductTag.product == product_id).execute()
    if tags:
        ProductTag.insert_many([{"product": product_id, "tag": t.id} for t in tags]).execute()


def _document(data: dict[str, Any], brand_id: int | None, tags: list[str]) -> dict[str, str]:
    brand = Brand.select(Brand.name).where(Brand.id == brand_id).scalar() if brand_id else ""
    return search.product_document(data["name"], data.get("subtitle", ""), brand or "", tags)


def _sku_rows(merchant_id: int, data: dict[str, Any], specs: list[dict]) -> list[dict]:
    if data.get("skus") is not None:
        return skus.match_skus(specs, data["skus"])
    if data.get("sku_defaults") is not None:
        return skus.generate_skus(specs, data["sku_defaults"])
    raise ValidationError(
        "give the SKUs (or sku_defaults to generate them)",
        code="invalid_skus",
        errors={"skus": ["Missing."]},
    )


def _auto_code(product_id: int, row: dict[str, Any]) -> str:
    return row.get("code") or f"P{product_id}-{row['position'] + 1}"


def create_product(
    merchant_id: int, data: dict[str, Any], *, actor_id: int | None = None
) -> Product:
    """Create a product with its SKUs. ``data`` as :class:`ProductIn` loads it: ``specs``
    and either ``skus`` (each naming its combination) or ``sku_defaults`` (one SKU per
    combination). Initial stock goes through the stock service (one ledger row per SKU)."""
    specs = skus.check_specs(data.get("specs") or [])
    rows = _sku_rows(merchant_id, data, specs)
    _check_schedule(data.get("shelf_on_at"), data.get("shelf_off_at"))
    with transaction():
        links = _links(merchant_id, {"category_id": None, **data})
        tags = tags_by_name(merchant_id, data.get("tags") or [])
        _check_codes(merchant_id, rows, None)
        fields = {k: data[k] for k in PRODUCT_FIELDS if k in data}
        fields["description"] = sanitize_html(fields.get("description", ""))
        if _pending_on(fields.get("shelf_on_at")) and "is_on_shelf" not in data:
            fields["is_on_shelf"] = False  # scheduled to go on shelf: off until then
        product = Product.create(
            merchant=merchant_id,
            specs=specs,
            **fields,
            **links,
            **_price_range(rows),
            **_document(data, links.get("brand"), [t.name for t in tags]),
        )
        _set_tags(product.id, tags)
        _insert_skus(merchant_id, product.id, rows, actor_id=actor_id)
        audit.record(
            "product.create",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="product",
            target_id=product.id,
            after={
                "name": product.name,
                "skus": {r["spec_key"]: {f: r.get(f) for f in AUDITED_SKU_FIELDS} for r in rows},
            },
        )
    return Product.get_by_id(product.id)


def _insert_skus(
    merchant_id: int, product_id: int, rows: Sequence[dict[str, Any]], *, actor_id: int | None
) -> list[Sku]:
    created = []
    for row in rows:
        sku = Sku.create(
            product=product_id,
            merchant=merchant_id,
            code=_auto_code(product_id, row),
            specs=row["specs"],
            spec_key=row["spec_key"],
            position=row["position"],
            stock=0,
            **{f: row[f] for f in SKU_FIELDS if f in row and f != "code"},
        )
        created.append(sku)
        if row.get("stock"):
            stock.increment(
                sku.id,
                row["stock"],
                reason="adjustment",
                note="initial stock",
                actor_id=actor_id,
                merchant_id=merchant_id,
            )
    return created


def update_product(
    merchant_id: int, product_id: int, data: dict[str, Any], *, actor_id: int | None = None
) -> Product:
    """Change a product. ``skus`` (with ``specs`` when the dimensions change) replaces the
    SKU set: SKUs are matched by their combination and keep their ids, new combinations are
    added, missing ones are deleted softly. A changed ``stock`` on a kept SKU is recorded as a
    stock-take; price changes are audited."""
    with transaction():
        product = get_product(merchant_id, product_id)
        changes = {k: data[k] for k in PRODUCT_FIELDS if k in data}
        if "description" in changes:
            changes["description"] = sanitize_html(changes["description"])
        _check_schedule(
            changes.get("shelf_on_at", product.shelf_on_at),
            changes.get("shelf_off_at", product.shelf_off_at),
        )
        if "is_on_shelf" in changes:
            changes.update(_clear_passed_schedule(product, changes))
        elif _pending_on(changes.get("shelf_on_at")):
            changes["is_on_shelf"] = False  # scheduled to go on shelf: off until then
        changes.update(_links(merchant_id, data))
        tags = None
        if "tags" in data:
            tags = tags_by_name(merchant_id, data["tags"] or [])
            _set_tags(product.id, tags)
        if "specs" in data and data.get("skus") is None and data.get("sku_defaults") is None:
            raise ValidationError(
                "changing the specifications needs the SKUs too",
                code="invalid_skus",
                errors={"skus": ["Missing."]},
            )
        audit_skus = None
        if data.get("skus") is not None or data.get("sku_defaults") is not None:
            specs = skus.check_specs(data["specs"]) if "specs" in data else product.specs
            rows = _sku_rows(merchant_id, data, specs)
            changes["specs"] = specs
            changes.update(_price_range(rows))
            audit_skus = _replace_skus(merchant_id, product, rows, actor_id=actor_id)
        changes["updated_at"] = utcnow()
        Product.update(**changes).where(Product.id == product.id).execute()
        if {"name", "subtitle", "brand_id", "tags"} & set(data):
            refresh_search([product.id])
        audit.record(
            "product.update",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="product",
            target_id=product.id,
            before=audit_skus and audit_skus[0],
            after={
                "fields": sorted(set(data) - {"skus", "sku_defaults"}),
                **({"skus": audit_skus[1]} if audit_skus else {}),
            },
        )
    return Product.get_by_id(product.id)


def _replace_skus(
    merchant_id: int, product: Product, rows: Sequence[dict[str, Any]], *, actor_id: int | None
) -> tuple[dict, dict]:
    """Apply a new SKU set; return the audited (before, after) prices by combination."""
    current = {
        s.spec_key: s
        for s in Sku.select().where((Sku.product == product.id) & Sku.deleted_at.is_null())
    }
    _check_codes(merchant_id, rows, product.id)
    before = {k: {f: getattr(s, f) for f in AUDITED_SKU_FIELDS} for k, s in current.items()}
    keep = {r["spec_key"] for r in rows}
    gone = [s.id for k, s in current.items() if k not in keep]
    if gone:
        Sku.update(deleted_at=utcnow()).where(Sku.id.in_(gone)).execute()
    counts: dict[int, int] = {}
    new_rows = []
    for row in rows:
        sku = current.get(row["spec_key"])
        if sku is None:
            new_rows.append(row)
            continue
        fields = {f: row[f] for f in SKU_FIELDS if f in row}
        fields["code"] = _auto_code(product.id, row) if "code" in row else sku.code
        Sku.update(
            specs=row["specs"], position=row["position"], updated_at=utcnow(), **fields
        ).where(Sku.id == sku.id).execute()
        if "stock" in row and row["stock"] != sku.stock:
            counts[sku.id] = row["stock"]
    # Codes freed by deleted SKUs may be reused by new ones: insert after the soft delete.
    _insert_skus(merchant_id, product.id, new_rows, actor_id=actor_id)
    if counts:
        stock.stocktake(merchant_id, counts, note="product edit", actor_id=actor_id)
    after = {r["spec_key"]: {f: r.get(f) for f in AUDITED_SKU_FIELDS} for r in rows}
    return before, after


def _pending_on(shelf_on_at: dt.datetime | None) -> bool:
    return shelf_on_at is not None and shelf_on_at > utcnow()


def _clear_passed_schedule(product: Product, changes: dict[str, Any]) -> dict[str, Any]:
    """A manual on/off is the newest event: schedule times already passed are cleared."""
    now = utcnow()
    out: dict[str, Any] = {}
    for field in ("shelf_on_at", "shelf_off_at"):
        value = changes.get(field, getattr(product, field))
        if value is not None and value <= now:
            out[field] = None
    return out


def set_shelf(
    merchant_id: int, product_ids: Sequence[int], on_shelf: bool, *, actor_id: int | None = None
) -> int:
    """Put some of the merchant's products on or off shelf now (passed schedules cleared)."""
    now = utcnow()
    with transaction():
        owned = [
            r[0]
            for r in Product.select(Product.id)
            .where(
                Product.id.in_(list(product_ids))
                & (Product.merchant == merchant_id)
                & Product.deleted_at.is_null()
            )
            .tuples()
        ]
        missing = sorted(set(product_ids) - set(owned))
        if missing:
            raise ProductNotFound(
                "product not found", errors={"product_ids": [f"Not found: {missing}."]}
            )
        Product.update(
            is_on_shelf=on_shelf,
            updated_at=now,
            shelf_on_at=pw.Case(None, ((Product.shelf_on_at <= now, None),), Product.shelf_on_at),
            shelf_off_at=pw.Case(
                None, ((Product.shelf_off_at <= now, None),), Product.shelf_off_at
            ),
        ).where(Product.id.in_(owned)).execute()
        audit.record(
            "product.shelf",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="product",
            target_id=",".join(map(str, owned)),
            after={"on_shelf": on_shelf},
        )
    return len(owned)


def delete_product(merchant_id: int, product_id: int, *, actor_id: int | None = None) -> None:
    """Delete softly: buyers no longer see it and it cannot be bought; orders keep it."""
    with transaction():
        product = get_product(merchant_id, product_id)
        now = utcnow()
        Product.update(deleted_at=now, updated_at=now).where(Product.id == product.id).execute()
        audit.record(
            "product.delete",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="product",
            target_id=product.id,
            before={"name": product.name},
        )


# -- what the cart and checkout use ----------------------------------------------------------


def sellable_sku(sku_id: int) -> Sku:
    """The SKU with its product (``sku.product``) when a buyer may buy it now.

    Raises :class:`SkuNotFound` for an unknown or deleted SKU and :class:`ProductUnavailable`
    when the product is off shelf (manually or by schedule), deleted, or its store is closed.
    Stock is not checked here: the checkout's decrement is the only reliable check.
    """
    row = (
        Sku.select(Sku, Product, Merchant.is_active)
        .join(Product)
        .join(Merchant)
        .where(Sku.id == sku_id)
        .first()
    )
    if row is None or row.deleted_at is not None:
        raise SkuNotFound("SKU not found")
    product = row.product
    if not is_on_shelf(product, utcnow()) or not product.merchant.is_active:
        raise ProductUnavailable(
            "this product is not on sale", errors={"sku_id": [f"SKU {sku_id} is not on sale."]}
        )
    return row


def get_sku(merchant_id: int, sku_id: int) -> Sku:
    sku = Sku.get_or_none((Sku.id == sku_id) & (Sku.merchant == merchant_id))
    if sku is None:
        raise SkuNotFound("SKU not found")
    return sku


def foreign_ids(merchant_id: int, kind: str, ids: Iterable[Any]) -> list[Any]:
    """Which of ``ids`` are not the store's own ``kind`` (``products``, ``skus`` or
    ``categories`` — a store may also use the platform's categories), in the order given:
    for checking what a plugin's rule points at (a coupon's or a promotion's scope)."""
    wanted = [i for i in ids]
    numbers = {i for i in wanted if isinstance(i, int) and not isinstance(i, bool)}
    if kind == "products":
        mine = Product.select(Product.id).where(
            Product.id.in_(numbers) & (Product.merchant == merchant_id)
        )
    elif kind == "skus":
        mine = Sku.select(Sku.id).where(Sku.id.in_(numbers) & (Sku.merchant == merchant_id))
    elif kind == "categories":
        mine = Category.select(Category.id).where(
            Category.id.in_(numbers)
            & ((Category.merchant == merchant_id) | Category.merchant.is_null())
        )
    else:
        raise ValueError(f"unknown catalog kind {kind!r}")
    found = {row[0] for row in mine.tuples()} if numbers else set()
    return [i for i in wanted if i not in found]
