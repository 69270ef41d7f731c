"""Request and response schemas of the freight API."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.freight.models import METHODS_EN, METHODS_ZH, PIECE, WEIGHT

MAX_UNIT = 1_000_000  # pieces, or grams (1 t)
MAX_PRICE = 10_000_000  # fen
CODE = fields.String(validate=validate.Regexp(r"^\d{6}$"))


def _int(low: int, high: int, **kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high), **kwargs)


class FreightDeliveryDays(fields.List):
    def __init__(self, **kwargs):
        super().__init__(
            fields.Integer(strict=True, validate=validate.Range(min=0, max=60)),
            validate=validate.Length(equal=2),
            load_default=None,
            allow_none=True,
            metadata={
                "description": "[fewest, most] days to deliver; null: no estimate",
                "description_zh": "送达天数 [最少, 最多]；null 表示不显示预计时效",
            },
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        out = super()._deserialize(value, attr, data, **kwargs)
        if out is not None and len(out) == 2 and out[0] > out[1]:
            raise ValidationError("Fewest first.")
        return out


class FreightRowFields(Schema):
    first_unit = _int(
        1,
        MAX_UNIT,
        required=True,
        metadata={"description": "Pieces or grams", "description_zh": "件数或克数"},
    )
    first_price = _int(
        0, MAX_PRICE, required=True, metadata={"description": "Fen", "description_zh": "单位：分"}
    )
    extra_unit = _int(
        1,
        MAX_UNIT,
        required=True,
        metadata={"description": "Pieces or grams", "description_zh": "件数或克数"},
    )
    extra_price = _int(
        0, MAX_PRICE, required=True, metadata={"description": "Fen", "description_zh": "单位：分"}
    )
    delivery_days = FreightDeliveryDays()


class FreightRegionRow(FreightRowFields):
    regions = fields.List(
        CODE,
        required=True,
        validate=validate.Length(min=1, max=400),
        metadata={
            "description": "Province or city codes (GET /freight/regions)",
            "description_zh": "省或市的地区编码（见 GET /freight/regions）",
        },
    )


class FreightFreeRule(Schema):
    regions = fields.List(
        CODE,
        load_default=list,
        validate=validate.Length(max=400),
        metadata={
            "description": "Province or city codes; empty: everywhere",
            "description_zh": "省或市的地区编码；留空表示全部地区",
        },
    )
    min_amount = _int(
        1,
        MAX_PRICE * 100,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Free from this amount (fen) of the template's lines",
            "description_zh": "使用该模板的商品金额满此数（分）包邮",
        },
    )
    min_quantity = _int(
        1,
        MAX_UNIT,
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Free from this many pieces of the template's lines",
            "description_zh": "使用该模板的商品满此件数包邮",
        },
    )

    @validates_schema
    def _one(self, data, **kwargs):
        if data.get("min_amount") is None and data.get("min_quantity") is None:
            raise ValidationError("Give min_amount, min_quantity or both.", "min_amount")


class FreightTemplateIn(Schema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"label": "Template name", "label_zh": "模板名称"},
    )
    method = fields.String(
        load_default=PIECE,
        validate=validate.OneOf((PIECE, WEIGHT)),
        metadata={
            "label": "Charged by",
            "label_zh": "计费方式",
            "description": "piece: units are pieces; weight: grams (SKU weight)",
            "description_zh": "piece 按件计费（单位为件）；"
            "weight 按重量计费（单位为克，取 SKU 重量）",
            "choices": METHODS_EN,
            "choices_zh": METHODS_ZH,
        },
    )
    is_default = fields.Boolean(
        load_default=False,
        metadata={
            "label": "Default template",
            "label_zh": "默认模板",
            "description": "For products that picked no template",
            "description_zh": "用于未选择运费模板的商品",
        },
    )
    rows = fields.List(
        fields.Nested(FreightRegionRow),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"label": "Rates by region", "label_zh": "指定地区运费"},
    )
    default_row = fields.Nested(
        FreightRowFields, required=True, metadata={"label": "Default rate", "label_zh": "默认运费"}
    )
    free = fields.List(
        fields.Nested(FreightFreeRule),
        load_default=list,
        validate=validate.Length(max=50),
        metadata={"label": "Free delivery rules", "label_zh": "包邮条件"},
    )
    undeliverable = fields.List(
        CODE,
        load_default=list,
        validate=validate.Length(max=400),
        metadata={"label": "Undeliverable regions", "label_zh": "不配送地区"},
    )


class FreightRowOut(FreightRowFields):
    regions = fields.List(fields.String())
    region_names = fields.List(fields.String())


class FreightTemplateOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    name = fields.String()
    method = fields.String()
    is_default = fields.Boolean()
    rows = fields.List(fields.Nested(FreightRowOut))
    default_row = fields.Nested(FreightRowFields)
    free = fields.List(fields.Nested(FreightFreeRule))
    undeliverable = fields.List(fields.String())
    updated_at = UtcDateTime()


class FreightProductTemplateIn(Schema):
    template_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class FreightProductTemplateOut(Schema):
    product_id = fields.Integer()
    template_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "null: the default",
            "description_zh": "null 表示使用默认运费模板",
        },
    )
    template_name = fields.String(allow_none=True)


class FreightCityOut(Schema):
    code = fields.String()
    name = fields.String()


class FreightProvinceOut(Schema):
    code = fields.String()
    name = fields.String()
    cities = fields.List(fields.Nested(FreightCityOut))
