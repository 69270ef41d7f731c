"""The return URL check: the storefront passes the parameters Alipay appended to its return
URL; the answer says whether they verify and where the payment stands (the notification and
the query decide payment, never the return)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from marshmallow import fields

from mallkit.core.plugin_api import (
    InvalidNotification,
    Merchant,
    PaymentAttempt,
    Schema,
    ValidationError,
    channel_context,
    plugin_blueprint,
)
from mallkit.plugins.payment_alipay.service import CHANNEL

blp = plugin_blueprint("payment_alipay", __name__, description="Alipay")


class ReturnOut(Schema):
    out_trade_no = fields.String()
    amount = fields.Integer()
    status = fields.String(
        metadata={
            "description": "The payment attempt's state here",
            "description_zh": "本系统中这笔支付的状态",
        }
    )


@blp.route("/payments/alipay/return/<int:merchant_id>")
class Return(MethodView):
    @blp.response(200, ReturnOut)
    @blp.doc(security=[])
    def get(self, merchant_id):
        """Verify the parameters of an Alipay return URL (page / wap pay)."""
        merchant = Merchant.get_by_id(merchant_id)
        ctx = channel_context(merchant, CHANNEL)
        try:
            found = CHANNEL.verify_return(ctx, request.args.to_dict())
        except InvalidNotification as exc:
            raise ValidationError(exc.message, code="invalid_return") from None
        attempt = PaymentAttempt.get_or_none(
            (PaymentAttempt.number == found["out_trade_no"])
            & (PaymentAttempt.merchant == merchant_id)
        )
        if attempt is None or attempt.amount != found["amount"]:
            raise ValidationError("the return does not match a payment", code="invalid_return")
        return {**found, "status": attempt.status}
