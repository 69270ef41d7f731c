"""Payment endpoints: paying an order, gateway notifications, and the merchant's refunds."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from mallkit.core import idempotency
from mallkit.core.accounts import auth
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.payments import refunds, service
from mallkit.core.payments.models import PaymentAttempt, Refund, RefundLine
from mallkit.core.payments.schemas import AttemptOut, PayIn, RefundIn, RefundOut

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Payments and refunds")

IDEMPOTENCY_DOC = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 128},
            "description": "A retried request with the same key gets the same answer",
        }
    ]
}


def _refund_view(refund: Refund) -> Refund:
    refund.lines_list = list(refund.lines.order_by(RefundLine.id))
    return refund


@blp.route("/orders/<int:order_id>/payments")
class Pay(MethodView):
    @blp.response(200, AttemptOut(many=True))
    def get(self, order_id):
        """The order's payment attempts."""
        order = orders.buyer_order(auth.require_user().id, order_id)
        return (
            PaymentAttempt.select()
            .where(PaymentAttempt.order == order.id)
            .order_by(PaymentAttempt.id)
        )

    @blp.arguments(PayIn)
    @blp.response(201, AttemptOut)
    @blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data, order_id):
        """Start paying through a channel the store offers; returns what the client needs
        (a QR code URL, invoke parameters, instructions ...)."""
        user = auth.require_user()
        order = orders.buyer_order(user.id, order_id)
        key, scope = idempotency.request_key(), f"pay:{order.id}"
        answer = idempotency.replay(user.id, scope, key, data)
        if answer is None:
            # Not in run_once: the gateway call must not hold a transaction. start() is
            # idempotent by itself (an open attempt for the same channel is returned).
            attempt = service.start(
                order, data["channel"], method=data["method"], params=data["params"]
            )
            answer = idempotency.remember(user.id, scope, key, data, attempt.id, 201)
        return PaymentAttempt.get_by_id(answer[0])


@blp.route("/payments/notify/<string:channel>/<int:merchant_id>")
class Notify(MethodView):
    @blp.doc(security=[], responses={"200": {"description": "The reply the gateway expects"}})
    def post(self, channel, merchant_id):
        """Gateway notifications (verified before anything is read)."""
        ack = service.handle_notification(
            channel, merchant_id, dict(request.headers), request.get_data(), request.form.to_dict()
        )
        return Response(ack.body, status=ack.status, content_type=ack.content_type)


@blp.route("/merchants/<int:merchant_id>/orders/<int:order_id>/payments")
class StaffPayments(MethodView):
    @blp.response(200, AttemptOut(many=True))
    def get(self, merchant_id, order_id):
        """The order's payment attempts."""
        auth.require_staff(merchant_id)
        order = orders.merchant_order(merchant_id, order_id)
        return (
            PaymentAttempt.select()
            .where(PaymentAttempt.order == order.id)
            .order_by(PaymentAttempt.id)
        )


@blp.route("/merchants/<int:merchant_id>/orders/<int:order_id>/refunds")
class StaffRefunds(MethodView):
    @blp.response(200, RefundOut(many=True))
    def get(self, merchant_id, order_id):
        """The order's refunds."""
        auth.require_staff(merchant_id)
        order = orders.merchant_order(merchant_id, order_id)
        return [
            _refund_view(r)
            for r in Refund.select().where(Refund.order == order.id).order_by(Refund.id)
        ]

    @blp.arguments(RefundIn)
    @blp.response(201, RefundOut)
    @blp.doc(**IDEMPOTENCY_DOC)
    def post(self, data, merchant_id, order_id):
        """Refund lines (or everything left) back through the channel the order was paid
        with; never more than a line paid."""
        user = auth.require_staff(merchant_id, "owner", "manager")
        order = orders.merchant_order(merchant_id, order_id)
        actor = Actor("admin" if user.is_platform_admin else "staff", user.id)

        def work():
            refund = refunds.create(
                order, data["lines"], reason=data["reason"], actor=actor, restock=data["restock"]
            )
            return refund.id, 201

        refund_id, _ = idempotency.run_once(
            user.id, f"refund:{order.id}", idempotency.request_key(), data, work
        )
        refunds.submit_soon(refund_id)
        return _refund_view(Refund.get_by_id(refund_id))
