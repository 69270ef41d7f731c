"""The values ``allocate_stock`` exchanges with the core: the document stock is taken for
and where it was taken from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class StockReference:
    """The document a movement belongs to: ``StockReference("order", "20250101-0001")``."""

    type: str = ""
    id: str = ""


@dataclass(frozen=True, slots=True)
class Allocation:
    """What ``allocate_stock`` answers: where ``quantity`` of ``sku_id`` was taken from.

    ``source`` names the allocator (``"sku"`` for the built-in default, a warehouse plugin
    its own name); ``movement_ids`` are the ledger rows written; ``data`` is free for the
    allocator (warehouse ids and amounts, ...).
    """

    sku_id: int
    quantity: int
    source: str
    movement_ids: tuple[int, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
