"""The server-side cart: one line per buyer and SKU, across merchants."""

from __future__ import annotations

import peewee as pw

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.catalog.models import Sku
from mallkit.core.db import BaseModel, utcnow

MAX_QUANTITY = 9999


class CartLine(BaseModel):
    """``added_unit_price`` remembers the price the buyer saw, so a price change is flagged."""

    user = pw.ForeignKeyField(User, backref="cart_lines", on_delete="CASCADE")
    merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
    sku = pw.ForeignKeyField(Sku, on_delete="CASCADE")
    quantity = pw.IntegerField()
    selected = pw.BooleanField(default=True)
    added_unit_price = pw.IntegerField()
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "sku"), True),)
