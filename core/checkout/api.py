"""Storefront endpoints: the buyer's cart and checkout."""

from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from mallkit.core import fastdump, idempotency
from mallkit.core.accounts import auth
from mallkit.core.checkout import cart
from mallkit.core.checkout import service as checkout
from mallkit.core.checkout.schemas import (
    CartAddIn,
    CartLinePatch,
    CartOut,
    CartSelectIn,
    CheckoutIn,
    CheckoutPreviewOut,
)
from mallkit.core.orders.schemas import OrderOut, order_view, orders_by_id

blp = Blueprint("cart", __name__, url_prefix="/api/v1", description="Cart and checkout")
# The placed orders as OrderOut(many=True) dumps them, without marshmallow's per-field cost.
_ORDERS_OUT = fastdump.dumper(OrderOut(many=True))


def _cart_json(user):
    """The cart as JSON: ``cart.read`` builds exactly ``CartOut``'s shape (a test holds it to
    that), so it is not passed through marshmallow again on every cart change."""
    return jsonify(cart.read(user))


@blp.route("/cart")
class Cart(MethodView):
    @blp.response(200, CartOut)
    def get(self):
        """The cart by store, re-priced now; unavailable lines are flagged with a reason."""
        return _cart_json(auth.require_user())

    @blp.response(204)
    def delete(self):
        """Empty the cart."""
        cart.remove(auth.require_user())


@blp.route("/cart/lines")
class CartLines(MethodView):
    @blp.arguments(CartAddIn())  # an instance: not built again on every request
    @blp.response(200, CartOut)
    def post(self, data):
        """Add a SKU (added to the line already there)."""
        user = auth.require_user()
        cart.add(user, data["sku_id"], data["quantity"])
        return _cart_json(user)


@blp.route("/cart/lines/<int:line_id>")
class CartLine(MethodView):
    @blp.arguments(CartLinePatch)
    @blp.response(200, CartOut)
    def patch(self, data, line_id):
        """Change the quantity or (de)select a line."""
        user = auth.require_user()
        cart.change(user, line_id, **data)
        return _cart_json(user)

    @blp.response(204)
    def delete(self, line_id):
        user = auth.require_user()
        cart.own_line(user, line_id)
        cart.remove(user, [line_id])


@blp.route("/cart/select")
class CartSelect(MethodView):
    @blp.arguments(CartSelectIn)
    @blp.response(200, CartOut)
    def post(self, data):
        """Select or deselect lines (all when ``line_ids`` is omitted)."""
        user = auth.require_user()
        cart.select(user, data["line_ids"], data["selected"])
        return _cart_json(user)


@blp.route("/checkout/preview")
class Preview(MethodView):
    @blp.arguments(CheckoutIn())
    @blp.response(200, CheckoutPreviewOut)
    def post(self, data):
        """Totals per store, applied and unusable offers, shipping options, payment channels.
        Nothing is written."""
        return checkout.preview(auth.require_user(), data)


@blp.route("/checkout/place")
class Place(MethodView):
    @blp.arguments(CheckoutIn())
    @blp.response(201, OrderOut(many=True))
    @blp.doc(
        parameters=[
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 128},
                "description": "A retried place with the same key returns the same orders",
            }
        ]
    )
    def post(self, data):
        """Place one order per store. Send an ``Idempotency-Key`` so a retry cannot order
        twice."""
        user = auth.require_user()
        key = idempotency.request_key()

        answer = idempotency.replay(user.id, "checkout", key, data)
        placed: list = []
        if answer is None:
            prepared = checkout.prepare(user, data)  # reads and pricing, before the write lock

            def work():
                placed[:] = checkout.place(
                    user, data, checkout_key=key or "", prepared=prepared, savepoint=False
                )
                return [o.id for o in placed], 201

            answer = idempotency.run_once(user.id, "checkout", key, data, work)
        order_ids, _ = answer
        views = None
        if placed and [o.id for o in placed] == order_ids:
            if all(hasattr(o, "lines_loaded") for o in placed):  # as just written
                views = [order_view(o) for o in placed]
        if views is None:
            views = orders_by_id(order_ids, shipments=False)  # a new order has none
        return jsonify(_ORDERS_OUT(views)), 201
