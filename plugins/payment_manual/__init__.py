"""payment_manual: offline bank transfer and cash on delivery, confirmed by merchant staff.

With it the whole order flow works without a gateway: the buyer chooses ``manual`` at
checkout and gets the transfer instructions; staff confirm the money arrived (with the bank's
reference), which records the payment through the core exactly like a gateway notification
would. Refunds are recorded as done offline.
"""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from mallkit.core.plugin_api import (
    Actor,
    ChannelPayment,
    ChannelRefund,
    PaymentAttempt,
    PaymentAttemptOut,
    PaymentChannel,
    PluginMeta,
    ValidationError,
    merchant_order,
    plugin_blueprint,
    record_payment,
    require_staff,
    start_payment,
)
from mallkit.core.plugin_api import Schema as ApiSchema
from mallkit.hookspecs import hookimpl


class ManualConfig(Schema):
    instructions = fields.String(
        load_default="请转账至以下账户，并在备注中填写付款编号。",
        validate=validate.Length(max=1000),
        metadata={"label": "Payment instructions", "label_zh": "付款说明"},
    )
    bank_account = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"label": "Bank account", "label_zh": "收款账户"},
    )
    allow_cash_on_delivery = fields.Boolean(
        load_default=True, metadata={"label": "Allow cash on delivery", "label_zh": "允许货到付款"}
    )


meta = PluginMeta(
    name="payment_manual",
    version="1.0.0",
    title="Manual payment",
    description="Offline bank transfer and cash on delivery, confirmed by staff.",
    mallkit=">=0.1,<1",
    config_schema=ManualConfig,
    level="merchant",
    category="payment",
    title_zh="线下支付",
    description_zh="银行转账和货到付款，由店员确认收款。",
)


class ManualChannel(PaymentChannel):
    code = "manual"
    plugin = "payment_manual"
    title = "Bank transfer / cash on delivery"
    methods = ("transfer", "cod")

    def create(self, ctx, attempt, order, params):
        if attempt.method == "cod" and not ctx.config.get("allow_cash_on_delivery", True):
            raise ValidationError(
                "this store takes no cash on delivery",
                code="cod_unavailable",
                errors={"method": ["cod"]},
            )
        return {
            "instructions": ctx.config.get("instructions", ""),
            "bank_account": ctx.config.get("bank_account", ""),
            "reference": attempt.number,
            "amount": attempt.amount,
            "currency": attempt.currency,
        }

    def query(self, ctx, attempt):
        # The truth lives here: a manual payment is paid when staff confirmed it.
        return ChannelPayment(
            attempt.number, attempt.status, attempt.channel_txn_id, attempt.amount, attempt.currency
        )

    def close(self, ctx, attempt):
        return None

    def refund(self, ctx, attempt, refund):
        return ChannelRefund(refund.number, "succeeded", f"manual-{refund.number}", refund.amount)

    def query_refund(self, ctx, attempt, refund):
        return self.refund(ctx, attempt, refund)


CHANNEL = ManualChannel()


class ConfirmIn(ApiSchema):
    reference = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z0-9_-]{3,40}$"),
        metadata={
            "description": "The bank's or courier's reference",
            "description_zh": "银行流水号或快递代收凭证号",
        },
    )
    amount = fields.Integer(
        required=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "What arrived, in minor units",
            "description_zh": "实际到账金额（分）",
        },
    )
    method = fields.String(load_default="transfer", validate=validate.OneOf(ManualChannel.methods))


blp = plugin_blueprint("payment_manual", __name__, description="Manual payment")


@blp.route("/merchants/<int:merchant_id>/orders/<int:order_id>/manual-payment")
class Confirm(MethodView):
    @blp.arguments(ConfirmIn)
    @blp.response(200, PaymentAttemptOut)
    def post(self, data, merchant_id, order_id):
        """Confirm that the money for an order arrived offline. The amount must match."""
        user = require_staff(merchant_id, "owner", "manager")
        order = merchant_order(merchant_id, order_id)
        attempt = (
            PaymentAttempt.select()
            .where((PaymentAttempt.order == order.id) & (PaymentAttempt.channel == CHANNEL.code))
            .order_by(PaymentAttempt.id.desc())
            .first()
        )
        if attempt is None or (attempt.status == "closed" and order.status == "pending_payment"):
            attempt = start_payment(order, CHANNEL.code, method=data["method"])
        record_payment(
            merchant_id,
            CHANNEL.code,
            ChannelPayment(
                attempt.number,
                "paid",
                f"manual:{attempt.number}:{data['reference']}",
                data["amount"],
                order.currency,
            ),
            "staff",
            actor=Actor("staff", user.id),
        )
        return PaymentAttempt.get_by_id(attempt.id)


@hookimpl
def register_payment_channels():
    return [CHANNEL]


@hookimpl
def register_blueprints(app):
    return [blp]
