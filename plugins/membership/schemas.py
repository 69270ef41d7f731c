"""Membership schemas: the plugin config (levels, points, sign-in) and the REST I/O."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from mallkit.core.plugin_api import Schema as ApiSchema
from mallkit.core.plugin_api import UtcDateTime

DEFAULT_LEVELS = [
    {"name": "普通会员", "threshold": 0},
    {"name": "银卡会员", "threshold": 1000, "discount_percent": 2, "points_multiplier": 120},
    {
        "name": "金卡会员",
        "threshold": 5000,
        "discount_percent": 5,
        "points_multiplier": 150,
        "free_shipping": True,
        "early_access_minutes": 30,
    },
    {
        "name": "钻石会员",
        "threshold": 15000,
        "discount_percent": 10,
        "points_multiplier": 200,
        "free_shipping": True,
        "priority_shipping": True,
        "early_access_minutes": 60,
        "service_queue": "vip",
    },
]


class LevelSchema(Schema):
    """One level: reached at ``threshold`` growth; ``discount_percent`` off the catalog price
    (a ``member`` unit price); ``points_multiplier`` in percent (150 = ×1.5)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=32))
    threshold = fields.Integer(required=True, validate=validate.Range(min=0))
    discount_percent = fields.Integer(load_default=0, validate=validate.Range(min=0, max=99))
    points_multiplier = fields.Integer(load_default=100, validate=validate.Range(min=0, max=1000))
    free_shipping = fields.Boolean(load_default=False)
    priority_shipping = fields.Boolean(load_default=False)
    early_access_minutes = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=7 * 24 * 60)
    )
    service_queue = fields.String(load_default="", validate=validate.Length(max=32))


def check_levels(levels: list[dict]) -> None:
    """Thresholds start at 0 and strictly increase; field errors name the level."""
    errors: dict[int, dict[str, list[str]]] = {}
    if levels and levels[0]["threshold"] != 0:
        errors[0] = {"threshold": ["The first level starts at 0."]}
    for n in range(1, len(levels)):
        if levels[n]["threshold"] <= levels[n - 1]["threshold"]:
            errors[n] = {"threshold": ["Above the previous level's threshold."]}
    if errors:
        raise ValidationError({"levels": errors})


class CouponOffer(Schema):
    """A coupon template buyers may buy with points (through the coupons plugin)."""

    template_id = fields.Integer(required=True, validate=validate.Range(min=1))
    points = fields.Integer(required=True, validate=validate.Range(min=1, max=10**8))


class PointsGoods(Schema):
    """A SKU sold for points plus (optionally) cash: ``points`` per unit and ``price`` fen."""

    sku_id = fields.Integer(required=True, validate=validate.Range(min=1))
    points = fields.Integer(required=True, validate=validate.Range(min=1, max=10**8))
    price = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10**9))


class MembershipConfig(Schema):
    """The store's membership settings (docs/plugins/membership.md)."""

    levels = fields.List(
        fields.Nested(LevelSchema),
        load_default=lambda: [LevelSchema().load(x) for x in DEFAULT_LEVELS],
        validate=validate.Length(min=1, max=20),
        metadata={"label": "Levels", "label_zh": "会员等级"},
    )
    growth_per_yuan = fields.Integer(
        load_default=1,
        validate=validate.Range(min=0, max=100),
        metadata={"label": "Growth per yuan", "label_zh": "每消费 1 元得成长值"},
    )
    points_per_yuan = fields.Integer(
        load_default=1,
        validate=validate.Range(min=0, max=100),
        metadata={"label": "Points per yuan", "label_zh": "每消费 1 元得积分"},
    )
    earn_points_at = fields.String(
        load_default="pay",
        validate=validate.OneOf(("pay", "receipt")),
        metadata={
            "choices": {"pay": "On payment", "receipt": "On receipt"},
            "choices_zh": {"pay": "付款后发放", "receipt": "确认收货后发放"},
            "label": "Points earned at",
            "label_zh": "积分发放时机",
        },
    )
    points_valid_days = fields.Integer(
        load_default=365,
        validate=validate.Range(min=1, max=3650),
        metadata={"label": "Points valid (days)", "label_zh": "积分有效期（天）"},
    )
    points_per_yuan_redeemed = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=10000),
        metadata={"label": "Points per yuan off", "label_zh": "多少积分抵 1 元"},
    )
    redeem_cap_percent = fields.Integer(
        load_default=50,
        validate=validate.Range(min=0, max=100),
        metadata={"label": "Points pay at most (%)", "label_zh": "积分抵扣上限（%）"},
    )
    sign_in_rewards = fields.List(
        fields.Integer(validate=validate.Range(min=0, max=100000)),
        load_default=lambda: [5, 5, 10, 10, 15, 15, 30],
        validate=validate.Length(min=1, max=31),
        metadata={"label": "Sign-in rewards", "label_zh": "签到奖励积分"},
    )

    share_points = fields.Integer(
        load_default=10,
        validate=validate.Range(min=0, max=10000),
        metadata={"label": "Points per share", "label_zh": "分享奖励积分"},
    )
    share_rewards_per_day = fields.Integer(
        load_default=5,
        validate=validate.Range(min=0, max=100),
        metadata={"label": "Share rewards per day", "label_zh": "每日分享奖励次数"},
    )
    coupon_offers = fields.List(
        fields.Nested(CouponOffer),
        load_default=list,
        validate=validate.Length(max=100),
        metadata={"label": "Coupons for points", "label_zh": "积分兑换优惠券"},
    )
    points_goods = fields.List(
        fields.Nested(PointsGoods),
        load_default=list,
        validate=validate.Length(max=200),
        metadata={"label": "Goods for points", "label_zh": "积分商品"},
    )

    @validates_schema
    def _levels_in_order(self, data, **kwargs):
        check_levels(data.get("levels") or [])


class LevelsIn(ApiSchema):
    levels = fields.List(
        fields.Nested(LevelSchema), required=True, validate=validate.Length(min=1, max=20)
    )

    @validates_schema
    def _levels_in_order(self, data, **kwargs):
        check_levels(data.get("levels") or [])


class LevelOut(ApiSchema):
    rank = fields.Integer()
    name = fields.String()
    threshold = fields.Integer()
    discount_percent = fields.Integer()
    points_multiplier = fields.Integer()
    free_shipping = fields.Boolean()
    priority_shipping = fields.Boolean()
    early_access_minutes = fields.Integer()
    service_queue = fields.String()


class LevelsOut(ApiSchema):
    levels = fields.List(fields.Nested(LevelOut))


class MemberMeOut(ApiSchema):
    level = fields.Nested(LevelOut)
    next_level = fields.Nested(LevelOut, allow_none=True)
    growth = fields.Integer()
    growth_to_next = fields.Integer(allow_none=True)
    points = fields.Integer()
    balance = fields.Integer()
    frozen = fields.Integer()
    currency = fields.String()
    sign_streak = fields.Integer()
    signed_today = fields.Boolean()


class PointEntryOut(ApiSchema):
    id = fields.Integer()
    delta = fields.Integer()
    kind = fields.String()
    order_id = fields.Integer(allow_none=True)
    reason = fields.String()
    created_at = UtcDateTime()


class BalanceEntryOut(ApiSchema):
    id = fields.Integer()
    delta = fields.Integer()
    frozen_delta = fields.Integer()
    kind = fields.String()
    reference = fields.String()
    reason = fields.String()
    created_at = UtcDateTime()


class SignInOut(ApiSchema):
    local_date = fields.String()
    streak = fields.Integer()
    points = fields.Integer()
    balance = fields.Integer(
        metadata={"description": "Points after the sign-in", "description_zh": "签到后的积分余额"}
    )


class PackageIn(ApiSchema):
    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={"label": "Package name", "label_zh": "套餐名称"},
    )
    amount = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=10**9),
        metadata={"label": "Amount paid", "label_zh": "充值金额"},
    )
    bonus = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=10**9),
        metadata={"label": "Bonus", "label_zh": "赠送金额"},
    )
    active = fields.Boolean(load_default=True, metadata={"label": "On sale", "label_zh": "上架"})


class PackagePatch(ApiSchema):
    title = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"label": "Package name", "label_zh": "套餐名称"},
    )
    bonus = fields.Integer(
        validate=validate.Range(min=0, max=10**9),
        metadata={"label": "Bonus", "label_zh": "赠送金额"},
    )
    active = fields.Boolean(metadata={"label": "On sale", "label_zh": "上架"})


class PackageOut(ApiSchema):
    id = fields.Integer()
    title = fields.String()
    amount = fields.Integer()
    bonus = fields.Integer()
    active = fields.Boolean()


class RechargeIn(ApiSchema):
    package_id = fields.Integer(required=True)


class RechargeOut(ApiSchema):
    id = fields.Integer()
    user_id = fields.Integer()
    package_id = fields.Integer()
    order_id = fields.Integer()
    amount = fields.Integer()
    bonus = fields.Integer()
    status = fields.String()
    created_at = UtcDateTime()


class MemberOut(ApiSchema):
    user_id = fields.Integer()
    level = fields.Integer()
    level_name = fields.String()
    growth = fields.Integer()
    points = fields.Integer()
    balance = fields.Integer()
    frozen = fields.Integer()
    total_spent = fields.Integer()
    order_count = fields.Integer()
    last_order_at = UtcDateTime(allow_none=True)
    region = fields.String()
    tags = fields.List(fields.String())
    joined_at = UtcDateTime()


class MemberQuery(ApiSchema):
    q = fields.String(
        metadata={
            "label": "Search",
            "label_zh": "搜索会员",
            "description": "User id, name, phone or email contains",
            "description_zh": "按用户 ID、姓名、手机号或邮箱搜索（包含即可）",
        }
    )
    level = fields.Integer(metadata={"label": "Level", "label_zh": "会员等级"})
    segment_id = fields.Integer(metadata={"label": "Segment id", "label_zh": "人群 ID"})


class MemberAdjustIn(ApiSchema):
    delta = fields.Integer(
        required=True,
        validate=[validate.Range(min=-(10**8), max=10**8), validate.NoneOf((0,))],
        metadata={"label": "Change by", "label_zh": "增减数量"},
    )
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        metadata={"label": "Reason", "label_zh": "调整原因"},
    )


class TagsIn(ApiSchema):
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        required=True,
        validate=validate.Length(max=20),
    )


class SegmentRules(Schema):
    """Every rule given must hold (AND); none given: every member."""

    min_total_spent = fields.Integer(validate=validate.Range(min=0))
    max_total_spent = fields.Integer(validate=validate.Range(min=0))
    min_orders = fields.Integer(validate=validate.Range(min=0))
    max_orders = fields.Integer(validate=validate.Range(min=0))
    ordered_within_days = fields.Integer(validate=validate.Range(min=1, max=3650))
    no_order_for_days = fields.Integer(validate=validate.Range(min=1, max=3650))
    regions = fields.List(fields.String(validate=validate.Length(min=1, max=64)))
    levels = fields.List(fields.Integer(validate=validate.Range(min=0)))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=32)))

    @validates_schema
    def _ranges(self, data, **kwargs):
        for low, high in (("min_total_spent", "max_total_spent"), ("min_orders", "max_orders")):
            if low in data and high in data and data[low] > data[high]:
                raise ValidationError(f"Not below {low}.", field_name=high)


class SegmentIn(ApiSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    rules = fields.Nested(SegmentRules, required=True)


class SegmentOut(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    rules = fields.Dict()
    members = fields.Integer()


class PointsEventIn(ApiSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    multiplier = fields.Integer(required=True, validate=validate.Range(min=100, max=1000))
    category_id = fields.Integer(load_default=None, allow_none=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)

    @validates_schema
    def _order(self, data, **kwargs):
        if data["ends_at"] <= data["starts_at"]:
            raise ValidationError("After starts_at.", field_name="ends_at")


class PointsEventOut(ApiSchema):
    id = fields.Integer()
    name = fields.String()
    multiplier = fields.Integer()
    category_id = fields.Integer(allow_none=True)
    starts_at = UtcDateTime()
    ends_at = UtcDateTime()


class MembershipStatsOut(ApiSchema):
    members = fields.Integer()
    by_level = fields.List(fields.Dict())
    points_outstanding = fields.Integer()
    balance_outstanding = fields.Integer()
    frozen_outstanding = fields.Integer()
    signed_in_today = fields.Integer()


class CouponOfferOut(ApiSchema):
    template_id = fields.Integer()
    points = fields.Integer()


class CouponBoughtOut(ApiSchema):
    coupon_id = fields.Integer()
    template_id = fields.Integer()
    name = fields.String()
    points = fields.Integer(metadata={"description": "Points paid", "description_zh": "支付的积分"})
    balance = fields.Integer(metadata={"description": "Points left", "description_zh": "剩余积分"})


class PointsGoodsOut(ApiSchema):
    sku_id = fields.Integer()
    points = fields.Integer()
    price = fields.Integer()
