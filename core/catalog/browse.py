"""What buyers see: product lists with filters, search and sorting, the product detail,
related products, autocomplete — and ``extend_product`` for plugins.

Every buyer query goes through :func:`visible_products` (on shelf now, not deleted, store
active). A list page costs a fixed number of queries whatever its size: the count, the page
(with brand, merchant and an in-stock flag joined in), the tags of the page's products, and,
only when some plugin implements ``extend_product``, one read of the page's merchants'
enabled plugins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import peewee as pw

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.catalog import categories
from mallkit.core.catalog.errors import ProductNotFound
from mallkit.core.catalog.models import Brand, Category, Product, ProductTag, Sku, Supplier, Tag
from mallkit.core.catalog.search import search
from mallkit.core.catalog.visibility import on_shelf_expression
from mallkit.core.db import utcnow
from mallkit.core.plugin_store import MerchantPlugin
from mallkit.core.plugins import get_host, merchant_plugins

SORTS = ("relevance", "newest", "price_asc", "price_desc", "sales")


def in_stock_expression(product_id: Any = Product.id) -> pw.Node:
    """SQL: the product (``product_id``: its id column) has a live SKU with stock."""
    sku = Sku.alias("in_stock_sku")
    return pw.fn.EXISTS(
        sku.select(pw.SQL("1")).where(
            (sku.product == product_id) & sku.deleted_at.is_null() & (sku.stock > 0)
        )
    )


def in_stock_column() -> pw.Node:
    """The ``in_stock`` flag of a listed product, as a column: a scalar subquery (one index
    probe per row read). Written as ``EXISTS`` in the select list, PostgreSQL may turn it into
    a hashed subplan over every SKU with stock — in a 300,000-SKU catalog that took most of a
    list page's time."""
    sku = Sku.alias("in_stock_sku")
    first = (
        sku.select(pw.SQL("1"))
        .where((sku.product == Product.id) & sku.deleted_at.is_null() & (sku.stock > 0))
        .limit(1)
    )
    return pw.fn.COALESCE(first, 0) == 1


def active_merchant_ids() -> pw.ModelSelect:
    return Merchant.select(Merchant.id).where(Merchant.is_active == True)  # noqa: E712


def visible_products(*columns: Any) -> pw.ModelSelect:
    """Products buyers may see now, with their brand and an ``in_stock`` flag.

    The store check is a subquery, not a join, so a page ordered by id walks the primary key
    and stops after a page of rows instead of sorting the whole catalog.
    """
    return (
        Product.select(Product, Brand.id, Brand.name, in_stock_column().alias("in_stock"), *columns)
        .join_from(Product, Brand, pw.JOIN.LEFT_OUTER)
        .where(on_shelf_expression(utcnow()) & Product.merchant.in_(active_merchant_ids()))
    )


# The product columns a buyer list filters and sorts on.
LIST_COLUMNS = (
    "id", "merchant_id", "category_id", "platform_category_id", "brand_id", "price_min",
    "price_max", "sales_count", "is_on_shelf", "shelf_on_at", "shelf_off_at", "deleted_at",
)  # fmt: skip


class _Columns:
    """``Product``'s columns by column name (``.merchant_id``), read from a subquery that
    carries them (a PostgreSQL search's candidates) or, without one, from ``product``."""

    def __init__(self, source: pw.Node | None = None) -> None:
        self.source = source

    def __getattr__(self, name: str) -> Any:
        if name not in LIST_COLUMNS:
            raise AttributeError(name)
        if self.source is None:
            return Product._meta.columns[name]
        return getattr(self.source.c, name)


def browse(filters: dict[str, Any]) -> pw.SelectQuery:
    """The ids of the buyer product list for ``filters`` (merchant_id, category_id, brand_id,
    tag, tag_id, price_min, price_max, in_stock, q, sort), in list order: a page's products
    are then loaded with :func:`by_ids`. Invalid references simply match nothing.

    A search joins its capped candidates (docs/catalog.md); on PostgreSQL they are product rows
    carrying the columns filtered and sorted on, so the list reads them from the candidates
    instead of reading each candidate's product again."""
    q = (filters.get("q") or "").strip()
    finder = search(q) if q else None
    sort = filters.get("sort") or ("relevance" if finder else "newest")
    # A search ranks and pages through its first RANK_CAP matches only (docs/catalog.md).
    matches = None
    if finder and not finder.empty:
        matches = finder.candidates(columns=LIST_COLUMNS).alias("matches")
    if matches is not None and finder.carries_columns:
        p = _Columns(matches)
        query = pw.Select(from_list=[matches], columns=[p.id]).bind(Product._meta.database)
    else:
        p = _Columns()
        query = Product.select(Product.id)
        if matches is not None:
            query = query.join_from(Product, matches, on=(matches.c.id == Product.id))
    query = query.where(on_shelf_expression(utcnow(), p) & p.merchant_id.in_(active_merchant_ids()))
    if finder and matches is None:
        query = query.where(pw.SQL("1 = 0"))  # nothing searchable in the text
    if filters.get("merchant_id") is not None:
        query = query.where(p.merchant_id == filters["merchant_id"])
    if filters.get("category_id") is not None:
        category = Category.get_or_none(Category.id == filters["category_id"])
        if category is None or (
            filters.get("merchant_id") is not None
            and category.merchant_id not in (None, filters["merchant_id"])
        ):
            query = query.where(pw.SQL("1 = 0"))
        else:
            column = p.platform_category_id if category.merchant_id is None else p.category_id
            query = query.where(column.in_(categories.descendant_ids(category)))
    if filters.get("brand_id") is not None:
        query = query.where(p.brand_id == filters["brand_id"])
    if filters.get("tag_id") is not None:
        query = query.where(
            p.id.in_(
                ProductTag.select(ProductTag.product).where(ProductTag.tag == filters["tag_id"])
            )
        )
    if filters.get("tag"):
        query = query.where(
            p.id.in_(
                ProductTag.select(ProductTag.product).join(Tag).where(Tag.name == filters["tag"])
            )
        )
    if filters.get("price_min") is not None:
        query = query.where(p.price_max >= filters["price_min"])
    if filters.get("price_max") is not None:
        query = query.where(p.price_min <= filters["price_max"])
    if filters.get("in_stock"):
        query = query.where(in_stock_expression(p.id))
    order = {
        "newest": [p.id.desc()],
        "price_asc": [p.price_min, p.id.desc()],
        "price_desc": [p.price_min.desc(), p.id.desc()],
        "sales": [p.sales_count.desc(), p.id.desc()],
        "relevance": (
            [matches.c.rank.desc(), p.sales_count.desc(), p.id.desc()]
            if matches is not None
            else [p.sales_count.desc(), p.id.desc()]
        ),
    }[sort]
    return query.order_by(*order)


def by_ids(ids: Sequence[int]) -> list[Product]:
    """The visible products among ``ids``, loaded as :func:`visible_products` loads them, in
    the order of ``ids`` (a list page whose order was read first)."""
    if not ids:
        return []
    found = {p.id: p for p in visible_products().where(Product.id.in_(list(ids)))}
    return [found[i] for i in ids if i in found]


# -- representation --------------------------------------------------------------------------


def card(product: Product, merchant: Merchant) -> dict[str, Any]:
    """The list representation of a product loaded by :func:`visible_products`."""
    brand = product.brand if product.brand_id else None
    return {
        "id": product.id,
        "merchant_id": product.merchant_id,
        "merchant_name": merchant.name,
        "name": product.name,
        "subtitle": product.subtitle,
        "image": product.cover_url,
        "currency": merchant.currency,
        "price_min": product.price_min,
        "price_max": product.price_max,
        "sales_count": product.sales_count,
        "in_stock": bool(getattr(product, "in_stock", False)),
        "brand": {"id": brand.id, "name": brand.name} if brand else None,
        "tags": getattr(product, "tag_names", []),
        "extensions": {},
    }


def cards(products: Sequence[Product]) -> list[dict[str, Any]]:
    """Cards for a page of products: tags in one query, extensions in at most one more."""
    products = list(products)
    ids = [p.id for p in products]
    names: dict[int, list[str]] = {}
    if ids:
        for pid, name in (
            ProductTag.select(ProductTag.product, Tag.name)
            .join(Tag)
            .where(ProductTag.product.in_(ids))
            .order_by(ProductTag.id)
            .tuples()
        ):
            names.setdefault(pid, []).append(name)
    merchants = {}
    if products:
        merchants = {
            m.id: m
            for m in Merchant.select(Merchant.id, Merchant.name, Merchant.currency).where(
                Merchant.id.in_({p.merchant_id for p in products})
            )
        }
    out = []
    for p in products:
        p.tag_names = names.get(p.id, [])
        p.merchant = merchants[p.merchant_id]
        out.append(card(p, merchants[p.merchant_id]))
    extend(products, out)
    return out


def extend(products: Sequence[Product], representations: list[dict[str, Any]]) -> None:
    """Merge what ``extend_product`` hooks return into each representation's
    ``extensions``, calling each product's merchant's plugins."""
    host = get_host()
    if not products or not host.hook.extend_product.get_hookimpls():
        return
    views = _merchant_views(host, {p.merchant_id for p in products})
    for product, data in zip(products, representations, strict=True):
        merchant = product.merchant
        for fragment in views[product.merchant_id].extend_product(
            merchant=merchant, product=product, data=data
        ):
            if fragment:
                data["extensions"].update(fragment)


def _merchant_views(host, merchant_ids: set[int]) -> dict[int, Any]:
    """Hook views for many merchants from one read of their enabled plugins (the per-merchant
    :func:`~mallkit.core.plugins.merchant_plugins` would read once per merchant)."""
    enabled: dict[int, set[str]] = {m: set() for m in merchant_ids}
    rows = (
        MerchantPlugin.select(MerchantPlugin.merchant, MerchantPlugin.plugin)
        .where(MerchantPlugin.merchant.in_(list(merchant_ids)) & (MerchantPlugin.enabled == True))  # noqa: E712
        .tuples()
    )
    for merchant_id, plugin in rows:
        if plugin in host.plugins:
            enabled[merchant_id].add(plugin)
    return {m: host.view_for(names) for m, names in enabled.items()}


def detail(product_id: int, *, staff_merchant_id: int | None = None) -> dict[str, Any]:
    """The product detail: SKUs, brand, supplier, category path, tags, extensions and related
    products. Buyers see only visible products; staff (``staff_merchant_id``) see their own
    in any state, with costs."""
    if staff_merchant_id is None:
        product = visible_products().where(Product.id == product_id).first()
        if product is not None:
            product.merchant = Merchant.get_by_id(product.merchant_id)
    else:
        product = (
            Product.select(Product, Merchant)
            .join(Merchant)
            .where(
                (Product.id == product_id)
                & (Product.merchant == staff_merchant_id)
                & Product.deleted_at.is_null()
            )
            .first()
        )
    if product is None:
        raise ProductNotFound("product not found")
    sku_rows = list(
        Sku.select()
        .where((Sku.product == product.id) & Sku.deleted_at.is_null())
        .order_by(Sku.position, Sku.id)
    )
    brand = Brand.get_or_none(Brand.id == product.brand_id) if product.brand_id else None
    supplier = (
        Supplier.get_or_none(Supplier.id == product.supplier_id) if product.supplier_id else None
    )
    tags = list(
        Tag.select()
        .join(ProductTag)
        .where(ProductTag.product == product.id)
        .order_by(ProductTag.id)
    )
    data = {
        "id": product.id,
        "merchant_id": product.merchant_id,
        "merchant_name": product.merchant.name,
        "currency": product.merchant.currency,
        "name": product.name,
        "subtitle": product.subtitle,
        "description": product.description,
        "images": product.images,
        "video_url": product.video_url,
        "attributes": product.attributes,
        "specs": product.specs,
        "price_min": product.price_min,
        "price_max": product.price_max,
        "sales_count": product.sales_count,
        "in_stock": any(s.stock > 0 for s in sku_rows),
        "category": [
            {"id": c.id, "name": c.name} for c in categories.category_path(product.category_id)
        ],
        "platform_category": [
            {"id": c.id, "name": c.name}
            for c in categories.category_path(product.platform_category_id)
        ],
        "brand": brand
        and {
            "id": brand.id,
            "name": brand.name,
            "logo_url": brand.logo_url,
            "story": brand.story,
            "philosophy": brand.philosophy,
        },
        "supplier": supplier
        and {
            "id": supplier.id,
            "name": supplier.name,
            "contact_name": supplier.contact_name,
            "contact_phone": supplier.contact_phone,
        },
        "tags": [{"id": t.id, "name": t.name} for t in tags],
        "skus": [sku_data(s, staff=staff_merchant_id is not None) for s in sku_rows],
        "extensions": {},
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }
    if staff_merchant_id is not None:
        data.update(
            is_on_shelf=product.is_on_shelf,
            shelf_on_at=product.shelf_on_at,
            shelf_off_at=product.shelf_off_at,
            category_id=product.category_id,
            platform_category_id=product.platform_category_id,
            brand_id=product.brand_id,
            supplier_id=product.supplier_id,
        )
    extend([product], [data])
    return data


def sku_data(sku: Sku, *, staff: bool = False) -> dict[str, Any]:
    out = {
        "id": sku.id,
        "code": sku.code,
        "specs": sku.specs,
        "price": sku.price,
        "original_price": sku.original_price,
        "weight": sku.weight,
        "stock": sku.stock,
        "image_url": sku.image_url,
    }
    if staff:
        out.update(cost=sku.cost, low_stock_threshold=sku.low_stock_threshold)
    return out


# -- related and suggestions -----------------------------------------------------------------


def related(product_id: int, limit: int = 8) -> list[dict[str, Any]]:
    """Visible products related to a visible product: those the ``propose_related_products``
    hooks name first ("bought together" by default), then the same category and brand, then
    the same category or brand, best sellers first."""
    product = (
        visible_products(Merchant)  # the store comes with it: the hooks receive it
        .join_from(Product, Merchant)
        .where(Product.id == product_id)
        .first()
    )
    if product is None:
        raise ProductNotFound("product not found")
    proposals = merchant_plugins(product.merchant_id).hook.propose_related_products(
        merchant=product.merchant, product=product, limit=limit
    )
    together = list(dict.fromkeys(i for ids in proposals for i in ids or () if i != product.id))
    together = together[:limit]
    picked: list[Product] = []
    if together:
        found = {p.id: p for p in visible_products().where(Product.id.in_(together))}
        picked = [found[i] for i in together if i in found]
    if len(picked) < limit:
        same_category = (Product.category == product.category_id) if product.category_id else None
        same_brand = (Product.brand == product.brand_id) if product.brand_id else None
        alike = [c for c in (same_category, same_brand) if c is not None]
        if alike:
            either = alike[0] if len(alike) == 1 else alike[0] | alike[1]
            both = pw.Case(None, ((alike[0] & alike[-1], 1),), 0)
            exclude = [product.id] + [p.id for p in picked]
            picked += list(
                visible_products()
                .where(either & Product.id.not_in(exclude))
                .order_by(both.desc(), Product.sales_count.desc(), Product.id.desc())
                .limit(limit - len(picked))
            )
    return cards(picked)


def suggest(text: str, *, merchant_id: int | None = None, limit: int = 10) -> list[str]:
    """Autocomplete: names of visible products matching what was typed (the last word as a
    prefix), best sellers first, without repeats."""
    finder = search(text)
    if finder.empty:
        return []
    query = finder.apply(
        Product.select(Product.name).where(
            on_shelf_expression(utcnow()) & Product.merchant.in_(active_merchant_ids())
        )
    )
    if merchant_id is not None:
        query = query.where(Product.merchant == merchant_id)
    names: list[str] = []
    for (name,) in (
        query.order_by(Product.sales_count.desc(), Product.id.desc()).limit(limit * 3).tuples()
    ):
        if name not in names:
            names.append(name)
        if len(names) == limit:
            break
    return names
