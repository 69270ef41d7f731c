"""Request and response schemas of the warehouses API."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, UtcDateTime

CODE = fields.String(validate=validate.Regexp(r"^\d{6}$"))


class WarehouseIn(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"label": "Warehouse name", "label_zh": "仓库名称"},
    )
    priority = fields.Integer(
        load_default=0,
        strict=True,
        validate=validate.Range(min=-1000, max=1000),
        metadata={
            "label": "Priority",
            "label_zh": "发货优先级",
            "description": "Higher is tried first",
            "description_zh": "数值越大越优先发货",
        },
    )
    regions = fields.List(
        CODE,
        load_default=list,
        validate=validate.Length(max=400),
        metadata={
            "label": "Regions served",
            "label_zh": "配送区域",
            "description": "Province or city codes served; empty: everywhere",
            "description_zh": "配送覆盖的省或市地区编码；留空表示全部地区",
        },
    )
    province = fields.String(
        load_default="",
        validate=validate.Length(max=50),
        metadata={"label": "Province", "label_zh": "所在省份"},
    )
    city = fields.String(
        load_default="",
        validate=validate.Length(max=50),
        metadata={"label": "City", "label_zh": "所在城市"},
    )
    active = fields.Boolean(load_default=True, metadata={"label": "Active", "label_zh": "启用"})


class WarehousePatch(Schema):
    name = fields.String(
        validate=validate.Length(min=1, max=60),
        metadata={"label": "Warehouse name", "label_zh": "仓库名称"},
    )
    priority = fields.Integer(
        strict=True,
        validate=validate.Range(min=-1000, max=1000),
        metadata={"label": "Priority", "label_zh": "发货优先级"},
    )
    regions = fields.List(
        CODE,
        validate=validate.Length(max=400),
        metadata={"label": "Regions served", "label_zh": "配送区域"},
    )
    province = fields.String(
        validate=validate.Length(max=50), metadata={"label": "Province", "label_zh": "所在省份"}
    )
    city = fields.String(
        validate=validate.Length(max=50), metadata={"label": "City", "label_zh": "所在城市"}
    )
    active = fields.Boolean(metadata={"label": "Active", "label_zh": "启用"})


class WarehouseOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    name = fields.String()
    priority = fields.Integer()
    regions = fields.List(fields.String())
    province = fields.String()
    city = fields.String()
    lng = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)
    active = fields.Boolean()


class WarehouseStockIn(Schema):
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=0, max=10_000_000)
    )


class WarehouseStockOut(Schema):
    warehouse_id = fields.Integer()
    sku_id = fields.Integer()
    quantity = fields.Integer()
    updated_at = UtcDateTime()


class WarehouseMovementOut(Schema):
    id = fields.Integer()
    warehouse_id = fields.Integer()
    sku_id = fields.Integer()
    quantity = fields.Integer()
    balance_after = fields.Integer()
    reason = fields.String()
    reference_type = fields.String()
    reference_id = fields.String()
    actor_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()


class WarehouseMovementArgs(Schema):
    sku_id = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))


class WarehouseAllocationArgs(Schema):
    order_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class WarehouseAllocationOut(Schema):
    sku_id = fields.Integer()
    warehouse_id = fields.Integer()
    quantity = fields.Integer()
    released = fields.Integer()


class WarehouseTransferLineIn(Schema):
    sku_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    quantity = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=10_000_000)
    )


class WarehouseTransferIn(Schema):
    source_id = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"label": "From warehouse id", "label_zh": "调出仓库 ID"},
    )
    target_id = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"label": "To warehouse id", "label_zh": "调入仓库 ID"},
    )
    lines = fields.List(
        fields.Nested(WarehouseTransferLineIn),
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"label": "Lines", "label_zh": "调拨明细"},
    )
    note = fields.String(load_default="", validate=validate.Length(max=255))


class WarehouseTransferOut(Schema):
    id = fields.Integer()
    number = fields.String()
    source_id = fields.Integer()
    target_id = fields.Integer()
    status = fields.String(
        metadata={
            "description": "draft, approved, shipped, received, cancelled",
            "description_zh": "draft 草稿、approved 已审核、shipped 已发出、"
            "received 已收货、cancelled 已取消",
        }
    )
    lines = fields.List(fields.Dict())
    note = fields.String()
    history = fields.List(fields.Dict())
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
