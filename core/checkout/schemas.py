"""Schemas of the cart and checkout endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.accounts.schemas import AddressSnapshotIn
from mallkit.core.api import Schema
from mallkit.core.checkout.models import MAX_QUANTITY

Quantity = validate.Range(min=1, max=MAX_QUANTITY)


class CartAddIn(Schema):
    sku_id = fields.Integer(required=True, validate=validate.Range(min=1))
    quantity = fields.Integer(load_default=1, validate=Quantity)


class CartLinePatch(Schema):
    quantity = fields.Integer(validate=Quantity)
    selected = fields.Boolean()


class CartSelectIn(Schema):
    line_ids = fields.List(
        fields.Integer(), load_default=None, metadata={"description": "Omit for every line"}
    )
    selected = fields.Boolean(required=True)


class CartLineOut(Schema):
    id = fields.Integer()
    sku_id = fields.Integer()
    product_id = fields.Integer(allow_none=True)
    product_name = fields.String()
    sku_name = fields.String()
    image_url = fields.String()
    quantity = fields.Integer()
    selected = fields.Boolean()
    available = fields.Boolean()
    reason = fields.String(
        metadata={
            "description": "Why not available: product_unavailable, "
            "sku_unavailable, out_of_stock, "
            "insufficient_stock"
        }
    )
    stock = fields.Integer()
    unit_price = fields.Integer()
    added_unit_price = fields.Integer()
    price_changed = fields.Boolean()
    sale_unit_price = fields.Integer()
    price_label = fields.String()
    amount = fields.Integer()


class CartMerchantOut(Schema):
    merchant_id = fields.Integer()
    merchant_name = fields.String()
    currency = fields.String()
    lines = fields.List(fields.Nested(CartLineOut))
    selected_count = fields.Integer()
    subtotal = fields.Integer()
    discount_total = fields.Integer()
    freight = fields.Integer()
    total = fields.Integer()
    hints = fields.List(fields.Dict())


class CartOut(Schema):
    merchants = fields.List(fields.Nested(CartMerchantOut))
    count = fields.Integer()


class ActivityIn(Schema):
    """What a buy-now line takes part in; read by the plugin that owns ``type``."""

    type = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,31}$"),
        metadata={"description": "The plugin's activity kind: groupbuy, bargain, ..."},
    )
    id = fields.Integer(required=True, validate=validate.Range(min=1))
    params = fields.Dict(
        keys=fields.String(validate=validate.Length(max=32)),
        load_default=dict,
        validate=validate.Length(max=10),
        metadata={"description": 'e.g. {"group_id": 7, "share": "x"}'},
    )


class ItemIn(Schema):
    sku_id = fields.Integer(required=True, validate=validate.Range(min=1))
    quantity = fields.Integer(required=True, validate=Quantity)
    activity = fields.Nested(
        ActivityIn,
        load_default=None,
        metadata={"description": "Buy through a group buy, a bargain ..."},
    )


class MerchantOptionsIn(Schema):
    merchant_id = fields.Integer(required=True)
    shipping_code = fields.String(load_default=None, validate=validate.Length(max=64))
    coupon_ids = fields.List(fields.Integer(), load_default=list)
    points = fields.Integer(load_default=0, validate=validate.Range(min=0))
    note = fields.String(load_default="", validate=validate.Length(max=500))
    plugins = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.Dict(),
        load_default=dict,
        validate=validate.Length(max=20),
        metadata={
            "description": "The buyer's choices for the store's plugins, by plugin name "
            '(`{"stampcard": {"redeem": true}}`); each plugin documents its own. A name the '
            "store has not enabled is refused."
        },
    )


class CheckoutIn(Schema):
    cart_line_ids = fields.List(
        fields.Integer(),
        load_default=None,
        metadata={"description": "Default: the selected cart lines"},
    )
    items = fields.List(
        fields.Nested(ItemIn),
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Buy now, without the cart"},
    )
    address_id = fields.Integer(load_default=None)
    address = fields.Nested(AddressSnapshotIn, load_default=None)
    merchants = fields.List(fields.Nested(MerchantOptionsIn), load_default=list)
    buyer_note = fields.String(load_default="", validate=validate.Length(max=500))
    share_code = fields.String(
        load_default=None,
        validate=validate.Length(max=32),
        metadata={
            "description": "The share link the buyer came through: the order of its store "
            "records it (code, channel, UTM); an unknown or expired code is ignored"
        },
    )


class CheckoutPreviewOut(Schema):
    address = fields.Dict(allow_none=True)
    merchants = fields.List(
        fields.Dict(),
        metadata={
            "description": "Per store: totals, ``lines`` (with ``product_name``, ``sku_name``, "
            "``image_url`` and the price breakdown), ``applied`` and ``unusable`` offers, "
            "``shipping_options``, ``shipping`` and ``payment_channels``"
        },
    )
    total = fields.Integer()
