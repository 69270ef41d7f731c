"""FAQ rules: a store's and the platform's entries (``owner`` is a merchant id, or None for
the platform), their search, and products' warranty and repair information.

Search uses the catalog's tokenizer from the plugin API (``search_document``,
``search_query_tokens``): the same CJK unigrams and bigrams, prefix words and AND of every
token as product search. The catalog's engines (FTS5, tsvector) are built over the product
table and are not reachable through the plugin API, so the FAQ matches its stored tokens
with ``LIKE`` — enough for the hundreds of entries a store has, on both databases.
"""

from __future__ import annotations

from typing import Any

import peewee as pw

from mallkit.core.plugin_api import (
    NotFound,
    Product,
    ValidationError,
    database,
    is_postgres,
    search_document,
    search_query_tokens,
    transaction,
    utcnow,
)
from mallkit.plugins.faq.models import FaqCategory, FaqEntry, ProductCare

Owner = int | None  # a merchant id, or None: the platform


def _mine(model, owner: Owner) -> pw.Expression:
    return model.merchant_id.is_null() if owner is None else model.merchant_id == owner


# -- categories ------------------------------------------------------------------------------


def categories(owner: Owner) -> pw.ModelSelect:
    return (
        FaqCategory.select()
        .where(_mine(FaqCategory, owner))
        .order_by(FaqCategory.position, FaqCategory.id)
    )


def category(owner: Owner, category_id: int) -> FaqCategory:
    row = FaqCategory.get_or_none((FaqCategory.id == category_id) & _mine(FaqCategory, owner))
    if row is None:
        raise NotFound("category not found", code="faq_category_not_found")
    return row


def save_category(owner: Owner, data: dict[str, Any], category_id: int | None = None):
    if category_id is None:
        return FaqCategory.create(merchant_id=owner, **data)
    row = category(owner, category_id)
    FaqCategory.update(**data).where(FaqCategory.id == row.id).execute()
    return FaqCategory.get_by_id(row.id)


def delete_category(owner: Owner, category_id: int) -> None:
    """Delete a category; its entries stay, uncategorised."""
    with transaction():
        row = category(owner, category_id)
        FaqEntry.update(category_id=None).where(FaqEntry.category_id == row.id).execute()
        row.delete_instance()


# -- entries ---------------------------------------------------------------------------------


def entry(owner: Owner, entry_id: int) -> FaqEntry:
    row = FaqEntry.get_or_none((FaqEntry.id == entry_id) & _mine(FaqEntry, owner))
    if row is None:
        raise NotFound("FAQ entry not found", code="faq_entry_not_found")
    return row


def _doc(question: str, answer: str) -> str:
    return f" {search_document(question, answer)} "


def save_entry(owner: Owner, data: dict[str, Any], entry_id: int | None = None) -> FaqEntry:
    """Create or change an entry; its category must be the same owner's."""
    if data.get("category_id") is not None:
        try:
            category(owner, data["category_id"])
        except NotFound:
            raise ValidationError(
                "no such category",
                code="invalid_category",
                errors={"category_id": ["Not a category of this FAQ."]},
            ) from None
    with transaction():
        if entry_id is None:
            return FaqEntry.create(
                merchant_id=owner, search_doc=_doc(data["question"], data["answer"]), **data
            )
        row = entry(owner, entry_id)
        merged = {"question": row.question, "answer": row.answer, **data}
        FaqEntry.update(
            **data,
            search_doc=_doc(merged["question"], merged["answer"]),
            updated_at=utcnow(),
        ).where(FaqEntry.id == row.id).execute()
        return FaqEntry.get_by_id(row.id)


def entries(
    owner: Owner,
    *,
    q: str = "",
    category_id: int | None = None,
    include_platform: bool = False,
    staff: bool = False,
) -> pw.ModelSelect:
    """Entries in category and position order; ``q`` keeps those matching every token of the
    search; the platform's entries follow the store's with ``include_platform``."""
    where = _mine(FaqEntry, owner)
    if include_platform and owner is not None:
        where |= FaqEntry.merchant_id.is_null()
    if not staff:
        where &= FaqEntry.published == True  # noqa: E712
    if category_id is not None:
        where &= FaqEntry.category_id == category_id
    if q.strip():
        tokens = search_query_tokens(q)
        if not tokens:
            return FaqEntry.select().where(pw.SQL("1 = 0"))
        for token in tokens:
            # The document is space-padded: " tok" starts a word, " tok " is the whole word.
            where &= FaqEntry.search_doc.contains(f" {token.text}" + ("" if token.prefix else " "))
    return (
        FaqEntry.select(FaqEntry)
        .join(FaqCategory, pw.JOIN.LEFT_OUTER, on=(FaqEntry.category_id == FaqCategory.id))
        .where(where)
        .order_by(
            FaqEntry.merchant_id.is_null(),  # the store's first, then the platform's
            FaqCategory.position.asc(nulls="LAST"),
            FaqEntry.category_id.asc(nulls="LAST"),
            FaqEntry.position,
            FaqEntry.id,
        )
    )


# -- warranty and repair ---------------------------------------------------------------------


def store_product(merchant_id: int, product_id: int) -> Product:
    product = Product.get_or_none((Product.id == product_id) & (Product.merchant == merchant_id))
    if product is None:
        raise NotFound("product not found", code="product_not_found")
    return product


def save_care(merchant_id: int, product_id: int, data: dict[str, Any]) -> ProductCare:
    store_product(merchant_id, product_id)
    ProductCare.insert(
        product_id=product_id, merchant_id=merchant_id, updated_at=utcnow(), **data
    ).on_conflict(
        conflict_target=[ProductCare.product_id],
        update={**data, "updated_at": utcnow()},
    ).execute()
    return ProductCare.get(ProductCare.product_id == product_id)


def care(merchant_id: int, product_id: int) -> ProductCare:
    store_product(merchant_id, product_id)
    row = ProductCare.get_or_none(ProductCare.product_id == product_id)
    if row is None:
        raise NotFound("no warranty information for this product", code="care_not_found")
    return row


def care_view(row: ProductCare) -> dict[str, Any]:
    return {"warranty_months": row.warranty_months, "warranty": row.warranty, "repair": row.repair}


CARE_COLUMNS = ("warranty_months", "warranty", "repair")
_care_sql: dict[bool, str] = {}


def care_of(product_id: int) -> dict[str, Any] | None:
    """A product's warranty and repair texts, or None — one indexed read.

    ``extend_product`` calls this once per product of every list page, and building a peewee
    query costs far more than the read itself, so the statement is compiled once per
    database kind and reused."""
    postgres = is_postgres()
    sql = _care_sql.get(postgres)
    if sql is None:
        columns = [getattr(ProductCare, name) for name in CARE_COLUMNS]
        query = ProductCare.select(*columns).where(ProductCare.product_id == 0)
        sql = _care_sql[postgres] = query.sql()[0]
    found = database.execute_sql(sql, (product_id,)).fetchone()
    return dict(zip(CARE_COLUMNS, found, strict=True)) if found else None
