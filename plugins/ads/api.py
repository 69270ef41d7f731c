"""Ads REST routes under ``/merchants/<merchant_id>/ads`` (404 where the store has not
enabled the plugin): the store's owner and managers manage creatives; anyone is served a
placement, one route per placement."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import (
    NotFound,
    PeeweePage,
    current_user,
    plugin_blueprint,
    require_staff,
)
from mallkit.plugins.ads import service
from mallkit.plugins.ads.models import PLACEMENTS, Creative
from mallkit.plugins.ads.schemas import (
    CreativeIn,
    CreativeOut,
    CreativePatch,
    ServeArgs,
    ServedOut,
)

blp = plugin_blueprint("ads", __name__, description="Ads (广告位)")
BASE = "/merchants/<int:merchant_id>/ads"
PLACEMENT = "any(" + ", ".join(PLACEMENTS) + ")"


def staff_of(merchant_id: int) -> None:
    require_staff(merchant_id, "owner", "manager", not_staff=NotFound("not found"))


@blp.route(f"{BASE}/creatives")
class Creatives(MethodView):
    @blp.response(200, CreativeOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """The store's ads, newest first (owner, manager)."""
        staff_of(merchant_id)
        return (
            Creative.select()
            .where(Creative.merchant_id == merchant_id)
            .order_by(Creative.id.desc())
        )

    @blp.arguments(CreativeIn)
    @blp.response(201, CreativeOut)
    def post(self, data, merchant_id):
        """Add an ad to a placement (owner, manager)."""
        staff_of(merchant_id)
        return service.create(merchant_id, data)


@blp.route(f"{BASE}/creatives/<int:creative_id>")
class CreativeItem(MethodView):
    @blp.response(200, CreativeOut)
    def get(self, merchant_id, creative_id):
        """One ad (owner, manager)."""
        staff_of(merchant_id)
        return service.get(merchant_id, creative_id)

    @blp.arguments(CreativePatch)
    @blp.response(200, CreativeOut)
    def patch(self, changes, merchant_id, creative_id):
        """Change an ad: its schedule, priority, targeting, link or switch it off."""
        staff_of(merchant_id)
        return service.update(merchant_id, creative_id, changes)

    @blp.response(204)
    def delete(self, merchant_id, creative_id):
        """Remove an ad (its impressions and clicks stay in the analytics reports)."""
        staff_of(merchant_id)
        service.delete(merchant_id, creative_id)


@blp.route(f"{BASE}/<{PLACEMENT}:placement>")
class Placement(MethodView):
    @blp.doc(security=[])
    @blp.arguments(ServeArgs, location="query")
    @blp.response(200, ServedOut(many=True))
    def get(self, args, merchant_id, placement):
        """The ads of one placement for whoever asks (a signed-in buyer's level, segments and
        region pick targeted ones), highest priority first. Count what you show and what is
        tapped with ``ad_impression`` / ``ad_click`` events to the analytics collector."""
        return service.serve(merchant_id, placement, current_user(optional=True), args["region"])
