"""Share-link endpoints: a buyer creates and lists their links; anyone resolves a code, gets
its QR code and records a visit; a merchant's staff read their links' figures."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from mallkit.core.accounts import auth
from mallkit.core.api import PeeweePage, Rendered
from mallkit.core.shares import service
from mallkit.core.shares.models import ShareLink
from mallkit.core.shares.schemas import (
    LinkQuery,
    LinkStatsOut,
    ShareIn,
    ShareOut,
    SharerQuery,
    SharerStatsOut,
    VisitIn,
    VisitOut,
)

blp = Blueprint("shares", __name__, url_prefix="/api/v1", description="Share links")


class SharePage(PeeweePage):
    @property
    def items(self):
        return [service.share_view(s) for s in super().items]


@blp.route("/shares")
class Shares(MethodView):
    @blp.response(200, ShareOut(many=True))
    @blp.paginate(SharePage)
    def get(self):
        """Your share links, newest first."""
        user = auth.require_user()
        return ShareLink.select().where(ShareLink.sharer == user.id).order_by(ShareLink.id.desc())

    @blp.arguments(ShareIn)
    @blp.response(201, ShareOut)
    def post(self, data):
        """Your link to a product or a store through a channel: the same live link each time
        for the same target and channel."""
        user = auth.require_user()
        merchant_id = service.check_core_target(data["kind"], data["target_id"])
        share = service.create_share(
            user.id,
            merchant_id,
            data["kind"],
            data["target_id"],
            channel=data["channel"],
            utm={k: data[k] for k in service.UTM_FIELDS},
            expires_at=data["expires_at"],
        )
        return service.share_view(share)


@blp.route("/shares/<string:code>")
class Share(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ShareOut)
    def get(self, code):
        """What a code opens (``expired`` says whether it still attributes)."""
        return service.share_view(service.get_share(code))


@blp.route("/shares/<string:code>/qr.svg")
class ShareQr(MethodView):
    @blp.doc(
        security=[],
        responses={
            "200": {"description": "The link as a QR code", "content": {"image/svg+xml": {}}}
        },
    )
    def get(self, code):
        """The link as a QR code (SVG)."""
        svg = service.qr_svg(service.get_share(code))
        return Response(
            svg, content_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"}
        )


@blp.route("/shares/<string:code>/visits")
class Visits(MethodView):
    @blp.doc(security=[{}, {"bearer": []}])
    @blp.arguments(VisitIn)
    @blp.response(201, VisitOut)
    def post(self, data, code):
        """Count a visit through a live link (signed in or anonymous with a device id) and
        answer the target to open. 404 ``share_not_found``, 410 ``share_expired``."""
        user = auth.current_user(optional=True)
        visit = service.record_visit(
            code, user_id=user.id if user else None, device_id=data["device_id"]
        )
        return {**service.share_view(visit.share), "visit_id": visit.id}


@blp.route("/merchants/<int:merchant_id>/shares")
class MerchantShares(MethodView):
    @blp.arguments(LinkQuery, location="query")
    @blp.response(200, LinkStatsOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """The store's share links with their visits, sign-ups, orders and paid amount."""
        auth.require_staff(merchant_id)
        links = service.merchant_links(merchant_id, query)
        return Rendered(links, lambda page: service.link_stats(merchant_id, page))


@blp.route("/merchants/<int:merchant_id>/shares/sharers")
class MerchantSharers(MethodView):
    @blp.arguments(SharerQuery, location="query")
    @blp.response(200, SharerStatsOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """The store's figures per sharer (most links first)."""
        auth.require_staff(merchant_id)
        rows = service.merchant_sharers(merchant_id, query)
        kind = query.get("kind")
        return Rendered(rows, lambda page: service.sharer_stats(merchant_id, page, kind))
