"""Settings, request and response schemas of the distribution plugin."""

from __future__ import annotations

import re

from marshmallow import Schema as PlainSchema
from marshmallow import ValidationError as FieldErrors
from marshmallow import fields, pre_load, validate, validates_schema

from mallkit.core.plugin_api import Schema, UtcDateTime
from mallkit.plugins.distribution.models import (
    COMMISSION_STATUSES,
    PROMOTER_STATUSES,
    WITHDRAWAL_STATUSES,
)

MONEY = validate.Range(min=0, max=100_000_000)
RATE = validate.Range(min=0, max=10_000)  # basis points: 10000 = 100 %
MODES = ("everyone", "appointed", "apply", "spend")
BINDING_RULES = ("first", "latest", "registration")
MODE_NAMES = {
    "everyone": ("所有买家", "Every buyer"),
    "appointed": ("商家指定", "Appointed by the store"),
    "apply": ("申请审核", "Apply, then approved"),
    "spend": ("消费满额", "Spend a threshold"),
}
BINDING_RULE_NAMES = {
    "first": ("首次分享绑定", "First share wins"),
    "latest": ("最近分享绑定", "Latest share wins"),
    "registration": ("仅注册时绑定", "At registration only"),
}


def names(codes: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Field metadata naming an enum's values, from value → (中文, English)."""
    return {
        "choices": {value: en for value, (_, en) in codes.items()},
        "choices_zh": {value: zh for value, (zh, _) in codes.items()},
    }


PYRAMID = (
    "at most two commission levels: three or more levels can be illegal pyramid selling "
    "(传销) in China"
)
_DEEPER = re.compile(r"level_?([3-9]|\d{2,})")


def refuse_third_level(data):
    """Any field naming a third (or deeper) level is refused with the reason, not as an
    unknown field."""
    if isinstance(data, dict):
        deeper = sorted(k for k in data if isinstance(k, str) and _DEEPER.search(k))
        if deeper:
            raise FieldErrors({name: [PYRAMID] for name in deeper})
    return data


class ApplicationField(PlainSchema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=50))
    required = fields.Boolean(load_default=True)


class DistributionConfig(PlainSchema):
    """Per-merchant settings of the distribution plugin (rates in basis points: 1000 = 10 %;
    amounts in fen)."""

    levels = fields.Integer(
        load_default=2,
        metadata={
            "label": "Commission levels",
            "label_zh": "分销层级",
            "description": "Commission levels, 1 or 2 (never more)",
            "description_zh": "分销佣金层级，1 级或 2 级（最多 2 级）",
        },
    )
    promoter_mode = fields.String(
        load_default="apply",
        validate=validate.OneOf(MODES),
        metadata={
            "label": "Promoter mode",
            "label_zh": "成为推广员方式",
            "description": "How buyers become promoters",
            "description_zh": "买家成为推广员的方式",
            **names(MODE_NAMES),
        },
    )
    spend_threshold = fields.Integer(
        load_default=0,
        validate=MONEY,
        metadata={
            "label": "Spend threshold (fen)",
            "label_zh": "消费门槛（分）",
            "description": "Paid spend (fen) that makes a buyer a promoter (mode spend)",
            "description_zh": "买家累计实付满此金额（分）即成为推广员（消费模式）",
        },
    )
    application_fields = fields.List(
        fields.Nested(ApplicationField),
        load_default=lambda: [
            {"name": "name", "label": "姓名", "required": True},
            {"name": "phone", "label": "手机号", "required": True},
        ],
        validate=validate.Length(max=10),
        metadata={
            "label": "Application form",
            "label_zh": "申请表单字段",
            "description": "The form a buyer fills in to apply (mode apply)",
            "description_zh": "买家申请成为推广员时填写的表单（申请模式）",
        },
    )
    binding_rule = fields.String(
        load_default="first",
        validate=validate.OneOf(BINDING_RULES),
        metadata={
            "label": "Binding rule",
            "label_zh": "客户绑定规则",
            "description": "first share wins, latest share wins, or only at registration",
            "description_zh": "首次分享绑定、最近分享绑定，或仅在注册时绑定",
            **names(BINDING_RULE_NAMES),
        },
    )
    binding_days = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=3650),
        metadata={
            "label": "Binding lasts (days)",
            "label_zh": "绑定有效期（天）",
            "description": "Days a binding lasts; 0 = permanent",
            "description_zh": "客户绑定关系的有效天数；0 表示永久",
        },
    )
    self_commission = fields.Boolean(
        load_default=False,
        metadata={
            "label": "Commission on own purchases",
            "label_zh": "自购返佣",
            "description": "A promoter earns level 1 on their own purchases",
            "description_zh": "推广员自购也可获得一级佣金",
        },
    )
    include_freight = fields.Boolean(
        load_default=False,
        metadata={
            "label": "Commission on freight",
            "label_zh": "运费计佣",
            "description": "Commission on the freight share too",
            "description_zh": "运费部分也计算佣金",
        },
    )
    level1_bp = fields.Integer(
        load_default=1000,
        validate=RATE,
        metadata={"label": "Level 1 rate (basis points)", "label_zh": "一级佣金比例（基点）"},
    )
    level2_bp = fields.Integer(
        load_default=500,
        validate=RATE,
        metadata={"label": "Level 2 rate (basis points)", "label_zh": "二级佣金比例（基点）"},
    )
    settle_days = fields.Integer(
        load_default=7,
        validate=validate.Range(min=0, max=365),
        metadata={
            "label": "Settle after (days)",
            "label_zh": "佣金结算天数",
            "description": "Days after completion before commission is withdrawable",
            "description_zh": "订单完成后多少天佣金结算为可提现",
        },
    )
    withdraw_min = fields.Integer(
        load_default=100,
        validate=MONEY,
        metadata={"label": "Minimum withdrawal (fen)", "label_zh": "最低提现金额（分）"},
    )
    withdraw_fee_bp = fields.Integer(
        load_default=0,
        validate=RATE,
        metadata={"label": "Withdrawal fee (basis points)", "label_zh": "提现手续费（基点）"},
    )
    withdraw_daily_limit = fields.Integer(
        load_default=0,
        validate=MONEY,
        metadata={
            "label": "Daily withdrawal limit (fen)",
            "label_zh": "每日提现上限（分）",
            "description": "Per promoter per day; 0 = none",
            "description_zh": "每位推广员每天的提现上限；0 表示不限",
        },
    )

    @pre_load
    def _no_third_level(self, data, **kwargs):
        return refuse_third_level(data)

    @validates_schema
    def _check(self, data, **kwargs):
        if data.get("levels") not in (1, 2):
            raise FieldErrors({"levels": [PYRAMID if (data.get("levels") or 0) > 2 else "1 or 2."]})
        if data.get("promoter_mode") == "spend" and data.get("spend_threshold", 0) <= 0:
            raise FieldErrors({"spend_threshold": ["Above 0 in mode spend."]})
        names = [f["name"] for f in data.get("application_fields", [])]
        if len(names) != len(set(names)):
            raise FieldErrors({"application_fields": ["Names must differ."]})


# -- requests ------------------------------------------------------------------------------


class GroupIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    level1_bp = fields.Integer(required=True, validate=RATE)
    level2_bp = fields.Integer(required=True, validate=RATE)

    @pre_load
    def _no_third_level(self, data, **kwargs):
        return refuse_third_level(data)


class GroupPatch(GroupIn):
    class Meta:
        partial = True


class ProductRuleIn(Schema):
    mode = fields.String(required=True, validate=validate.OneOf(("rate", "fixed")))
    level1 = fields.Integer(required=True, validate=MONEY)
    level2 = fields.Integer(load_default=0, validate=MONEY)

    @pre_load
    def _no_third_level(self, data, **kwargs):
        return refuse_third_level(data)

    @validates_schema
    def _check(self, data, **kwargs):
        if data["mode"] == "rate":
            errors = {
                k: ["At most 10000 (100 %)."]
                for k in ("level1", "level2")
                if data.get(k, 0) > 10_000
            }
            if errors:
                raise FieldErrors(errors)


class BindIn(Schema):
    share_code = fields.String(validate=validate.Length(min=1, max=32))
    promoter_code = fields.String(validate=validate.Length(min=1, max=16))

    @validates_schema
    def _one(self, data, **kwargs):
        if bool(data.get("share_code")) == bool(data.get("promoter_code")):
            raise FieldErrors({"share_code": ["Send share_code or promoter_code."]})


class RebindIn(Schema):
    user_id = fields.Integer(required=True, validate=validate.Range(min=1))
    promoter_id = fields.Integer(required=True, validate=validate.Range(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=255))


class ApplyIn(Schema):
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(validate=validate.Length(max=32)),
        values=fields.String(validate=validate.Length(max=200)),
        load_default=dict,
    )


class ReviewIn(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=255))


class RejectIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=255))


class AppointIn(Schema):
    user_id = fields.Integer(
        required=True,
        validate=validate.Range(min=1),
        metadata={"label": "User id", "label_zh": "用户 ID"},
    )
    group_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"label": "Group id", "label_zh": "推广员分组 ID"}
    )


class PromoterPatch(Schema):
    status = fields.String(
        validate=validate.OneOf(("active", "frozen")), metadata=names(PROMOTER_STATUSES)
    )
    group_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))


class PromoterQuery(Schema):
    q = fields.String(
        validate=validate.Length(max=100), metadata={"label": "Search", "label_zh": "搜索推广员"}
    )
    status = fields.String(
        validate=validate.OneOf(("active", "frozen")), metadata=names(PROMOTER_STATUSES)
    )
    group_id = fields.Integer(metadata={"label": "Group id", "label_zh": "推广员分组 ID"})


class ApplicationQuery(Schema):
    status = fields.String(validate=validate.OneOf(("pending", "approved", "rejected")))


class CommissionQuery(Schema):
    promoter_id = fields.Integer()
    order_id = fields.Integer()
    status = fields.String(
        validate=validate.OneOf(("frozen", "settled", "cancelled")),
        metadata=names(COMMISSION_STATUSES),
    )


class MyCommissionQuery(Schema):
    status = fields.String(validate=validate.OneOf(("frozen", "settled", "cancelled")))


class TeamQuery(Schema):
    level = fields.Integer(load_default=1, validate=validate.OneOf((1, 2)))


class ShareRequest(Schema):
    kind = fields.String(load_default="store", validate=validate.OneOf(("store", "product")))
    target_id = fields.Integer(validate=validate.Range(min=1))
    channel = fields.String(load_default="link", validate=validate.OneOf(("link", "qr", "poster")))


class WithdrawIn(Schema):
    amount = fields.Integer(required=True, validate=validate.Range(min=1, max=100_000_000))
    channel = fields.String(load_default="manual_bank", validate=validate.Length(max=32))
    account = fields.Dict(
        keys=fields.String(validate=validate.Length(max=32)),
        values=fields.String(validate=validate.Length(max=100)),
        load_default=dict,
    )


class WithdrawalQuery(Schema):
    status = fields.String(
        validate=validate.OneOf(("requested", "paying", "paid", "failed", "rejected")),
        metadata=names(WITHDRAWAL_STATUSES),
    )
    promoter_id = fields.Integer(metadata={"label": "Promoter id", "label_zh": "推广员 ID"})


class PaidIn(Schema):
    reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"label": "Payment reference", "label_zh": "打款凭证号"},
    )


class StatsQuery(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


# -- responses -----------------------------------------------------------------------------


class PromoterGroupOut(Schema):
    id = fields.Integer()
    name = fields.String()
    level1_bp = fields.Integer()
    level2_bp = fields.Integer()


class ProductRuleOut(Schema):
    product_id = fields.Integer()
    mode = fields.String()
    level1 = fields.Integer()
    level2 = fields.Integer()


class PromoterOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String(
        metadata={
            "description": "The promoter's display name",
            "description_zh": "推广员的显示名称",
        }
    )
    code = fields.String(
        metadata={
            "description": "The promoter code buyers may enter",
            "description_zh": "买家可填写的推广码",
        }
    )
    status = fields.String()
    group_id = fields.Integer(allow_none=True)
    parent_id = fields.Integer(
        allow_none=True, metadata={"description": "Upline promoter", "description_zh": "上级推广员"}
    )
    source = fields.String()
    balance = fields.Integer(
        metadata={"description": "Withdrawable, fen", "description_zh": "可提现佣金（分）"}
    )
    debt = fields.Integer(
        metadata={
            "description": "Reversals not yet covered, fen",
            "description_zh": "尚未抵扣的佣金冲回（分）",
        }
    )
    created_at = UtcDateTime()


class BindingOut(Schema):
    user_id = fields.Integer()
    promoter_id = fields.Integer()
    source = fields.String()
    bound_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)


class ApplicationOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    fields_ = fields.Dict(data_key="fields", attribute="fields")
    status = fields.String()
    reason = fields.String()
    created_at = UtcDateTime()
    reviewed_at = UtcDateTime(allow_none=True)


class CommissionOut(Schema):
    id = fields.Integer()
    promoter_id = fields.Integer()
    order_id = fields.Integer()
    order_line_id = fields.Integer()
    product_id = fields.Integer()
    buyer_id = fields.Integer()
    level = fields.Integer()
    base = fields.Integer()
    rule = fields.String()
    rate = fields.Integer()
    amount = fields.Integer()
    cancelled = fields.Integer()
    settled = fields.Integer()
    status = fields.String()
    created_at = UtcDateTime()
    settled_at = UtcDateTime(allow_none=True)


class LedgerOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    amount = fields.Integer()
    debt_delta = fields.Integer()
    commission_id = fields.Integer(allow_none=True)
    withdrawal_id = fields.Integer(allow_none=True)
    note = fields.String()
    created_at = UtcDateTime()


class WithdrawalOut(Schema):
    id = fields.Integer()
    number = fields.String()
    promoter_id = fields.Integer()
    amount = fields.Integer()
    fee = fields.Integer()
    net = fields.Integer()
    channel = fields.String()
    status = fields.String()
    reason = fields.String()
    reference = fields.String()
    created_at = UtcDateTime()
    reviewed_at = UtcDateTime(allow_none=True)
    finished_at = UtcDateTime(allow_none=True)


class EarningsOut(Schema):
    today = fields.Integer(
        metadata={
            "description": "Commission earned today (store's day)",
            "description_zh": "今日获得的佣金（按店铺时区）",
        }
    )
    month = fields.Integer()
    total = fields.Integer(
        metadata={
            "description": "All commission not cancelled",
            "description_zh": "未取消的全部佣金",
        }
    )
    frozen = fields.Integer(
        metadata={"description": "Waiting to settle", "description_zh": "待结算佣金"}
    )
    withdrawable = fields.Integer()
    withdrawing = fields.Integer(
        metadata={
            "description": "Requested, not paid yet",
            "description_zh": "已申请提现、尚未打款",
        }
    )
    withdrawn = fields.Integer()
    debt = fields.Integer()


class PromoterCentreOut(Schema):
    promoter = fields.Nested(PromoterOut, allow_none=True)
    binding = fields.Nested(BindingOut, allow_none=True)
    application = fields.Nested(ApplicationOut, allow_none=True)
    mode = fields.String()
    application_fields = fields.List(fields.Nested(ApplicationField))
    earnings = fields.Nested(EarningsOut, allow_none=True)


class TeamMemberOut(Schema):
    user_id = fields.Integer()
    name = fields.String()
    promoter_id = fields.Integer(
        allow_none=True,
        metadata={
            "description": "When a promoter",
            "description_zh": "该客户也是推广员时，其推广员 ID",
        },
    )
    bound_at = UtcDateTime()
    orders = fields.Integer()
    commission = fields.Integer(
        metadata={
            "description": "What they brought me, fen",
            "description_zh": "为我带来的佣金（分）",
        }
    )


class TeamOut(Schema):
    level1 = fields.Integer(
        metadata={"description": "Buyers bound to me", "description_zh": "直接绑定我的客户数"}
    )
    level2 = fields.Integer(
        metadata={
            "description": "Buyers bound to my level-1 promoters",
            "description_zh": "绑定我的一级推广员的客户数",
        }
    )


class PromoterShareOut(Schema):
    code = fields.String()
    url = fields.String()
    qr_url = fields.String()
    poster_url = fields.String()
    promoter_code = fields.String()


class TopPromoterOut(Schema):
    promoter_id = fields.Integer()
    name = fields.String()
    commission = fields.Integer()
    orders = fields.Integer()


class DayOut(Schema):
    day = fields.String()
    commission = fields.Integer()
    orders = fields.Integer()


class DistributionStatsOut(Schema):
    promoters = fields.Integer()
    frozen = fields.Integer()
    settled = fields.Integer()
    withdrawn = fields.Integer()
    top = fields.List(fields.Nested(TopPromoterOut))
    by_day = fields.List(fields.Nested(DayOut))
