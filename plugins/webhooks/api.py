"""Webhook routes: a store's endpoints and deliveries under
``/merchants/<merchant_id>/webhooks/...`` (the owner and managers; 404 to anyone else), the
platform's under ``/admin/webhooks/...`` (platform admins), and the public catalog of event
types with their payload schemas at ``/webhooks/events``."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import (
    NotFound,
    PeeweePage,
    User,
    plugin_blueprint,
    require_admin,
    require_staff,
)
from mallkit.plugins.webhooks import service
from mallkit.plugins.webhooks.models import Endpoint
from mallkit.plugins.webhooks.schemas import (
    WebhookDeliveryArgs,
    WebhookDeliveryFilter,
    WebhookDeliveryOut,
    WebhookEndpointCreatedOut,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPatch,
    WebhookEventsOut,
)

blp = plugin_blueprint("webhooks", __name__, description="Outgoing webhooks")
STORE = "/merchants/<int:merchant_id>/webhooks"
PLATFORM = "/admin/webhooks"

EXAMPLE_ORDER = {
    "id": 17,
    "number": "2026112700000017",
    "merchant_id": 1,
    "buyer_id": 5,
    "status": "paid",
    "currency": "CNY",
    "subtotal": 19900,
    "discount_total": 0,
    "freight": 0,
    "total": 19900,
    "paid_amount": 19900,
    "refunded_amount": 0,
    "refund_status": "none",
}


def allowed(merchant_id: int | None) -> User:
    """A platform admin for the platform's endpoints (no ``merchant_id``), else the store's
    owner or a manager (404 for anyone else)."""
    if merchant_id is None:
        return require_admin()
    return require_staff(merchant_id, "owner", "manager", not_staff=NotFound("not found"))


class _Endpoints(MethodView):
    @blp.response(200, WebhookEndpointOut(many=True))
    def get(self, merchant_id=None):
        """The endpoints, oldest first."""
        allowed(merchant_id)
        owner = (
            Endpoint.merchant_id.is_null()
            if merchant_id is None
            else (Endpoint.merchant_id == merchant_id)
        )
        return list(Endpoint.select().where(owner).order_by(Endpoint.id))

    @blp.arguments(WebhookEndpointIn)
    @blp.response(201, WebhookEndpointCreatedOut)
    def post(self, data, merchant_id=None):
        """Register an https:// endpoint for event types; the answer holds its signing
        secret, shown this once. Addresses that resolve to loopback, private or link-local
        networks are refused."""
        user = allowed(merchant_id)
        endpoint, secret = service.create_endpoint(merchant_id, data, user.id)
        endpoint.secret = secret
        return endpoint


class _Endpoint(MethodView):
    @blp.response(200, WebhookEndpointOut)
    def get(self, endpoint_id, merchant_id=None):
        """One endpoint."""
        allowed(merchant_id)
        return service.get_endpoint(merchant_id, endpoint_id)

    @blp.arguments(WebhookEndpointPatch)
    @blp.response(200, WebhookEndpointOut)
    def patch(self, data, endpoint_id, merchant_id=None):
        """Change the address, the event types, or switch it on or off."""
        allowed(merchant_id)
        return service.update_endpoint(merchant_id, endpoint_id, data)

    @blp.response(204)
    def delete(self, endpoint_id, merchant_id=None):
        """Remove it; its pending deliveries fail."""
        allowed(merchant_id)
        service.delete_endpoint(merchant_id, endpoint_id)


class _Rotate(MethodView):
    @blp.response(200, WebhookEndpointCreatedOut)
    def post(self, endpoint_id, merchant_id=None):
        """A new signing secret, shown this once; the old one also signs for 24 hours."""
        allowed(merchant_id)
        endpoint, secret = service.rotate_secret(merchant_id, endpoint_id)
        endpoint.secret = secret
        return endpoint


class _Deliveries(MethodView):
    @blp.arguments(WebhookDeliveryArgs, location="query")
    @blp.response(200, WebhookDeliveryOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, endpoint_id, merchant_id=None):
        """The endpoint's deliveries, newest first."""
        allowed(merchant_id)
        endpoint = service.get_endpoint(merchant_id, endpoint_id)
        return service.deliveries(merchant_id, endpoint.id, args["status"])


class _AllDeliveries(MethodView):
    @blp.arguments(WebhookDeliveryFilter, location="query")
    @blp.response(200, WebhookDeliveryOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id=None):
        """The deliveries to every endpoint, newest first (``endpoint_id``, ``status``
        filters); a removed endpoint's are no longer listed."""
        allowed(merchant_id)
        return service.deliveries(merchant_id, args["endpoint_id"], args["status"])


class _Redeliver(MethodView):
    @blp.response(200, WebhookDeliveryOut)
    def post(self, delivery_id, merchant_id=None):
        """Send a delivery again, with the same ``webhook-id``."""
        allowed(merchant_id)
        return service.redeliver(merchant_id, delivery_id)


# Each view serves the store's endpoints and, without ``merchant_id``, the platform's.
for _tail, _view in (
    ("endpoints", _Endpoints),
    ("endpoints/<int:endpoint_id>", _Endpoint),
    ("endpoints/<int:endpoint_id>/rotate-secret", _Rotate),
    ("endpoints/<int:endpoint_id>/deliveries", _Deliveries),
    ("deliveries", _AllDeliveries),
    ("deliveries/<int:delivery_id>/redeliver", _Redeliver),
):
    for _scope, _prefix in (("Store", STORE), ("Platform", PLATFORM)):
        blp.route(f"{_prefix}/{_tail}")(type(f"{_scope}{_view.__name__[1:]}", (_view,), {}))


@blp.route("/webhooks/events")
class Events(MethodView):
    @blp.doc(security=[])
    @blp.response(200, WebhookEventsOut)
    def get(self):
        """The event types an endpoint can subscribe to, how deliveries are signed, and an
        example body of each kind (``WebhookOrderEvent``, ``WebhookRefundEvent``,
        ``WebhookLowStockEvent`` in the document's schemas)."""
        kinds = {"order.refunded": "refund_event", "stock.low": "low_stock_event"}
        return {
            "types": [
                {"type": t, "description": d, "schema": kinds.get(t, "order_event")}
                for t, d in service.EVENT_TYPES.items()
            ],
            "signature": "Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature "
            '"v1,<base64 HMAC-SHA256 of id.timestamp.body>" keyed with the base64 part of the '
            "whsec_ secret; reject timestamps more than 5 minutes off",
            "order_event": {
                "type": "order.paid",
                "timestamp": "2026-11-27T08:00:00Z",
                "data": EXAMPLE_ORDER,
            },
            "refund_event": {
                "type": "order.refunded",
                "timestamp": "2026-11-28T08:00:00Z",
                "data": {
                    **EXAMPLE_ORDER,
                    "refunded_amount": 5000,
                    "refund_status": "partial",
                    "refund": {"id": 3, "amount": 5000, "full": False},
                },
            },
            "low_stock_event": {
                "type": "stock.low",
                "timestamp": "2026-11-27T09:00:00Z",
                "data": {
                    "merchant_id": 1,
                    "product_id": 2,
                    "product_name": "香薰蜡烛",
                    "sku_id": 4,
                    "sku_code": "CANDLE-L",
                    "stock": 3,
                    "threshold": 5,
                },
            },
        }
