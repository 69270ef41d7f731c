"""Category trees: one per merchant, plus the platform's (``merchant`` NULL).

Any depth; a node moves under another node of the same tree (never under itself or its own
descendants), siblings are ordered by ``position``, and a node is deleted only when it has no
children and no live products. ``path`` (``/1/5/12/``) makes "with descendants" one prefix
match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import peewee as pw

from mallkit.core import audit
from mallkit.core.catalog.models import Category, Product
from mallkit.core.db import transaction
from mallkit.core.errors import Conflict, NotFound, ValidationError

MAX_DEPTH = 10


def _scope(merchant_id: int | None) -> pw.Expression:
    return Category.merchant.is_null() if merchant_id is None else Category.merchant == merchant_id


def get_category(merchant_id: int | None, category_id: int) -> Category:
    """A category of this tree (``merchant_id`` None: the platform's); 404 otherwise."""
    category = Category.get_or_none((Category.id == category_id) & _scope(merchant_id))
    if category is None:
        raise NotFound("category not found", code="category_not_found")
    return category


def tree(merchant_id: int | None) -> list[dict[str, Any]]:
    """The whole tree as nested dicts (``children``), siblings by position — one query."""
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    rows = (
        Category.select()
        .where(_scope(merchant_id))
        .order_by(Category.depth, Category.position, Category.id)
    )
    for c in rows:
        node = {
            "id": c.id,
            "name": c.name,
            "icon_url": c.icon_url,
            "position": c.position,
            "parent_id": c.parent_id,
            "depth": c.depth,
            "children": [],
        }
        nodes[c.id] = node
        (nodes[c.parent_id]["children"] if c.parent_id in nodes else roots).append(node)
    return roots


def descendant_ids(category: Category) -> pw.ModelSelect:
    """A subquery of the ids of ``category`` and every category below it."""
    return Category.select(Category.id).where(Category.path.startswith(category.path))


def lineage(category_ids: Iterable[int | None]) -> dict[int, tuple[int, ...]]:
    """For each of ``category_ids`` that exists: the ids from the root of its tree down to
    itself (one query, read from ``path``). A product is in category ``c`` *or one of its
    sub-categories* when ``c`` is in the lineage of the product's category."""
    wanted = sorted({int(c) for c in category_ids if c})
    if not wanted:
        return {}
    out: dict[int, tuple[int, ...]] = {}
    rows = Category.select(Category.id, Category.path).where(Category.id.in_(wanted)).tuples()
    for category_id, path in rows:
        ids = tuple(int(x) for x in (path or "").strip("/").split("/") if x)
        out[category_id] = ids if ids[-1:] == (category_id,) else (*ids, category_id)
    return out


def _next_position(merchant_id: int | None, parent_id: int | None) -> int:
    parent = Category.parent.is_null() if parent_id is None else Category.parent == parent_id
    top = Category.select(pw.fn.MAX(Category.position)).where(_scope(merchant_id) & parent)
    value = top.scalar()
    return 0 if value is None else value + 1


def create_category(
    merchant_id: int | None, data: dict[str, Any], *, actor_id: int | None = None
) -> Category:
    """Add a category at the end of its parent's children (or at ``position``)."""
    with transaction():
        parent = None
        if data.get("parent_id") is not None:
            parent = get_category(merchant_id, data["parent_id"])
            if parent.depth + 1 >= MAX_DEPTH:
                raise ValidationError(
                    "the category tree is too deep",
                    errors={"parent_id": [f"At most {MAX_DEPTH} levels."]},
                )
        position = data.get("position")
        if position is None:
            position = _next_position(merchant_id, parent.id if parent else None)
        category = Category.create(
            merchant=merchant_id,
            parent=parent,
            name=data["name"],
            icon_url=data.get("icon_url", ""),
            position=position,
            depth=parent.depth + 1 if parent else 0,
        )
        path = (parent.path if parent else "/") + f"{category.id}/"
        Category.update(path=path).where(Category.id == category.id).execute()
        category.path = path
        audit.record(
            "category.create",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="category",
            target_id=category.id,
            after={"name": category.name, "parent_id": category.parent_id},
        )
    return category


def update_category(
    merchant_id: int | None,
    category_id: int,
    changes: dict[str, Any],
    *,
    actor_id: int | None = None,
) -> Category:
    """Rename, re-icon, reposition and/or move (``parent_id``; None: to the top level)."""
    with transaction():
        category = get_category(merchant_id, category_id)
        fields = {k: changes[k] for k in ("name", "icon_url", "position") if k in changes}
        if fields:
            Category.update(**fields).where(Category.id == category.id).execute()
        if "parent_id" in changes and changes["parent_id"] != category.parent_id:
            _move(merchant_id, category, changes["parent_id"])
        audit.record(
            "category.update",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="category",
            target_id=category.id,
            after=changes,
        )
    return Category.get_by_id(category.id)


def _move(merchant_id: int | None, category: Category, parent_id: int | None) -> None:
    parent = get_category(merchant_id, parent_id) if parent_id is not None else None
    if parent is not None and parent.path.startswith(category.path):
        raise ValidationError(
            "a category cannot move under itself or its descendants",
            code="category_cycle",
            errors={"parent_id": ["Inside the category being moved."]},
        )
    old_path, old_depth = category.path, category.depth
    new_path = (parent.path if parent else "/") + f"{category.id}/"
    new_depth = parent.depth + 1 if parent else 0
    deepest = (
        Category.select(pw.fn.MAX(Category.depth))
        .where(Category.path.startswith(old_path))
        .scalar()
    )
    if deepest - old_depth + new_depth >= MAX_DEPTH:
        raise ValidationError(
            "the category tree would be too deep",
            errors={"parent_id": [f"At most {MAX_DEPTH} levels."]},
        )
    Category.update(
        parent=parent, position=_next_position(merchant_id, parent.id if parent else None)
    ).where(Category.id == category.id).execute()
    # Re-root the whole subtree: swap the path prefix, shift the depth.
    Category.update(
        path=pw.Value(new_path).concat(pw.fn.SUBSTR(Category.path, len(old_path) + 1)),
        depth=Category.depth + (new_depth - old_depth),
    ).where(Category.path.startswith(old_path)).execute()


def reorder(
    merchant_id: int | None,
    parent_id: int | None,
    ordered_ids: Sequence[int],
    *,
    actor_id: int | None = None,
) -> list[Category]:
    """Give the children of ``parent_id`` the order of ``ordered_ids`` (all of them, once)."""
    with transaction():
        parent = Category.parent.is_null() if parent_id is None else Category.parent == parent_id
        if parent_id is not None:
            get_category(merchant_id, parent_id)
        siblings = [c.id for c in Category.select(Category.id).where(_scope(merchant_id) & parent)]
        if sorted(siblings) != sorted(ordered_ids) or len(set(ordered_ids)) != len(ordered_ids):
            raise ValidationError(
                "list every child of the parent exactly once",
                errors={"ids": ["Must be exactly the parent's children."]},
            )
        if ordered_ids:
            Category.update(
                position=pw.Case(Category.id, [(cid, n) for n, cid in enumerate(ordered_ids)])
            ).where(Category.id.in_(list(ordered_ids))).execute()
        audit.record(
            "category.reorder",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="category",
            target_id=parent_id or "",
            after={"ids": list(ordered_ids)},
        )
    return list(
        Category.select()
        .where(Category.id.in_(list(ordered_ids) or [0]))
        .order_by(Category.position)
    )


def delete_category(
    merchant_id: int | None, category_id: int, *, actor_id: int | None = None
) -> None:
    """Delete an empty category (no children, no live products)."""
    with transaction():
        category = get_category(merchant_id, category_id)
        if Category.select().where(Category.parent == category.id).exists():
            raise Conflict("the category has sub-categories", code="category_not_empty")
        column = Product.platform_category if merchant_id is None else Product.category
        if Product.select().where((column == category.id) & Product.deleted_at.is_null()).exists():
            raise Conflict("the category still has products", code="category_not_empty")
        # Soft-deleted products keep their rows but lose the link.
        Product.update({column: None}).where(column == category.id).execute()
        category.delete_instance()
        audit.record(
            "category.delete",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="category",
            target_id=category.id,
            before={"name": category.name},
        )


def category_path(category_id: int | None) -> list[Category]:
    """The category and its ancestors, root first (one query)."""
    if not category_id:
        return []
    category = Category.get_or_none(Category.id == category_id)
    if category is None:
        return []
    ids = [int(x) for x in category.path.strip("/").split("/") if x]
    found = {c.id: c for c in Category.select().where(Category.id.in_(ids))}
    return [found[i] for i in ids if i in found]
