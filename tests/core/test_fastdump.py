"""fastdump gives exactly what marshmallow's dump gives: the same keys, the same values of the
same types (compared as JSON text), for every kind of field it copies itself and for those it
hands back to the field."""

from __future__ import annotations

import datetime as dt
import json

from marshmallow import Schema, fields, post_dump

from mallkit.core import fastdump
from mallkit.core.api import UtcDateTime
from mallkit.core.checkout import service as checkout
from mallkit.core.orders.schemas import OrderOut, order_view, orders_by_id
from tests.core.orders.conftest import ADDRESS, make_product, skus_of


def same(schema: Schema, data) -> None:
    expected = schema.dump(data)
    got = fastdump.dumper(schema)(data)
    assert json.dumps(got, sort_keys=True, default=str) == json.dumps(
        expected, sort_keys=True, default=str
    )
    assert got == expected


class Line(Schema):
    id = fields.Integer()
    name = fields.String()


class Everything(Schema):
    number = fields.Integer()
    text_of_number = fields.String(attribute="count")
    number_of_text = fields.Integer(attribute="digits")
    as_string = fields.Integer(as_string=True, attribute="total")
    flag = fields.Boolean()
    raw = fields.Raw()
    mapping = fields.Dict()
    typed_mapping = fields.Dict(keys=fields.String(), values=fields.Integer())
    renamed = fields.String(data_key="renamedKey", attribute="name")
    defaulted = fields.String(dump_default="x")
    dotted = fields.Integer(attribute="inner.value")
    at = UtcDateTime()
    plain_at = fields.DateTime()
    line = fields.Nested(Line)
    lines = fields.Nested(Line, many=True)
    listed = fields.List(fields.Nested(Line))
    numbers = fields.List(fields.Integer())
    absent = fields.String()


class Hooked(Schema):
    id = fields.Integer()

    @post_dump
    def tag(self, data, **kwargs):
        return {**data, "hooked": True}


class Obj:
    def __init__(self, **values):
        self.__dict__.update(values)


def test_every_field_kind_as_a_dict_and_as_an_object():
    at = dt.datetime(2026, 11, 27, 8, 30, 5, 123456)
    values = {
        "number": 7,
        "count": 8,
        "total": 9,
        "digits": "12",
        "flag": 1,
        "raw": [1, {"a": None}],
        "mapping": {"颜色": "红", "n": 2},
        "typed_mapping": {"a": "3"},
        "name": "T恤",
        "inner": {"value": 5},
        "at": at,
        "plain_at": at,
        "line": {"id": 1, "name": "a"},
        "lines": [{"id": 2, "name": 3}, {"id": 3}],
        "listed": [{"id": 4, "name": "d"}, None],
        "numbers": [1, 2],
    }
    same(Everything(), values)
    same(Everything(), Obj(**{**values, "inner": Obj(value=5)}))
    same(Everything(), {k: None for k in values})
    same(Everything(many=True), [values, {"number": 1}])
    same(Everything(only=("number", "line")), values)
    same(Everything(exclude=("at",)), values)
    same(Hooked(), {"id": 1})
    assert fastdump.dumper(Hooked())({"id": 1}) == {"id": 1, "hooked": True}


def test_placed_orders_dump_as_marshmallow_dumps_them(app, merchant, buyer):
    from mallkit.core.accounts.service import save_address

    address = save_address(buyer.user, ADDRESS)
    skus = skus_of(make_product(merchant, prices=(1990, 2990, 990), stocks=(9, 9, 9)))
    data = {
        "items": [{"sku_id": s.id, "quantity": q} for s, q in zip(skus, (1, 2, 3), strict=True)],
        "address_id": address.id,
        "buyer_note": "放门口",
    }
    placed = checkout.place(buyer.user, data)
    views = [order_view(o) for o in placed]
    same(OrderOut(many=True), views)
    same(OrderOut(many=True), orders_by_id([o.id for o in placed]))
    same(OrderOut(), orders_by_id([placed[0].id])[0])
