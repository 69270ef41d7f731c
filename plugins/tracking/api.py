"""Tracking REST routes: the carriers' push endpoint (verified before anything is read), the
trail for the order's buyer and for the store's staff, and a refresh for staff."""

from __future__ import annotations

import json
import logging

from flask import Response, request
from flask.views import MethodView

from mallkit.core.plugin_api import (
    NotFound,
    buyer_order,
    merchant_order,
    plugin_blueprint,
    require_staff,
    require_user,
)
from mallkit.plugins.tracking import service
from mallkit.plugins.tracking.carriers import InvalidPush
from mallkit.plugins.tracking.schemas import ShipmentTrailOut, TrackedShipmentOut

blp = plugin_blueprint("tracking", __name__, description="Parcel tracking (物流跟踪)")
log = logging.getLogger("mallkit.plugins.tracking")


@blp.route("/tracking/push/<string:carrier>/<int:merchant_id>")
class Push(MethodView):
    @blp.doc(
        security=[],
        responses={
            "200": {"description": "The reply the carrier expects"},
            "401": {"description": "Not authentic (signature, timestamp); nothing stored"},
        },
    )
    def post(self, carrier, merchant_id):
        """A carrier pushes a parcel's trail (signed; see docs/plugins/tracking.md)."""
        try:
            found = service.receive_push(
                carrier, merchant_id, dict(request.headers), request.get_data()
            )
        except InvalidPush as exc:
            log.warning("tracking push refused for store %s: %s", merchant_id, exc)
            body = json.dumps({"result": False, "message": "invalid push"})
            return Response(body, status=401, content_type="application/json")
        status, payload = found.acknowledge()
        return Response(json.dumps(payload), status=status, content_type="application/json")


@blp.route("/orders/<int:order_id>/tracking")
class BuyerTrail(MethodView):
    @blp.response(200, ShipmentTrailOut(many=True))
    def get(self, order_id):
        """The buyer's parcels of the order with their trails."""
        user = require_user()
        return service.trails(buyer_order(user.id, order_id))


@blp.route("/merchants/<int:merchant_id>/tracking/orders/<int:order_id>")
class StaffTrail(MethodView):
    @blp.response(200, ShipmentTrailOut(many=True))
    def get(self, merchant_id, order_id):
        """An order's parcels with their trails (the store's staff)."""
        require_staff(merchant_id, not_staff=NotFound("not found"))
        return service.trails(merchant_order(merchant_id, order_id))


@blp.route("/merchants/<int:merchant_id>/tracking/shipments/<int:shipment_id>/refresh")
class Refresh(MethodView):
    @blp.response(200, TrackedShipmentOut)
    def post(self, merchant_id, shipment_id):
        """Ask the carrier for the parcel's trail now and store what is new."""
        require_staff(merchant_id, "owner", "manager", not_staff=NotFound("not found"))
        return service.refresh(merchant_id, shipment_id)
