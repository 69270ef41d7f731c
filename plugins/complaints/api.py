"""Complaint REST routes. A store's complaints live under ``/merchants/<id>/complaints`` (404
for a store without the plugin): the buyer files and follows their own, the store's staff
answer, the platform forwards and decides; anyone else gets 404. The platform's inbox across
stores is ``/platform/complaints``."""

from __future__ import annotations

import datetime as dt

from flask.views import MethodView

from mallkit.core.plugin_api import (
    Actor,
    Forbidden,
    NotFound,
    PeeweePage,
    Rendered,
    ValidationError,
    buyer_order,
    plugin_blueprint,
    require_admin,
    require_staff,
    require_user,
    store_media,
    utcnow,
)
from mallkit.plugins.complaints import service
from mallkit.plugins.complaints.models import Complaint, ComplaintMessage
from mallkit.plugins.complaints.schemas import (
    AppealIn,
    ComplaintDetailOut,
    ComplaintFilterIn,
    ComplaintIn,
    ComplaintMessageIn,
    ComplaintMessageOut,
    ComplaintOut,
    ComplaintStatsIn,
    ComplaintStatsOut,
    ComplaintUploadIn,
    ComplaintUploadOut,
    DecisionIn,
)

blp = plugin_blueprint("complaints", __name__, description="Complaints and disputes (投诉)")
BASE = "/merchants/<int:merchant_id>/complaints"


def _not_found() -> NotFound:
    return NotFound("no such complaint", code="complaint_not_found")


def staff_actor(merchant_id: int) -> Actor:
    """The caller as the store's staff (or a platform admin); 404 for anyone else."""
    user = require_staff(merchant_id, not_staff=_not_found())
    return Actor("admin" if user.is_platform_admin else "staff", user.id)


def platform_actor() -> Actor:
    try:
        return Actor("admin", require_admin().id)
    except Forbidden:
        raise _not_found() from None


def party(merchant_id: int, complaint_id: int) -> tuple[Complaint, Actor]:
    """The complaint for its buyer, the store's staff or the platform."""
    user = require_user()
    complaint = service.get(merchant_id, complaint_id)
    if complaint.buyer_id == user.id:
        return complaint, Actor("buyer", user.id)
    return complaint, staff_actor(merchant_id)


def view(complaint: Complaint, messages: bool = False) -> dict:
    out = {f: getattr(complaint, f) for f in ComplaintOut().fields if f != "overdue"}
    out["overdue"] = bool(complaint.due_at and complaint.due_at < utcnow())
    if messages:
        out["messages"] = list(
            ComplaintMessage.select()
            .where(ComplaintMessage.complaint == complaint.id)
            .order_by(ComplaintMessage.id)
        )
    return out


def page(query) -> Rendered:
    return Rendered(query, lambda rows: [view(c) for c in rows])


def _period(args: dict) -> tuple[dt.datetime, dt.datetime]:
    until = args.get("until") or utcnow()
    since = args.get("since") or until - dt.timedelta(days=30)
    if since >= until:
        raise ValidationError("since must be before until", errors={"since": ["Before until."]})
    return since, until


# -- the buyer -------------------------------------------------------------------------------


@blp.route(f"{BASE}/uploads")
class Uploads(MethodView):
    @blp.arguments(ComplaintUploadIn, location="files")
    @blp.response(201, ComplaintUploadOut)
    def post(self, files, merchant_id):
        """Upload an evidence photo; use the URL in ``evidence`` or ``images``."""
        require_user()
        return store_media(merchant_id, files["file"].stream, folder="complaints", kinds=("image",))


@blp.route(BASE)
class BuyerComplaints(MethodView):
    @blp.response(200, ComplaintOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """The caller's complaints about this store, newest first."""
        user = require_user()
        return page(
            Complaint.select()
            .where((Complaint.merchant_id == merchant_id) & (Complaint.buyer_id == user.id))
            .order_by(Complaint.id.desc())
        )

    @blp.arguments(ComplaintIn)
    @blp.response(201, ComplaintDetailOut)
    def post(self, data, merchant_id):
        """File a complaint about one of your orders at this store."""
        user = require_user()
        order = buyer_order(user.id, data["order_id"])
        if order.merchant_id != merchant_id:
            raise NotFound("order not found", code="order_not_found")
        return view(service.file(order, data, Actor("buyer", user.id)), messages=True)


@blp.route("/me/complaints")
class MyComplaints(MethodView):
    @blp.response(200, ComplaintOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self):
        """The caller's complaints about every store, newest first."""
        user = require_user()
        return page(
            Complaint.select().where(Complaint.buyer_id == user.id).order_by(Complaint.id.desc())
        )


@blp.route(f"{BASE}/<int:complaint_id>")
class Detail(MethodView):
    @blp.response(200, ComplaintDetailOut)
    def get(self, merchant_id, complaint_id):
        """A complaint with its conversation (its buyer, the store's staff, the platform)."""
        complaint, _ = party(merchant_id, complaint_id)
        return view(complaint, messages=True)


@blp.route(f"{BASE}/<int:complaint_id>/withdraw")
class Withdraw(MethodView):
    @blp.response(200, ComplaintDetailOut)
    def post(self, merchant_id, complaint_id):
        """Withdraw your open complaint."""
        complaint, actor = party(merchant_id, complaint_id)
        if actor.type != "buyer":
            raise _not_found()
        return view(service.withdraw(complaint, actor), messages=True)


@blp.route(f"{BASE}/<int:complaint_id>/messages")
class Messages(MethodView):
    @blp.arguments(ComplaintMessageIn)
    @blp.response(201, ComplaintMessageOut)
    def post(self, data, merchant_id, complaint_id):
        """Add to the conversation (buyer, the store's staff or the platform)."""
        complaint, actor = party(merchant_id, complaint_id)
        return service.add_message(complaint, actor, data["text"], data["images"])


@blp.route(f"{BASE}/<int:complaint_id>/escalate")
class Escalate(MethodView):
    @blp.response(200, ComplaintDetailOut)
    def post(self, merchant_id, complaint_id):
        """Ask the platform to decide (any party, once the merchant has answered)."""
        complaint, actor = party(merchant_id, complaint_id)
        return view(service.escalate(complaint, actor), messages=True)


# -- the store -------------------------------------------------------------------------------


@blp.route(f"{BASE}/staff")
class StaffComplaints(MethodView):
    @blp.arguments(ComplaintFilterIn, location="query")
    @blp.response(200, ComplaintOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """Complaints about the store, newest first (staff)."""
        staff_actor(merchant_id)
        query = Complaint.select().where(Complaint.merchant_id == merchant_id)
        for name in ("status", "type"):
            if args.get(name):
                query = query.where(getattr(Complaint, name) == args[name])
        return page(query.order_by(Complaint.id.desc()))


@blp.route(f"{BASE}/<int:complaint_id>/appeal")
class Appeal(MethodView):
    @blp.arguments(AppealIn)
    @blp.response(200, ComplaintDetailOut)
    def post(self, data, merchant_id, complaint_id):
        """The store's answer, before its deadline (staff)."""
        actor = staff_actor(merchant_id)
        complaint = service.get(merchant_id, complaint_id)
        return view(service.appeal(complaint, actor, data["text"], data["evidence"]), messages=True)


@blp.route(f"{BASE}/stats")
class Stats(MethodView):
    @blp.arguments(ComplaintStatsIn, location="query")
    @blp.response(200, ComplaintStatsOut)
    def get(self, args, merchant_id):
        """The store's complaint rate and decisions over a period (default 30 days)."""
        staff_actor(merchant_id)
        return service.stats(merchant_id, *_period(args))


# -- the platform ----------------------------------------------------------------------------


@blp.route(f"{BASE}/<int:complaint_id>/forward")
class Forward(MethodView):
    @blp.response(200, ComplaintDetailOut)
    def post(self, merchant_id, complaint_id):
        """Accept a new complaint and start the merchant's deadline (platform)."""
        actor = platform_actor()
        return view(service.forward(service.get(merchant_id, complaint_id), actor), messages=True)


@blp.route(f"{BASE}/<int:complaint_id>/decide")
class Decide(MethodView):
    @blp.arguments(DecisionIn)
    @blp.response(200, ComplaintDetailOut)
    def post(self, data, merchant_id, complaint_id):
        """Close with a decision (platform); refunds and exchanges follow through aftersales."""
        actor = platform_actor()
        complaint = service.get(merchant_id, complaint_id)
        return view(service.decide(complaint, actor, data), messages=True)


@blp.route("/platform/complaints")
class Inbox(MethodView):
    @blp.arguments(ComplaintFilterIn, location="query")
    @blp.response(200, ComplaintOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args):
        """Open complaints of every store, most urgent first, with due times (platform)."""
        platform_actor()
        return page(service.inbox(args))
