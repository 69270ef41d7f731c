"""The stock service: the only code that changes ``sku.stock``.

Every movement is a conditional ``UPDATE`` (a decrement carries ``AND stock + delta >= 0``,
so stock can never go negative and no update is lost however many processes sell at once)
followed by one ledger row per SKU with the balance the ``UPDATE ... RETURNING`` reported.
A movement that takes a SKU from above its low-stock threshold to at or below it writes one
:class:`LowStockAlert` and calls the ``on_low_stock`` hook — exactly once per crossing,
because the before/after balances come from the same atomic statement.

Contract for callers (the checkout, after-sales, stock-takes):

- the functions run inside the caller's transaction when there is one (a savepoint of their
  own: a refused movement changes nothing, even if the caller catches the error);
- many lines move together in a bounded number of queries, whatever the number of lines:
  one ``UPDATE`` for all SKUs, one ``INSERT`` of the ledger rows, one ``UPDATE`` of the
  products' sales counts for sales/cancels/refunds, and only when thresholds are crossed the
  alert rows and hook calls (plus, on PostgreSQL, one ``SELECT ... FOR UPDATE`` taking the row
  locks in id order so two checkouts never deadlock);
- quantities are positive ints; a refused decrement raises :class:`OutOfStock` with the
  short SKUs in ``errors`` and moves nothing.

The checkout uses :func:`allocate`, which asks the ``allocate_stock`` hook (a warehouse plugin
may answer first) and, when only the built-in default would answer, takes the batched path.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import peewee as pw

from mallkit.core import audit, db
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.catalog.allocation import Allocation, StockReference
from mallkit.core.catalog.errors import OutOfStock, SkuNotFound
from mallkit.core.catalog.models import (
    DEFAULT_LOW_STOCK_THRESHOLD,
    STOCK_REASONS,
    CatalogSettings,
    LowStockAlert,
    Product,
    Sku,
    StockMovement,
)
from mallkit.core.db import transaction, utcnow
from mallkit.core.errors import Conflict, NotFound, ValidationError
from mallkit.core.plugins import call_isolated, merchant_plugins

log = logging.getLogger("mallkit.catalog.stock")

_SALES_SIGN = {"sale": 1, "cancel": -1, "refund": -1}


Lines = Mapping[int, int] | Iterable[tuple[int, int]]


def _merge(lines: Lines, sign: int) -> dict[int, int]:
    """``{sku_id: signed delta}``; the same SKU on several lines is summed."""
    items = lines.items() if isinstance(lines, Mapping) else lines
    deltas: dict[int, int] = {}
    for sku_id, quantity in items:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            raise ValidationError(
                "quantities are positive integers",
                code="invalid_quantity",
                errors={str(sku_id): ["A positive integer."]},
            )
        deltas[int(sku_id)] = deltas.get(int(sku_id), 0) + sign * quantity
    if not deltas:
        raise ValidationError("no stock lines given", code="invalid_quantity")
    return deltas


def _check_reason(reason: str) -> None:
    if reason not in STOCK_REASONS:
        raise ValidationError(
            f"unknown stock movement reason {reason!r}",
            errors={"reason": [f"One of {', '.join(STOCK_REASONS)}."]},
        )


# -- moving stock ----------------------------------------------------------------------------


def decrement(
    sku_id: int,
    quantity: int,
    *,
    reason: str = "sale",
    reference: StockReference | None = None,
    note: str = "",
    actor_id: int | None = None,
    merchant_id: int | None = None,
) -> StockMovement:
    """Take ``quantity`` off one SKU; :class:`OutOfStock` when there is not enough."""
    return decrement_many(
        {sku_id: quantity},
        reason=reason,
        reference=reference,
        note=note,
        actor_id=actor_id,
        merchant_id=merchant_id,
    )[0]


def decrement_many(
    lines: Lines,
    *,
    reason: str = "sale",
    reference: StockReference | None = None,
    note: str = "",
    actor_id: int | None = None,
    merchant_id: int | None = None,
) -> list[StockMovement]:
    """Take stock off many SKUs at once (an order's lines), all or nothing.

    ``lines`` is ``{sku_id: quantity}`` or ``[(sku_id, quantity), ...]``. With
    ``merchant_id`` only that merchant's SKUs are touched (others answer ``sku_not_found``).
    Returns the ledger rows, one per SKU, in SKU id order.
    """
    return _move(
        _merge(lines, -1),
        reason=reason,
        reference=reference,
        note=note,
        actor_id=actor_id,
        merchant_id=merchant_id,
    )


def increment(
    sku_id: int,
    quantity: int,
    *,
    reason: str = "cancel",
    reference: StockReference | None = None,
    note: str = "",
    actor_id: int | None = None,
    merchant_id: int | None = None,
) -> StockMovement:
    """Put ``quantity`` back on one SKU (a cancelled or refunded line, a restock)."""
    return increment_many(
        {sku_id: quantity},
        reason=reason,
        reference=reference,
        note=note,
        actor_id=actor_id,
        merchant_id=merchant_id,
    )[0]


def increment_many(
    lines: Lines,
    *,
    reason: str = "cancel",
    reference: StockReference | None = None,
    note: str = "",
    actor_id: int | None = None,
    merchant_id: int | None = None,
) -> list[StockMovement]:
    """Put stock back on many SKUs at once (deleted SKUs included: an old order's refund
    still restores its stock)."""
    return _move(
        _merge(lines, 1),
        reason=reason,
        reference=reference,
        note=note,
        actor_id=actor_id,
        merchant_id=merchant_id,
    )


def _lock_query(n: int, by_merchant: bool, lock: bool):
    """The SKUs a movement touches with their stock and effective low-stock threshold (their
    own, else the merchant's, else the default), in id order; on PostgreSQL their rows locked
    in that order, so two movements sharing SKUs queue instead of deadlocking."""
    effective = pw.fn.COALESCE(
        Sku.low_stock_threshold, CatalogSettings.low_stock_threshold, DEFAULT_LOW_STOCK_THRESHOLD
    )
    where = Sku.id.in_([db.Param(f"i{k}") for k in range(n)])
    if by_merchant:
        where &= Sku.merchant == db.Param("merchant")
    query = (
        Sku.select(Sku.id, Sku.stock, Sku.product, Sku.merchant, effective)
        .join(
            CatalogSettings,
            pw.JOIN.LEFT_OUTER,
            on=(CatalogSettings.merchant == Sku.merchant),
        )
        .where(where)
        .order_by(Sku.id)
    )
    return query.for_update(of=Sku) if lock else query


def _update_query(n: int | None, guarded: bool):
    """Apply the deltas: ``n`` pairs ``i{k}``/``d{k}`` (a CASE); on PostgreSQL (``n`` None)
    one JSON array of ``{"id", "delta"}`` in ``pairs``, the same SQL for any count."""
    now = db.Param("now", Sku.updated_at)
    if n is None:
        pairs = pw.fn.json_to_recordset(db.Param("pairs"))
        source = pw.NodeList((pairs, pw.SQL("AS d (id bigint, delta bigint)")))
        delta = pw.SQL("d.delta")
        where = Sku.id == pw.SQL("d.id")
        if guarded:
            where &= (Sku.stock + delta) >= 0
        return Sku.update(stock=Sku.stock + delta, updated_at=now).from_(source).where(where)
    delta = pw.Case(Sku.id, [(db.Param(f"i{k}"), db.Param(f"d{k}")) for k in range(n)])
    where = Sku.id.in_([db.Param(f"i{k}") for k in range(n)])
    if guarded:
        where &= (Sku.stock + delta) >= 0
    return Sku.update(stock=Sku.stock + delta, updated_at=now).where(where)


_LOCK = db.Prepared(_lock_query)
_UPDATE = db.Prepared(_update_query)


def _move(
    deltas: dict[int, int],
    *,
    reason: str,
    reference: StockReference | None,
    note: str,
    actor_id: int | None,
    merchant_id: int | None,
) -> list[StockMovement]:
    _check_reason(reason)
    ids = sorted(deltas)
    n = len(ids)
    values: dict[str, Any] = {"merchant": merchant_id, "now": utcnow()}
    for k, sku_id in enumerate(ids):
        values[f"i{k}"] = sku_id
        values[f"d{k}"] = deltas[sku_id]
    # No savepoint: the rows are read (and on PostgreSQL locked) first and the movement is
    # refused before anything is written. On SQLite every transaction holds the write lock
    # from its BEGIN IMMEDIATE, so the stock read cannot change before the update either.
    with transaction(savepoint=False):
        found = {r[0]: r for r in _LOCK.rows(values, n, merchant_id is not None, db.is_postgres())}
        short = [i for i in ids if i in found and found[i][1] + deltas[i] < 0]
        if len(found) != n or short:
            _refuse(deltas, found, short)
        decreasing = any(d < 0 for d in deltas.values())
        if db.is_postgres():
            values["pairs"] = json.dumps([{"id": i, "delta": deltas[i]} for i in ids])
            updated = _UPDATE.execute(values, None, decreasing).rowcount
        else:
            updated = _UPDATE.execute(values, n, decreasing).rowcount
        if updated != n:  # cannot happen with the rows locked; never record a partial move
            raise Conflict("the stock changed during the movement", code="stock_busy")
        rows = [(i, found[i][1] + deltas[i], found[i][2], found[i][3], found[i][4]) for i in ids]
        return _record(
            rows, deltas, reason=reason, reference=reference, note=note, actor_id=actor_id
        )


def _refuse(deltas: dict[int, int], found: dict[int, tuple], short: list[int]) -> None:
    """Raise the right error for a movement that cannot be applied."""
    unknown = [i for i in deltas if i not in found]
    if unknown:
        raise SkuNotFound("SKU not found", errors={str(i): ["No such SKU."] for i in unknown})
    raise OutOfStock(
        "not enough stock",
        errors={str(i): [f"requested {-deltas[i]}, available {found[i][1]}"] for i in short},
    )


_MOVEMENT_FIELDS = (
    "merchant",
    "sku",
    "product",
    "quantity",
    "balance_after",
    "reason",
    "reference_type",
    "reference_id",
    "note",
    "actor_id",
    "created_at",
)


def _record(
    rows: Sequence[tuple],
    deltas: dict[int, int],
    *,
    reason: str,
    reference: StockReference | None,
    note: str,
    actor_id: int | None,
) -> list[StockMovement]:
    """Write the ledger rows, sales counts and low-stock alerts for an applied movement.

    ``rows`` are ``(sku_id, stock_after, product_id, merchant_id, threshold)`` (the threshold
    None: the merchant's default).
    """
    reference = reference or StockReference()
    now = utcnow()
    rows = sorted(rows)
    data = [
        {
            "merchant": m,
            "sku": sku_id,
            "product": p,
            "quantity": deltas[sku_id],
            "balance_after": after,
            "reason": reason,
            "reference_type": reference.type,
            "reference_id": str(reference.id),
            "note": note[:255],
            "actor_id": actor_id,
            "created_at": now,
        }
        for sku_id, after, p, m, _threshold in rows
    ]
    ids = db.insert_rows(StockMovement, _MOVEMENT_FIELDS, data)
    movements = [db.instance(StockMovement, {"id": i, **d}) for i, d in zip(ids, data, strict=True)]
    sign = _SALES_SIGN.get(reason)
    if sign:
        _count_sales(rows, deltas, sign)
    _alert(rows, deltas)
    return movements


def _sales_query(n: int):
    change = pw.Case(Product.id, [(db.Param(f"p{k}"), db.Param(f"n{k}")) for k in range(n)])
    new = Product.sales_count + change
    return Product.update(sales_count=pw.Case(None, ((new < 0, 0),), new)).where(
        Product.id.in_([db.Param(f"p{k}") for k in range(n)])
    )


_SALES = db.Prepared(_sales_query)


def _count_sales(rows: Sequence[tuple], deltas: dict[int, int], sign: int) -> None:
    per_product: dict[int, int] = {}
    for sku_id, _after, product_id, _m, _t in rows:
        per_product[product_id] = per_product.get(product_id, 0) + abs(deltas[sku_id])
    values: dict[str, Any] = {}
    for k, (product_id, count) in enumerate(per_product.items()):
        values[f"p{k}"] = product_id
        values[f"n{k}"] = sign * count
    _SALES.execute(values, len(per_product))


# -- low stock -------------------------------------------------------------------------------


def merchant_threshold(merchant_id: int) -> int:
    """The merchant's default low-stock threshold (for SKUs without their own)."""
    row = (
        CatalogSettings.select(CatalogSettings.low_stock_threshold)
        .where(CatalogSettings.merchant == merchant_id)
        .tuples()
        .first()
    )
    return row[0] if row else DEFAULT_LOW_STOCK_THRESHOLD


def _alert(rows: Sequence[tuple], deltas: dict[int, int]) -> None:
    falling = [r for r in rows if deltas[r[0]] < 0]
    if not falling:
        return
    need_default = sorted({r[3] for r in falling if r[4] is None})
    defaults = dict.fromkeys(need_default, DEFAULT_LOW_STOCK_THRESHOLD)
    if need_default:
        defaults.update(
            CatalogSettings.select(CatalogSettings.merchant, CatalogSettings.low_stock_threshold)
            .where(CatalogSettings.merchant.in_(need_default))
            .tuples()
        )
    crossed = []
    for sku_id, after, product_id, merchant_id, own in falling:
        threshold = own if own is not None else defaults[merchant_id]
        before = after - deltas[sku_id]
        if before > threshold >= after:
            crossed.append(
                {
                    "merchant": merchant_id,
                    "sku": sku_id,
                    "product": product_id,
                    "stock": after,
                    "threshold": threshold,
                }
            )
    if not crossed:
        return
    LowStockAlert.insert_many(crossed).execute()
    _notify(crossed)


def _notify(crossed: list[dict[str, Any]]) -> None:
    """Call ``on_low_stock`` for each crossing, through the merchant's plugin view."""
    merchants = {
        m.id: m for m in Merchant.select().where(Merchant.id.in_({c["merchant"] for c in crossed}))
    }
    skus = {
        s.id: s
        for s in Sku.select(Sku, Product)
        .join(Product)
        .where(Sku.id.in_([c["sku"] for c in crossed]))
    }
    for c in crossed:
        merchant = merchants[c["merchant"]]
        call_isolated(  # a broken notifier must never block a sale
            merchant_plugins(merchant.id).hook.on_low_stock,
            merchant=merchant,
            sku=skus[c["sku"]],
            stock=c["stock"],
            threshold=c["threshold"],
        )


def acknowledge_alert(merchant_id: int, alert_id: int, *, actor_id: int | None) -> LowStockAlert:
    """Mark an alert seen (idempotent: acknowledging twice keeps the first time)."""
    with transaction():
        alert = LowStockAlert.get_or_none(
            (LowStockAlert.id == alert_id) & (LowStockAlert.merchant == merchant_id)
        )
        if alert is None:
            raise NotFound("alert not found", code="alert_not_found")
        LowStockAlert.update(acknowledged_at=utcnow(), acknowledged_by=actor_id).where(
            (LowStockAlert.id == alert.id) & LowStockAlert.acknowledged_at.is_null()
        ).execute()
    return LowStockAlert.get_by_id(alert.id)


# -- staff: stock-take and adjustments -------------------------------------------------------


def set_stock(
    sku_id: int,
    counted: int,
    *,
    reason: str = "stocktake",
    reference: StockReference | None = None,
    note: str = "",
    actor_id: int | None = None,
    merchant_id: int | None = None,
) -> StockMovement:
    """Set a SKU's stock to ``counted`` (a stock-take); the ledger row carries the difference.

    A compare-and-set on the stock read just before, retried when a sale slipped in between,
    so the difference recorded is exactly the one applied.
    """
    if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
        raise ValidationError(
            "counted stock is a non-negative integer",
            errors={"counted": ["A non-negative integer."]},
        )
    _check_reason(reason)
    with transaction():
        for _attempt in range(20):
            query = Sku.select(Sku.stock).where(Sku.id == sku_id)
            if merchant_id is not None:
                query = query.where(Sku.merchant == merchant_id)
            row = query.tuples().first()
            if row is None:
                raise SkuNotFound("SKU not found")
            current = row[0]
            rows = list(
                Sku.update(stock=counted, updated_at=utcnow())
                .where((Sku.id == sku_id) & (Sku.stock == current))
                .returning(Sku.id, Sku.stock, Sku.product, Sku.merchant, Sku.low_stock_threshold)
                .tuples()
                .execute()
            )
            if rows:
                return _record(
                    rows,
                    {sku_id: counted - current},
                    reason=reason,
                    reference=reference,
                    note=note,
                    actor_id=actor_id,
                )[0]
        raise Conflict("the stock kept changing; try the stock-take again", code="stock_busy")


def stocktake(
    merchant_id: int, counts: Mapping[int, int], *, note: str = "", actor_id: int | None = None
) -> list[StockMovement]:
    """Record counted stock for some of the merchant's SKUs (audited); a plugin keeping some
    of them elsewhere refuses it (``validate_stock_change``)."""
    with transaction():
        _validate_change(merchant_id, counts, "stocktake")
        movements = [
            set_stock(sku_id, counted, note=note, actor_id=actor_id, merchant_id=merchant_id)
            for sku_id, counted in sorted(counts.items())
        ]
        audit.record(
            "stock.stocktake",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="sku",
            target_id=",".join(str(m.sku_id) for m in movements),
            before={str(m.sku_id): m.balance_after - m.quantity for m in movements},
            after={str(m.sku_id): m.balance_after for m in movements},
        )
    return movements


def adjust(
    merchant_id: int,
    deltas: Mapping[int, int],
    *,
    reason: str = "adjustment",
    note: str = "",
    reference: StockReference | None = None,
    actor_id: int | None = None,
) -> list[StockMovement]:
    """Add to or take from some of the merchant's SKUs (returns, damage, corrections),
    all or nothing; a decrease never takes stock below zero (audited)."""
    if not deltas or any(
        not isinstance(d, int) or isinstance(d, bool) or d == 0 for d in deltas.values()
    ):
        raise ValidationError("each line moves a non-zero whole quantity", code="invalid_quantity")
    _check_reason(reason)
    with transaction():
        _validate_change(merchant_id, deltas, reason)
        movements = _move(
            {int(k): v for k, v in deltas.items()},
            reason=reason,
            reference=reference,
            note=note,
            actor_id=actor_id,
            merchant_id=merchant_id,
        )
        audit.record(
            f"stock.{reason}",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="sku",
            target_id=",".join(str(m.sku_id) for m in movements),
            before={str(m.sku_id): m.balance_after - m.quantity for m in movements},
            after={str(m.sku_id): m.balance_after for m in movements},
        )
    return movements


def _validate_change(merchant_id: int, lines: Mapping[int, int], reason: str) -> None:
    """Ask the merchant's plugins whether these SKUs' own stock may change by hand (a
    warehouse plugin refuses the SKUs whose stock is the sum of its warehouses)."""
    hook = merchant_plugins(merchant_id).hook.validate_stock_change
    if not hook.get_hookimpls():
        return
    hook(
        merchant=Merchant.get_by_id(merchant_id),
        sku_ids=sorted(int(k) for k in lines),
        reason=reason,
    )


# -- allocation (the checkout's entry point) -------------------------------------------------


def allocate(
    merchant: Merchant, lines: Sequence[tuple[int, int]], reference: StockReference
) -> list[Allocation]:
    """Allocate stock for an order's lines through the ``allocate_stock`` hook.

    Each line is asked of the merchant's allocators (first result wins: a warehouse plugin
    before the built-in default). When the built-in default is the only allocator, the lines
    are decremented together by :func:`decrement_many` — the same outcome as asking the
    default line by line, in a bounded number of queries. All or nothing.
    """
    deltas = _merge(lines, 1)
    caller = merchant_plugins(merchant.id).hook.allocate_stock
    if all(getattr(i.function, "takes_sku_stock", False) for i in caller.get_hookimpls()):
        # All or nothing by itself, without a savepoint (nothing is written before it can fail)
        movements = decrement_many(
            deltas, reason="sale", reference=reference, merchant_id=merchant.id
        )
        return [Allocation(m.sku_id, -m.quantity, "sku", (m.id,)) for m in movements]
    with transaction():
        skus = {
            s.id: s
            for s in Sku.select().where(Sku.id.in_(list(deltas)) & (Sku.merchant == merchant.id))
        }
        allocations = []
        for sku_id in sorted(deltas):
            if sku_id not in skus:
                raise SkuNotFound("SKU not found", errors={str(sku_id): ["No such SKU."]})
            result = caller(
                merchant=merchant, sku=skus[sku_id], quantity=deltas[sku_id], reference=reference
            )
            if result is None:
                raise Conflict("no stock allocator answered", code="no_allocator")
            allocations.append(result)
        return allocations


def release(
    merchant: Merchant,
    lines: Lines,
    reference: StockReference,
    *,
    reason: str = "cancel",
    actor_id: int | None = None,
) -> list[Allocation]:
    """Put stock taken for a document back (a cancelled order, a refund with restock) through
    the ``release_stock`` hook, so an allocator that took it from somewhere (a warehouse)
    puts it back there. When the built-in default is the only one answering, the lines go
    back together through :func:`increment_many`. All or nothing."""
    deltas = _merge(lines, 1)
    _check_reason(reason)
    caller = merchant_plugins(merchant.id).hook.release_stock
    with transaction():
        if all(getattr(i.function, "takes_sku_stock", False) for i in caller.get_hookimpls()):
            movements = increment_many(
                deltas, reason=reason, reference=reference, actor_id=actor_id
            )
            return [Allocation(m.sku_id, m.quantity, "sku", (m.id,)) for m in movements]
        skus = {s.id: s for s in Sku.select().where(Sku.id.in_(list(deltas)))}
        released = []
        for sku_id in sorted(deltas):
            if sku_id not in skus:
                raise SkuNotFound("SKU not found", errors={str(sku_id): ["No such SKU."]})
            result = caller(
                merchant=merchant,
                sku=skus[sku_id],
                quantity=deltas[sku_id],
                reference=reference,
                reason=reason,
                actor_id=actor_id,
            )
            if result is None:
                raise Conflict("no stock allocator answered", code="no_allocator")
            released.append(result)
        return released
