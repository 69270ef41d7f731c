"""Bulk import and export of a merchant's products as CSV (UTF-8, a header row).

One row per SKU; rows with the same ``product_key`` form one product, whose product-level
columns are read from its first row. Columns (only ``product_key``, ``name`` on a product's
first row and ``price_fen`` are required)::

    product_key, name, subtitle, description, category, brand, supplier, tags, images,
    video_url, on_shelf, specs, sku_code, price_fen, original_price_fen, cost_fen, weight_g,
    stock, low_stock_threshold, sku_image

``category`` is a path (``服装/男装/T恤``) and ``brand``/``supplier`` names; missing ones are
created. ``tags`` and ``images`` are ``|``-separated; ``specs`` is ``颜色:红;尺码:M`` (the
product's dimensions are those of its rows, in first-seen order). Money is in fen.

Import creates products. Every problem is reported with its line, field and message. By
default nothing is written when any row is bad; with ``skip_bad_rows`` the products with a
bad row are left out and the rest is imported. The products go through the same service and
validation as the API (:func:`mallkit.core.catalog.service.create_product`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

import marshmallow as ma
import peewee as pw

from mallkit.core.catalog import categories, service
from mallkit.core.catalog.models import Brand, Category, Product, ProductTag, Sku, Supplier, Tag
from mallkit.core.catalog.schemas import ProductIn
from mallkit.core.db import transaction
from mallkit.core.errors import MallkitError

COLUMNS = (
    "product_key", "name", "subtitle", "description", "category", "brand", "supplier", "tags",
    "images", "video_url", "on_shelf", "specs", "sku_code", "price_fen", "original_price_fen",
    "cost_fen", "weight_g", "stock", "low_stock_threshold", "sku_image",
)  # fmt: skip
_INTS = {  # column → (SKU field, required)
    "price_fen": ("price", True),
    "original_price_fen": ("original_price", False),
    "cost_fen": ("cost", False),
    "weight_g": ("weight", False),
    "stock": ("stock", False),
    "low_stock_threshold": ("low_stock_threshold", False),
}
_TRUE = {"1", "true", "yes", "y", "on", "是"}
_FALSE = {"0", "false", "no", "n", "off", "否"}


@dataclass(frozen=True)
class RowError:
    """One problem: the CSV line (the header is line 1), the column and what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass
class ImportReport:
    created_products: int = 0
    created_skus: int = 0
    skipped_products: int = 0
    errors: list[RowError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Group:
    key: str
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _read(stream: IO[str], report: ImportReport) -> list[_Group]:
    reader = csv.DictReader(stream)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("product_key", "name", "price_fen") if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing:
        report.errors.append(RowError(1, ",".join(missing), "required column missing"))
    for name in unknown:
        report.errors.append(RowError(1, name, "unknown column"))
    if missing or unknown:
        return []
    reader.fieldnames = header
    groups: dict[str, _Group] = {}
    line = 2
    for row in reader:
        clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if None in row:
            report.errors.append(RowError(line, "-", "more values than columns"))
        key = clean.get("product_key", "")
        if not key:
            report.errors.append(RowError(line, "product_key", "required"))
        else:
            groups.setdefault(key, _Group(key)).rows.append((line, clean))
        line = reader.line_num + 1
    return list(groups.values())


def _int(value: str) -> int:
    if not value.lstrip("-").isdigit():
        raise ValueError("a whole number (fen, grams or pieces)")
    return int(value)


def _specs(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        name, sep, val = part.partition(":")
        if not sep or not name.strip() or not val.strip():
            raise ValueError("write specs as 颜色:红;尺码:M")
        if name.strip() in out:
            raise ValueError(f"dimension {name.strip()!r} given twice")
        out[name.strip()] = val.strip()
    return out


def _payload(group: _Group, errors: list[RowError]) -> dict[str, Any] | None:
    """The ``ProductIn`` input for a group of rows, or None with ``errors`` filled."""
    first_line, first = group.rows[0]
    before = len(errors)
    skus: list[dict[str, Any]] = []
    dims: dict[str, list[str]] = {}
    for line, row in group.rows:
        sku: dict[str, Any] = {}
        for column, (name, required) in _INTS.items():
            value = row.get(column, "")
            if not value:
                if required:
                    errors.append(RowError(line, column, "required"))
                continue
            try:
                sku[name] = _int(value)
            except ValueError as exc:
                errors.append(RowError(line, column, str(exc)))
        try:
            specs = _specs(row.get("specs", ""))
        except ValueError as exc:
            errors.append(RowError(line, "specs", str(exc)))
            specs = {}
        if skus and set(specs) != set(skus[0]["specs"]):
            errors.append(
                RowError(line, "specs", "every row of a product names the same dimensions")
            )
        for name, value in specs.items():
            if value not in dims.setdefault(name, []):
                dims[name].append(value)
        sku["specs"] = specs
        if row.get("sku_code"):
            sku["code"] = row["sku_code"]
        if row.get("sku_image"):
            sku["image_url"] = row["sku_image"]
        skus.append(sku)
    if not first.get("name"):
        errors.append(RowError(first_line, "name", "required on the product's first row"))
    on_shelf = first.get("on_shelf", "").lower()
    if on_shelf and on_shelf not in _TRUE | _FALSE:
        errors.append(RowError(first_line, "on_shelf", "yes or no"))
    if len(errors) > before:
        return None
    data: dict[str, Any] = {
        "name": first["name"],
        "specs": [{"name": n, "values": v} for n, v in dims.items()],
        "skus": skus,
        "tags": [t.strip() for t in first.get("tags", "").split("|") if t.strip()],
        "images": [u.strip() for u in first.get("images", "").split("|") if u.strip()],
    }
    for column in ("subtitle", "description", "video_url"):
        if first.get(column):
            data[column] = first[column]
    if on_shelf:
        data["is_on_shelf"] = on_shelf in _TRUE
    return data


def _field_errors(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten marshmallow/mallkit field errors into ``(dotted field, message)``."""
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            out += _field_errors(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out += [(prefix or "-", m) for m in messages]
        else:
            for m in messages:
                out += _field_errors(m, prefix)
    else:
        out.append((prefix or "-", str(messages)))
    return out


_SKU_COLUMN = {v[0]: k for k, v in _INTS.items()} | {"code": "sku_code", "image_url": "sku_image"}


def _locate(group: _Group, name: str) -> tuple[int, str]:
    """Map a field path of the product payload (``skus.2.price``) to a line and a column."""
    parts = name.split(".")
    if parts[0] == "skus" and len(parts) >= 2 and parts[1].isdigit():
        index = min(int(parts[1]), len(group.rows) - 1)
        column = _SKU_COLUMN.get(parts[2], "specs") if len(parts) > 2 else "specs"
        return group.rows[index][0], column
    column = {"is_on_shelf": "on_shelf", "skus": "sku_code"}.get(parts[0], parts[0])
    return group.rows[0][0], column


def _links(merchant_id: int, row: dict[str, str]) -> dict[str, Any]:
    """Find or create the category path, brand and supplier named on a row."""
    out: dict[str, Any] = {}
    if row.get("category"):
        parent = None
        for name in filter(None, (p.strip() for p in row["category"].split("/"))):
            where = (
                (Category.merchant == merchant_id)
                & (Category.name == name)
                & (Category.parent.is_null() if parent is None else Category.parent == parent.id)
            )
            found = Category.get_or_none(where)
            parent = found or categories.create_category(
                merchant_id, {"name": name[:64], "parent_id": parent.id if parent else None}
            )
        out["category_id"] = parent.id if parent else None
    for column, model in (("brand", Brand), ("supplier", Supplier)):
        if row.get(column):
            name = row[column][:100]
            obj = model.get_or_none((model.merchant == merchant_id) & (model.name == name))
            obj = obj or model.create(merchant=merchant_id, name=name)
            out[f"{column}_id"] = obj.id
    return out


def import_csv(
    merchant_id: int,
    stream: IO[str],
    *,
    skip_bad_rows: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import products from CSV for a merchant; see the module docstring for the format."""
    report = ImportReport()
    groups = _read(stream, report)
    if report.errors and not groups:
        return report
    schema = ProductIn()
    with transaction() as txn:
        for group in groups:
            errors: list[RowError] = []
            payload = _payload(group, errors)
            data = None
            if payload is not None:
                try:
                    data = schema.load(payload)
                except ma.ValidationError as exc:
                    for name, message in _field_errors(exc.normalized_messages()):
                        errors.append(RowError(*_locate(group, name), message))
            if data is not None:
                try:
                    with transaction():
                        data.update(_links(merchant_id, group.rows[0][1]))
                        service.create_product(merchant_id, data)
                except MallkitError as exc:
                    pairs = _field_errors(exc.errors) or [("-", exc.message)]
                    errors += [RowError(*_locate(group, n), m) for n, m in pairs]
            if errors:
                report.errors += errors
                report.skipped_products += 1
            else:
                report.created_products += 1
                report.created_skus += len(group.rows)
            if progress:
                progress(len(group.rows))
        report.errors.sort(key=lambda e: e.line)
        if report.errors and not skip_bad_rows:
            txn.rollback()
            report.skipped_products += report.created_products
            report.created_products = report.created_skus = 0
            return report
    report.committed = True
    return report


def export_csv(
    merchant_id: int, stream: IO[str], *, progress: Callable[[int], None] | None = None
) -> int:
    """Write the merchant's live products as CSV (the import format); return the SKU rows."""
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    products = list(
        Product.select(Product, Brand.name, Supplier.name)
        .join_from(Product, Brand, on=(Product.brand == Brand.id), join_type=pw.JOIN.LEFT_OUTER)
        .join_from(
            Product, Supplier, on=(Product.supplier == Supplier.id), join_type=pw.JOIN.LEFT_OUTER
        )
        .where((Product.merchant == merchant_id) & Product.deleted_at.is_null())
        .order_by(Product.id)
    )
    ids = [p.id for p in products]
    tags: dict[int, list[str]] = {}
    skus: dict[int, list[Sku]] = {}
    paths = _category_paths(merchant_id)
    if ids:
        for pid, name in (
            ProductTag.select(ProductTag.product, Tag.name)
            .join(Tag)
            .where(ProductTag.product.in_(ids))
            .order_by(ProductTag.id)
            .tuples()
        ):
            tags.setdefault(pid, []).append(name)
        for sku in (
            Sku.select()
            .where(Sku.product.in_(ids) & Sku.deleted_at.is_null())
            .order_by(Sku.product, Sku.position)
        ):
            skus.setdefault(sku.product_id, []).append(sku)
    rows = 0
    for p in products:
        for n, sku in enumerate(skus.get(p.id, [])):
            head = n == 0
            writer.writerow([
                f"P{p.id}", p.name, p.subtitle if head else "",
                p.description if head else "", paths.get(p.category_id, "") if head else "",
                p.brand.name if head and p.brand_id else "",
                p.supplier.name if head and p.supplier_id else "",
                "|".join(tags.get(p.id, [])) if head else "",
                "|".join(p.images) if head else "", p.video_url if head else "",
                ("yes" if p.is_on_shelf else "no") if head else "",
                ";".join(f"{d['name']}:{sku.specs[d['name']]}" for d in p.specs),
                sku.code, sku.price, _blank(sku.original_price), _blank(sku.cost), sku.weight,
                sku.stock, _blank(sku.low_stock_threshold), sku.image_url,
            ])  # fmt: skip
            rows += 1
        if progress:
            progress(1)
    return rows


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _category_paths(merchant_id: int) -> dict[int, str]:
    names = {c.id: c for c in Category.select().where(Category.merchant == merchant_id)}
    return {
        cid: "/".join(names[int(i)].name for i in c.path.strip("/").split("/") if int(i) in names)
        for cid, c in names.items()
    }
