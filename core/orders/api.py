"""Order endpoints: the buyer's orders and the merchant's order desk."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mallkit.core.accounts import auth
from mallkit.core.accounts.merchants.service import get_merchant
from mallkit.core.accounts.models import User
from mallkit.core.accounts.service import normalise_login
from mallkit.core.api import PeeweePage
from mallkit.core.orders import service, stats
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order
from mallkit.core.orders.schemas import (
    AddressChangeIn,
    CancelIn,
    NoteIn,
    OrderDetailOut,
    OrderOut,
    OrderQuery,
    OrderSettingsIn,
    OrderSettingsOut,
    PriceIn,
    ShipIn,
    StaffOrderOut,
    StaffOrderQuery,
    StatsOut,
    StatsQuery,
    attach_details,
    order_view,
)

blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Orders")


class OrderPage(PeeweePage):
    """A page of orders with their lines loaded in one query."""

    @property
    def items(self):
        return [order_view(o) for o in attach_details(super().items)]


def _detail(order: Order, *, events: bool = False) -> dict:
    return order_view(attach_details([service.reload(order)], events=events)[0])


def _staff_actor(user: User) -> Actor:
    return Actor("admin" if user.is_platform_admin else "staff", user.id)


# -- buyer -----------------------------------------------------------------------------------


@blp.route("/orders")
class MyOrders(MethodView):
    @blp.arguments(OrderQuery, location="query")
    @blp.response(200, OrderOut(many=True))
    @blp.paginate(OrderPage)
    def get(self, query):
        """The buyer's orders, newest first (filter by ``status``)."""
        user = auth.require_user()
        q = Order.select().where(Order.buyer == user.id)
        if query.get("status"):
            q = q.where(Order.status == query["status"])
        return q.order_by(Order.placed_at.desc(), Order.id.desc())


@blp.route("/orders/<int:order_id>")
class MyOrder(MethodView):
    @blp.response(200, OrderDetailOut)
    def get(self, order_id):
        """One of the buyer's orders; anybody else's answers 404."""
        return _detail(service.buyer_order(auth.require_user().id, order_id))


@blp.route("/orders/<int:order_id>/cancel")
class CancelOrder(MethodView):
    @blp.arguments(CancelIn)
    @blp.response(200, OrderDetailOut)
    def post(self, data, order_id):
        """Cancel an unpaid order; stock goes back."""
        user = auth.require_user()
        order = service.buyer_order(user.id, order_id)
        return _detail(service.cancel(order, Actor("buyer", user.id), data["reason"]))


@blp.route("/orders/<int:order_id>/confirm")
class ConfirmOrder(MethodView):
    @blp.response(200, OrderDetailOut)
    def post(self, order_id):
        """Confirm receipt of a shipped order."""
        user = auth.require_user()
        order = service.buyer_order(user.id, order_id)
        return _detail(service.confirm_receipt(order, Actor("buyer", user.id)))


# -- merchant staff --------------------------------------------------------------------------


@blp.route("/merchants/<int:merchant_id>/orders")
class StaffOrders(MethodView):
    @blp.arguments(StaffOrderQuery, location="query")
    @blp.response(200, OrderOut(many=True))
    @blp.paginate(OrderPage)
    def get(self, query, merchant_id):
        """The store's orders: filter by status, buyer, number and placing date."""
        auth.require_staff(merchant_id)
        q = Order.select().where(Order.merchant == merchant_id)
        if query.get("status"):
            q = q.where(Order.status == query["status"])
        if query.get("number"):
            q = q.where(Order.number == query["number"])
        if query.get("buyer_id"):
            q = q.where(Order.buyer == query["buyer_id"])
        if query.get("buyer"):
            field, value = normalise_login(query["buyer"])
            q = q.where(Order.buyer.in_(User.select(User.id).where(getattr(User, field) == value)))
        if query.get("placed_from"):
            q = q.where(Order.placed_at >= query["placed_from"])
        if query.get("placed_to"):
            q = q.where(Order.placed_at < query["placed_to"])
        return q.order_by(Order.placed_at.desc(), Order.id.desc())


@blp.route("/merchants/<int:merchant_id>/orders/<int:order_id>")
class StaffOrder(MethodView):
    @blp.response(200, StaffOrderOut)
    def get(self, merchant_id, order_id):
        """An order with its events and staff notes."""
        auth.require_staff(merchant_id)
        return _detail(service.merchant_order(merchant_id, order_id), events=True)


@blp.route("/merchants/<int:merchant_id>/orders/<int:order_id>/ship")
class Ship(MethodView):
    @blp.arguments(ShipIn)
    @blp.response(200, StaffOrderOut)
    def post(self, data, merchant_id, order_id):
        """Ship some or all lines with a carrier and tracking number."""
        user = auth.require_staff(merchant_id, "owner", "manager")
        order = service.merchant_order(merchant_id, order_id)
        lines = {int(k): v for k, v in data["lines"].items()} if data["lines"] else None
        service.ship(
            order,
            _staff_actor(user),
            carrier=data["carrier"],
            tracking_number=data["tracking_number"],
            lines=lines,
        )
        return _detail(order, events=True)


@blp.route("/merchants/<int:merchant_id>/orders/<int:order_id>/price")
class ChangePrice(MethodView):
    @blp.arguments(PriceIn)
    @blp.response(200, StaffOrderOut)
    def post(self, data, merchant_id, order_id):
        """Change the total before payment (once; above zero)."""
        user = auth.require_staff(merchant_id, "owner", "manager")
        order = service.merchant_order(merchant_id, order_id)
        service.change_price(order, data["total"], _staff_actor(user), data["reason"])
        return _detail(order, events=True)


@blp.route("/merchants/<int:merchant_id>/orders/<int:order_id>/address")
class ChangeAddress(MethodView):
    @blp.arguments(AddressChangeIn)
    @blp.response(200, StaffOrderOut)
    def post(self, data, merchant_id, order_id):
        """Change the delivery address before shipping."""
        user = auth.require_staff(merchant_id, "owner", "manager")
        order = service.merchant_order(merchant_id, order_id)
        service.change_address(order, data["address"], _staff_actor(user))
        return _detail(order, events=True)


@blp.route("/merchants/<int:merchant_id>/orders/<int:order_id>/notes")
class Notes(MethodView):
    @blp.arguments(NoteIn)
    @blp.response(200, StaffOrderOut)
    def post(self, data, merchant_id, order_id):
        """Add a staff note (kept with who and when)."""
        user = auth.require_staff(merchant_id)
        order = service.merchant_order(merchant_id, order_id)
        service.add_note(order, data["note"], _staff_actor(user))
        return _detail(order, events=True)


@blp.route("/merchants/<int:merchant_id>/orders/<int:order_id>/cancel")
class StaffCancel(MethodView):
    @blp.arguments(CancelIn)
    @blp.response(200, StaffOrderOut)
    def post(self, data, merchant_id, order_id):
        """Cancel an unpaid order."""
        user = auth.require_staff(merchant_id, "owner", "manager")
        order = service.merchant_order(merchant_id, order_id)
        service.cancel(order, _staff_actor(user), data["reason"])
        return _detail(order, events=True)


@blp.route("/merchants/<int:merchant_id>/order-stats")
class Stats(MethodView):
    @blp.arguments(StatsQuery, location="query")
    @blp.response(200, StatsOut)
    def get(self, query, merchant_id):
        """Orders, sales and average order value per day, week, month or year."""
        auth.require_staff(merchant_id, "owner", "manager")
        return stats.order_stats(
            get_merchant(merchant_id), query["period"], query["start"], query["end"]
        )


@blp.route("/merchants/<int:merchant_id>/order-settings")
class Settings(MethodView):
    @blp.response(200, OrderSettingsOut)
    def get(self, merchant_id):
        """Auto-cancel and auto-confirm delays, when stock is taken, restock on refund."""
        auth.require_staff(merchant_id)
        return service.settings_for(merchant_id)

    @blp.arguments(OrderSettingsIn)
    @blp.response(200, OrderSettingsOut)
    def patch(self, data, merchant_id):
        user = auth.require_staff(merchant_id, "owner")
        return service.update_settings(merchant_id, data, actor_id=user.id)
