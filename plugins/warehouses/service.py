"""Warehouse rules: warehouses, stock per warehouse, allocation, release and transfers.

**Sellable stock is the sum.** A SKU is *warehoused* once any warehouse holds a stock row
for it. Its ``sku.stock`` (what the catalog sells) is then kept equal to the sum of its
warehouse rows: every warehouse change moves the SKU's stock by the same amount through the
core's stock service (``decrement_stock``/``increment_stock``), in the same transaction, so
the core ledger stays whole and low-stock alerts keep working. Setting a warehouse's count
(a stock-take) makes the SKU's stock the sum again.

**Allocation** (``allocate_stock``, for an order): the warehouses that serve the order's
address (their ``regions`` name its city or province, or are empty) are tried by
``priority`` (higher first), then by distance from the address (nearest first); each gives
what it has until the quantity is met, so an order line may be split across warehouses. Not
enough in the serving warehouses: ``OutOfStock`` and the whole order is refused. Every
decrement is a conditional ``UPDATE ... WHERE quantity >= n`` (on PostgreSQL after
``SELECT ... FOR UPDATE`` of the SKU's row, then of its warehouse rows in id order), so a
warehouse never goes below zero however many checkouts run at once. What each warehouse gave
is recorded (``WarehouseAllocation``), and **release** (``release_stock``: a cancel, a refund
with restock) puts stock back into the warehouses it came from, most recently taken first.

**Transfers** move stock between two warehouses of the store as a document: ``draft`` →
``approved`` → ``shipped`` (out of the source: a ``transfer_out`` row; the SKUs' sellable stock
falls, the goods are on the road) → ``received`` (into the target: ``transfer_in``).
Cancelling a draft or approved transfer changes nothing; cancelling a shipped one puts the
stock back into the source (``transfer_in`` rows referencing the transfer). Each step is a
compare-and-set on the status: done exactly once however often it is sent.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from flask import g, has_app_context

from mallkit.core.plugin_api import (
    Allocation,
    Conflict,
    NotFound,
    Order,
    OutOfStock,
    Sku,
    StockReference,
    ValidationError,
    decrement_stock,
    increment_stock,
    is_postgres,
    locate_address,
    record_audit,
    transaction,
    utcnow,
)
from mallkit.plugins.warehouses.models import (
    Transfer,
    Warehouse,
    WarehouseAllocation,
    WarehouseMovement,
    WarehouseStock,
)

SOURCE = "warehouses"


# -- warehouses ------------------------------------------------------------------------------


def warehouses(merchant_id: int):
    return (
        Warehouse.select()
        .where(Warehouse.merchant_id == merchant_id)
        .order_by(Warehouse.priority.desc(), Warehouse.id)
    )


def warehouse(merchant_id: int, warehouse_id: int) -> Warehouse:
    row = Warehouse.get_or_none(
        (Warehouse.id == warehouse_id) & (Warehouse.merchant_id == merchant_id)
    )
    if row is None:
        raise NotFound("warehouse not found", code="warehouse_not_found")
    return row


def save_warehouse(
    merchant_id: int, data: dict[str, Any], warehouse_id: int | None = None, *, actor_id=None
) -> Warehouse:
    data = dict(data)
    if "province" in data or "city" in data:
        place = locate_address({"province": data.get("province"), "city": data.get("city")})
        data["lng"], data["lat"] = (place["lng"], place["lat"]) if place else (None, None)
    with transaction():
        if warehouse_id is None:
            row = Warehouse.create(merchant_id=merchant_id, **data)
        else:
            row = warehouse(merchant_id, warehouse_id)
            if data:
                Warehouse.update(**data).where(Warehouse.id == row.id).execute()
        record_audit(
            "warehouses.warehouse",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="warehouse",
            target_id=row.id,
            after={k: v for k, v in data.items() if k in ("name", "priority", "regions", "active")},
        )
    return Warehouse.get_by_id(row.id)


def _sku(merchant_id: int, sku_id: int) -> Sku:
    sku = Sku.get_or_none((Sku.id == sku_id) & (Sku.merchant == merchant_id))
    if sku is None:
        raise NotFound("SKU not found", code="sku_not_found")
    return sku


def stock_rows(merchant_id: int, *, warehouse_id=None, sku_id=None):
    query = WarehouseStock.select().where(WarehouseStock.merchant_id == merchant_id)
    if warehouse_id is not None:
        query = query.where(WarehouseStock.warehouse_id == warehouse_id)
    if sku_id is not None:
        query = query.where(WarehouseStock.sku_id == sku_id)
    return query.order_by(WarehouseStock.warehouse_id, WarehouseStock.sku_id)


def _lock(sku_id: int) -> list[WarehouseStock]:
    """The SKU's warehouse rows, on PostgreSQL locked after the SKU's own row (always that
    order, SKUs in id order as the core takes them, so two movements queue instead of
    deadlocking). The SKU row first: whether the SKU is warehoused at all is then read under
    the lock its first stock-take holds too — a sale that found no warehouse row (and took the
    SKU's own stock) and the stock-take that creates one no longer interleave."""
    if not is_postgres():
        return list(_stock_rows_of(sku_id))  # SQLite: the write transaction is the lock
    Sku.select(Sku.id).where(Sku.id == sku_id).for_update().execute()
    return list(_stock_rows_of(sku_id).for_update())


def _stock_rows_of(sku_id: int):
    return (
        WarehouseStock.select().where(WarehouseStock.sku_id == sku_id).order_by(WarehouseStock.id)
    )


def _move(
    row: WarehouseStock,
    delta: int,
    reason: str,
    reference: StockReference | None = None,
    actor_id: int | None = None,
) -> int:
    """Change one warehouse row by ``delta`` (never below zero) with its ledger row; returns
    the balance after. ``Conflict``-free: raises ``OutOfStock`` when a decrement cannot."""
    won = (
        WarehouseStock.update(quantity=WarehouseStock.quantity + delta, updated_at=utcnow())
        .where((WarehouseStock.id == row.id) & ((WarehouseStock.quantity + delta) >= 0))
        .returning(WarehouseStock.quantity)
        .tuples()
        .execute()
    )
    rows = list(won)
    if not rows:
        raise OutOfStock(
            "not enough stock in the warehouse",
            errors={str(row.sku_id): [f"warehouse {row.warehouse_id} is short"]},
        )
    after = rows[0][0]
    reference = reference or StockReference()
    WarehouseMovement.create(
        merchant_id=row.merchant_id,
        warehouse_id=row.warehouse_id,
        sku_id=row.sku_id,
        quantity=delta,
        balance_after=after,
        reason=reason,
        reference_type=reference.type,
        reference_id=str(reference.id),
        actor_id=actor_id,
    )
    return after


def set_stock(
    merchant_id: int, warehouse_id: int, sku_id: int, counted: int, *, actor_id=None
) -> WarehouseStock:
    """A stock-take of one SKU in one warehouse; the SKU's sellable stock becomes the sum of
    its warehouses (a core ``stocktake`` movement for the difference)."""
    with transaction():
        warehouse(merchant_id, warehouse_id)
        sku = _sku(merchant_id, sku_id)
        rows = _lock(sku_id)
        row = next((r for r in rows if r.warehouse_id == warehouse_id), None)
        if row is None:
            WarehouseStock.insert(
                warehouse_id=warehouse_id, sku_id=sku_id, merchant_id=merchant_id, quantity=0
            ).on_conflict_ignore().execute()
            rows = _lock(sku_id)
            row = next(r for r in rows if r.warehouse_id == warehouse_id)
        if counted != row.quantity:
            _move(
                row, counted - row.quantity, "stocktake", StockReference("stocktake", ""), actor_id
            )
        total = sum(counted if r.id == row.id else r.quantity for r in rows)
        current = Sku.get_by_id(sku.id).stock
        reference = StockReference("warehouse", str(warehouse_id))
        if total > current:
            increment_stock(
                sku_id,
                total - current,
                reason="stocktake",
                reference=reference,
                actor_id=actor_id,
                merchant_id=merchant_id,
            )
        elif total < current:
            decrement_stock(
                sku_id,
                current - total,
                reason="stocktake",
                reference=reference,
                actor_id=actor_id,
                merchant_id=merchant_id,
            )
    return WarehouseStock.get_by_id(row.id)


# -- allocation and release ------------------------------------------------------------------


def _distance(a: tuple[float | None, float | None], b: dict[str, Any] | None) -> float:
    if b is None or a[0] is None or a[1] is None:
        return math.inf
    lng1, lat1, lng2, lat2 = map(math.radians, (a[0], a[1], b["lng"], b["lat"]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def _serves(wh: Warehouse, place: dict[str, Any] | None) -> bool:
    if not wh.regions or place is None:
        return True
    return bool({place["province_code"], place["city_code"]} & set(wh.regions))


def plan_order(merchant_id: int, address: dict[str, Any] | None) -> list[Warehouse]:
    """The store's warehouses that serve ``address``, in the order they are asked."""
    place = locate_address(address) if address else None
    serving = [w for w in warehouses(merchant_id) if w.active and _serves(w, place)]
    return sorted(serving, key=lambda w: (-w.priority, _distance((w.lng, w.lat), place), w.id))


def _plan_for(merchant_id: int, reference: StockReference) -> list[Warehouse]:
    """The warehouse order for a document, worked out once per document and request (an
    order's SKUs are allocated one hook call each)."""
    cache = g.setdefault("warehouse_plans", {}) if has_app_context() else {}
    key = (merchant_id, reference.type, str(reference.id))
    if key not in cache:
        if len(cache) > 100:  # a long-lived app context (a worker): keep it small
            cache.clear()
        address = None
        if reference.type == "order":
            order = Order.get_or_none(Order.number == reference.id)
            address = order.address if order else None
        cache[key] = plan_order(merchant_id, address)
    return cache[key]


def allocate(merchant, sku, quantity: int, reference: StockReference) -> Allocation | None:
    rows = {r.warehouse_id: r for r in _lock(sku.id)}
    if not rows:
        return None  # not warehoused: the SKU's own stock (the core's default)
    left, taken = quantity, {}
    for wh in _plan_for(merchant.id, reference):
        row = rows.get(wh.id)
        if row is None or left == 0:
            continue
        available = row.quantity  # read under the lock (PostgreSQL) or the write lock (SQLite)
        for _attempt in range(5):  # should another writer still get there first: read again
            take = min(left, available)
            if take <= 0:
                break
            try:
                _move(row, -take, "sale", reference)
            except OutOfStock:
                available = WarehouseStock.get_by_id(row.id).quantity
                continue
            taken[wh.id] = take
            left -= take
            break
    if left:
        raise OutOfStock(
            "not enough stock in the warehouses that serve the address",
            errors={str(sku.id): [f"requested {quantity}, available {quantity - left}"]},
        )
    movement = decrement_stock(
        sku.id, quantity, reason="sale", reference=reference, merchant_id=merchant.id
    )
    WarehouseAllocation.insert_many(
        [
            {
                "merchant_id": merchant.id,
                "reference_type": reference.type,
                "reference_id": str(reference.id),
                "sku_id": sku.id,
                "warehouse_id": wid,
                "quantity": n,
                "created_at": utcnow(),
            }
            for wid, n in taken.items()
        ]
    ).execute()
    return Allocation(
        sku_id=sku.id,
        quantity=quantity,
        source=SOURCE,
        movement_ids=(movement.id,),
        data={"warehouses": {str(k): v for k, v in taken.items()}},
    )


def release(
    merchant, sku, quantity: int, reference: StockReference, reason: str, actor_id=None
) -> Allocation | None:
    """Put stock back into the warehouses ``reference`` took it from (latest first)."""
    rows = {r.warehouse_id: r for r in _lock(sku.id)}
    allocations = list(
        WarehouseAllocation.select()
        .where(
            (WarehouseAllocation.reference_type == reference.type)
            & (WarehouseAllocation.reference_id == str(reference.id))
            & (WarehouseAllocation.sku_id == sku.id)
            & (WarehouseAllocation.released < WarehouseAllocation.quantity)
        )
        .order_by(WarehouseAllocation.id.desc())
    )
    if not allocations:
        if not rows:
            return None  # not warehoused: back to the SKU's own stock
        # Warehoused since the stock was taken (or taken while the plugin was off): into the
        # first warehouse holding the SKU, so its stock stays the sum of its warehouses.
        first = next((w.id for w in warehouses(merchant.id) if w.id in rows), min(rows))
        _move(rows[first], quantity, reason, reference, actor_id)
        return _released(merchant, sku, quantity, reference, reason, actor_id, {first: quantity})
    left, back = quantity, {}
    for a in allocations:
        give = min(left, a.quantity - a.released)
        if give <= 0:
            continue
        won = (
            WarehouseAllocation.update(released=WarehouseAllocation.released + give)
            .where(
                (WarehouseAllocation.id == a.id)
                & (WarehouseAllocation.released + give <= WarehouseAllocation.quantity)
            )
            .execute()
        )
        if not won:
            raise Conflict("the stock was released meanwhile", code="stock_busy")
        _move(rows[a.warehouse_id], give, reason, reference, actor_id)
        back[a.warehouse_id] = back.get(a.warehouse_id, 0) + give
        left -= give
    if left:  # more than the warehouses gave: the rest to the first of them
        first = allocations[-1].warehouse_id
        _move(rows[first], left, reason, reference, actor_id)
        back[first] = back.get(first, 0) + left
    return _released(merchant, sku, quantity, reference, reason, actor_id, back)


def _released(merchant, sku, quantity, reference, reason, actor_id, back) -> Allocation:
    """The SKU's own stock follows its warehouses (one core movement)."""
    movement = increment_stock(
        sku.id, quantity, reason=reason, reference=reference, actor_id=actor_id
    )
    return Allocation(
        sku_id=sku.id,
        quantity=quantity,
        source=SOURCE,
        movement_ids=(movement.id,),
        data={"warehouses": {str(k): v for k, v in back.items()}},
    )


def refuse_warehoused(merchant_id: int, sku_ids: list[int]) -> None:
    """Refuse a change of warehoused SKUs' own stock (the catalog's stock-take or
    adjustments): their stock is the sum of their warehouses, changed there."""
    held = [
        sku_id
        for (sku_id,) in WarehouseStock.select(WarehouseStock.sku_id)
        .where((WarehouseStock.merchant_id == merchant_id) & WarehouseStock.sku_id.in_(sku_ids))
        .distinct()
        .order_by(WarehouseStock.sku_id)
        .tuples()
    ]
    if held:
        raise Conflict(
            "these SKUs are kept in warehouses: count them in their warehouses "
            "(PUT .../warehouses/{id}/stock/{sku_id}) or move them with a transfer",
            code="warehoused_sku",
            errors={str(sku_id): ["Counted per warehouse."] for sku_id in held},
        )


def allocations_of(merchant_id: int, reference_type: str, reference_id: str):
    return (
        WarehouseAllocation.select()
        .where(
            (WarehouseAllocation.merchant_id == merchant_id)
            & (WarehouseAllocation.reference_type == reference_type)
            & (WarehouseAllocation.reference_id == reference_id)
        )
        .order_by(WarehouseAllocation.id)
    )


# -- transfers -------------------------------------------------------------------------------

STEPS = {
    "approve": (("draft",), "approved"),
    "ship": (("approved",), "shipped"),
    "receive": (("shipped",), "received"),
    "cancel": (("draft", "approved", "shipped"), "cancelled"),
}


def transfer(merchant_id: int, transfer_id: int) -> Transfer:
    row = Transfer.get_or_none((Transfer.id == transfer_id) & (Transfer.merchant_id == merchant_id))
    if row is None:
        raise NotFound("transfer not found", code="transfer_not_found")
    return row


def create_transfer(merchant_id: int, data: dict[str, Any], *, actor_id=None) -> Transfer:
    source = warehouse(merchant_id, data["source_id"])
    target = warehouse(merchant_id, data["target_id"])
    if source.id == target.id:
        raise ValidationError(
            "a transfer goes between two warehouses",
            errors={"target_id": ["Another warehouse than the source."]},
        )
    merged: dict[int, int] = {}
    for line in data["lines"]:
        merged[line["sku_id"]] = merged.get(line["sku_id"], 0) + line["quantity"]
    for sku_id in merged:
        _sku(merchant_id, sku_id)
    with transaction():
        row = Transfer.create(
            merchant_id=merchant_id,
            number=uuid.uuid4().hex[:32],
            source_id=source.id,
            target_id=target.id,
            lines=[{"sku_id": k, "quantity": v} for k, v in sorted(merged.items())],
            note=data.get("note", ""),
            created_by=actor_id,
            history=[{"status": "draft", "at": utcnow().isoformat(), "by": actor_id}],
        )
        Transfer.update(number=f"TR{row.id:08d}").where(Transfer.id == row.id).execute()
    return Transfer.get_by_id(row.id)


def step_transfer(merchant_id: int, transfer_id: int, step: str, *, actor_id=None) -> Transfer:
    sources, target_status = STEPS[step]
    with transaction():
        row = transfer(merchant_id, transfer_id)
        won = (
            Transfer.update(status=target_status, updated_at=utcnow())
            .where((Transfer.id == row.id) & Transfer.status.in_(sources))
            .execute()
        )
        if not won:
            raise Conflict(
                f"a {row.status} transfer cannot {step}",
                code="invalid_transition",
                errors={"status": [row.status]},
            )
        was = Transfer.get_by_id(row.id)  # status after; ``row`` keeps the one before
        reference = StockReference("transfer", row.number)
        if step == "ship":
            _ship(row, reference, actor_id)
        elif step == "receive":
            _land(row, row.target_id, reference, actor_id)
        elif step == "cancel" and row.status == "shipped":
            _land(row, row.source_id, reference, actor_id)
        history = [
            *row.history,
            {"status": target_status, "at": utcnow().isoformat(), "by": actor_id},
        ]
        Transfer.update(history=history).where(Transfer.id == was.id).execute()
        record_audit(
            f"warehouses.transfer.{step}",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="transfer",
            target_id=row.number,
            before={"status": row.status},
            after={"status": target_status},
        )
    return Transfer.get_by_id(row.id)


def _ship(row: Transfer, reference: StockReference, actor_id) -> None:
    for line in row.lines:
        stocks = {s.warehouse_id: s for s in _lock(line["sku_id"])}
        source = stocks.get(row.source_id)
        if source is None:
            raise OutOfStock(
                "the source warehouse holds none of this SKU",
                errors={str(line["sku_id"]): ["None in the source warehouse."]},
            )
        _move(source, -line["quantity"], "transfer_out", reference, actor_id)
        decrement_stock(
            line["sku_id"],
            line["quantity"],
            reason="transfer",
            reference=reference,
            actor_id=actor_id,
            merchant_id=row.merchant_id,
        )


def _land(row: Transfer, warehouse_id: int, reference: StockReference, actor_id) -> None:
    for line in row.lines:
        stocks = {s.warehouse_id: s for s in _lock(line["sku_id"])}
        if warehouse_id not in stocks:
            WarehouseStock.insert(
                warehouse_id=warehouse_id,
                sku_id=line["sku_id"],
                merchant_id=row.merchant_id,
                quantity=0,
            ).on_conflict_ignore().execute()
            stocks = {s.warehouse_id: s for s in _lock(line["sku_id"])}
        _move(stocks[warehouse_id], line["quantity"], "transfer_in", reference, actor_id)
        increment_stock(
            line["sku_id"],
            line["quantity"],
            reason="transfer",
            reference=reference,
            actor_id=actor_id,
            merchant_id=row.merchant_id,
        )
