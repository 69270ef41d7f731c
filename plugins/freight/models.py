"""Freight tables: a store's templates (their region rows, free-shipping rules and
undeliverable regions kept with the template as JSON, validated by the schemas) and which
template each product uses."""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, JSONField, utcnow

PIECE, WEIGHT = "piece", "weight"
# how a template charges, named in both languages (the console's selects and cells)
METHODS_ZH = {PIECE: "按件计费", WEIGHT: "按重量计费"}
METHODS_EN = {PIECE: "By piece", WEIGHT: "By weight"}


class FreightTemplate(BaseModel):
    """How a store charges freight for the products that use it.

    ``method``: ``piece`` (units are pieces) or ``weight`` (units are grams of the SKUs'
    ``weight``). ``rows``: ``[{"regions": [codes], "first_unit", "first_price",
    "extra_unit", "extra_price", "delivery_days": [fewest, most] | null}]``;
    ``default_row``: the same without ``regions``, for every other region; ``free``:
    ``[{"regions": [codes] (empty: everywhere), "min_amount", "min_quantity"}]``;
    ``undeliverable``: codes of provinces or cities it does not deliver to.
    ``is_default``: the template of the store's products that picked none (one per store)."""

    merchant_id = pw.IntegerField(index=True)
    name = pw.CharField(max_length=60)
    method = pw.CharField(max_length=8, default=PIECE)
    is_default = pw.BooleanField(default=False)
    rows = JSONField(default=list)
    default_row = JSONField(default=dict)
    free = JSONField(default=list)
    undeliverable = JSONField(default=list)
    created_at = pw.DateTimeField(default=utcnow)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "freight_template"


class FreightProduct(BaseModel):
    """The template a product picked."""

    product_id = pw.IntegerField(unique=True)
    merchant_id = pw.IntegerField(index=True)
    template_id = pw.IntegerField(index=True)
    updated_at = pw.DateTimeField(default=utcnow)

    class Meta:
        table_name = "freight_product"
