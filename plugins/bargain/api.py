"""Bargain REST routes. Every URL carries the merchant, so a store without the plugin
answers 404. Staff manage activities; a buyer starts a bargain; anyone signed in helps;
the share page shows who cut how much (names masked)."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import (
    PeeweePage,
    Rendered,
    User,
    plugin_blueprint,
    require_staff,
    require_user,
    share_url,
    utcnow,
)
from mallkit.plugins.bargain import service
from mallkit.plugins.bargain.models import Bargain, BargainActivity
from mallkit.plugins.bargain.schemas import (
    BargainActivityIn,
    BargainActivityOut,
    BargainOut,
    BargainShareDetailOut,
    BargainShareOut,
    HelpIn,
    HelpOut,
)

blp = plugin_blueprint("bargain", __name__, description="Bargain (砍价)")
STAFF = ("owner", "manager")


def _mask(name: str) -> str:
    return (name[:1] + "**") if name else "**"


def _names(ids) -> dict[int, str]:
    return {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(list(ids)))}


def bargain_view(bargain: Bargain) -> dict:
    helps = service.helps_of(bargain)
    names = _names({h.helper_id for h in helps} | {bargain.user_id})
    left = int((bargain.expires_at - utcnow()).total_seconds())
    return {
        "id": bargain.id,
        "activity_id": bargain.activity_id,
        "sku_id": bargain.sku_id,
        "start_price": bargain.start_price,
        "floor_price": bargain.floor_price,
        "current_price": bargain.current_price,
        "helpers_needed": bargain.helpers_needed,
        "helps": bargain.helps,
        "status": bargain.status,
        "expires_at": bargain.expires_at,
        "seconds_left": max(0, left) if bargain.status == "active" else 0,
        "initiator": _mask(names.get(bargain.user_id, "")),
        "helpers": [help_view(h, names) for h in helps],
    }


def help_view(help_row, names: dict[int, str]) -> dict:
    return {
        "seq": help_row.seq,
        "helper": _mask(names.get(help_row.helper_id, "")),
        "amount": help_row.amount,
        "price_after": help_row.price_after,
        "created_at": help_row.created_at,
    }


def share_view(share) -> dict:
    return {
        "code": share.code,
        "url": share_url(share),
        "bargain_id": share.target_id,
        "inviter_id": share.sharer_id,
    }


@blp.route("/merchants/<int:merchant_id>/bargain/activities")
class Activities(MethodView):
    @blp.doc(security=[])
    @blp.response(200, BargainActivityOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """Running bargain activities of the store (newest first)."""
        now = utcnow()
        return (
            BargainActivity.select()
            .where(
                (BargainActivity.merchant_id == merchant_id)
                & (BargainActivity.status == "active")
                & (BargainActivity.starts_at <= now)
                & (BargainActivity.ends_at > now)
            )
            .order_by(BargainActivity.id.desc())
        )

    @blp.arguments(BargainActivityIn)
    @blp.response(201, BargainActivityOut)
    def post(self, data, merchant_id):
        """Create an activity (owner or manager)."""
        require_staff(merchant_id, *STAFF)
        return service.create_activity(merchant_id, data)


@blp.route("/merchants/<int:merchant_id>/bargain/activities/<int:activity_id>")
class Activity(MethodView):
    @blp.doc(security=[])
    @blp.response(200, BargainActivityOut)
    def get(self, merchant_id, activity_id):
        """One activity."""
        return service.get_activity(merchant_id, activity_id)


@blp.route("/merchants/<int:merchant_id>/bargain/activities/<int:activity_id>/close")
class CloseActivity(MethodView):
    @blp.response(200, BargainActivityOut)
    def post(self, merchant_id, activity_id):
        """Stop new bargains (running ones keep their validity)."""
        require_staff(merchant_id, *STAFF)
        return service.close_activity(service.get_activity(merchant_id, activity_id))


@blp.route("/merchants/<int:merchant_id>/bargain/activities/<int:activity_id>/bargains")
class StartBargain(MethodView):
    @blp.response(201, BargainOut)
    def post(self, merchant_id, activity_id):
        """Start a bargain at the activity's start price."""
        user = require_user()
        activity = service.get_activity(merchant_id, activity_id)
        return bargain_view(service.start(activity, user.id))


@blp.route("/merchants/<int:merchant_id>/bargain/me/bargains")
class MyBargains(MethodView):
    @blp.response(200, BargainOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """Your bargains at this store, newest first (to come back to one, and buy it)."""
        user = require_user()
        mine = Bargain.select().where(
            (Bargain.merchant_id == merchant_id) & (Bargain.user_id == user.id)
        )
        return Rendered(
            mine.order_by(Bargain.id.desc()), lambda rows: [bargain_view(b) for b in rows]
        )


@blp.route("/merchants/<int:merchant_id>/bargain/bargains/<int:bargain_id>")
class BargainDetail(MethodView):
    @blp.doc(security=[])
    @blp.response(200, BargainOut)
    def get(self, merchant_id, bargain_id):
        """A bargain for its share page: price, helps, who cut how much."""
        return bargain_view(service.get_bargain(merchant_id, bargain_id))


@blp.route("/merchants/<int:merchant_id>/bargain/bargains/<int:bargain_id>/helps")
class Helps(MethodView):
    @blp.arguments(HelpIn)
    @blp.response(201, HelpOut)
    def post(self, data, merchant_id, bargain_id):
        """Cut the price once (send the share code you came through, for attribution)."""
        user = require_user()
        bargain = service.get_bargain(merchant_id, bargain_id)
        row = service.help_cut(bargain.id, user.id, share=data["share"])
        return help_view(row, {user.id: user.name})


@blp.route("/merchants/<int:merchant_id>/bargain/bargains/<int:bargain_id>/share")
class ShareBargain(MethodView):
    @blp.response(201, BargainShareOut)
    def post(self, merchant_id, bargain_id):
        """Your share code and link (initiator or helper; the same one each time)."""
        user = require_user()
        bargain = service.get_bargain(merchant_id, bargain_id)
        return share_view(service.share_for(bargain, user.id))


@blp.route("/merchants/<int:merchant_id>/bargain/shares/<string:code>")
class ShareDetail(MethodView):
    @blp.doc(security=[])
    @blp.response(200, BargainShareDetailOut)
    def get(self, merchant_id, code):
        """What a share link opens: the bargain and who invited."""
        share = service.get_share(merchant_id, code)
        return {**share_view(share), "bargain": bargain_view(Bargain.get_by_id(share.target_id))}
