"""Money: integer minor units (fen) with an ISO currency. No float ever touches a price.

``apportion`` splits an amount across weights by the largest-remainder method, so the shares
always add up to the amount exactly — how discounts, freight and points are spread over lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of ``currency``."""

    amount: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"money amounts are int minor units, got {self.amount!r}")

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, qty: int) -> Money:
        return Money(self.amount * qty, self.currency)

    def to_dict(self) -> dict:
        return {"amount": self.amount, "currency": self.currency}

    def text(self) -> str:
        """How people read it, without a float: ``Money(123456).text()`` → ``"¥1,234.56"``,
        ``Money(-50).text()`` → ``"-¥0.50"``; another currency ``"1,234.56 USD"`` (the
        console's ``yuan()`` writes CNY the same way)."""
        sign, fen = ("-", -self.amount) if self.amount < 0 else ("", self.amount)
        digits = f"{fen // 100:,}.{fen % 100:02d}"
        return f"{sign}¥{digits}" if self.currency == "CNY" else f"{sign}{digits} {self.currency}"


def apportion(amount: int, weights: Sequence[int]) -> list[int]:
    """Split ``amount`` over ``weights`` in proportion, exactly (largest remainder).

    Shares are floors of the exact proportional shares; the units left over go to the largest
    fractional remainders (ties to the earlier line). With all weights zero the amount is split
    as evenly as possible. ``sum(result) == amount`` always.
    """
    if amount < 0:
        return [-s for s in apportion(-amount, weights)]
    if any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative")
    if not weights:
        if amount:
            raise ValueError("cannot apportion a non-zero amount over no lines")
        return []
    total = sum(weights)
    if total == 0:
        weights = [1] * len(weights)
        total = len(weights)
    shares = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    left = amount - sum(shares)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[i] += 1
    return shares
