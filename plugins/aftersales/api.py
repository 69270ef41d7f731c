"""After-sale REST routes, all under ``/merchants/<id>/aftersales`` (404 for a store without
the plugin). A buyer reaches only their own cases; staff only their store's — anyone else,
staff of another store included, gets 404."""

from __future__ import annotations

import datetime as dt

from flask.views import MethodView

from mallkit.core.plugin_api import (
    Actor,
    NotFound,
    OrderLine,
    PeeweePage,
    Refund,
    User,
    ValidationError,
    buyer_order,
    plugin_blueprint,
    require_staff,
    require_user,
    store_media,
    utcnow,
)
from mallkit.plugins.aftersales import service
from mallkit.plugins.aftersales.models import Case, CaseMessage
from mallkit.plugins.aftersales.schemas import (
    AftersaleReasonsOut,
    AftersaleStatsIn,
    AftersaleStatsOut,
    CaseDetailOut,
    CaseFilterIn,
    CaseIn,
    CaseMessageIn,
    CaseMessageOut,
    CaseOut,
    CaseReasonIn,
    DecisionNoteIn,
    EvidenceUploadIn,
    EvidenceUploadOut,
    ParcelIn,
)

blp = plugin_blueprint("aftersales", __name__, description="After-sales (售后)")
BASE = "/merchants/<int:merchant_id>/aftersales"


def staff_actor(merchant_id: int) -> Actor:
    """The caller as staff of this store (or a platform admin); 404 for anyone else, so a
    store's cases are invisible to other stores' staff."""
    not_staff = NotFound("no such after-sale case", code="case_not_found")
    user = require_staff(merchant_id, not_staff=not_staff)
    return Actor("admin" if user.is_platform_admin else "staff", user.id)


def buyer_case(merchant_id: int, case_id: int) -> tuple[Case, Actor]:
    user = require_user()
    case = service.get_case(merchant_id, case_id)
    if case.buyer_id != user.id:
        raise NotFound("no such after-sale case", code="case_not_found")
    return case, Actor("buyer", user.id)


def any_party(merchant_id: int, case_id: int) -> tuple[Case, Actor]:
    """The case for its buyer or the store's staff."""
    user: User = require_user()
    case = service.get_case(merchant_id, case_id)
    if case.buyer_id == user.id:
        return case, Actor("buyer", user.id)
    return case, staff_actor(merchant_id)


def detail(case: Case) -> dict:
    line = OrderLine.get_by_id(case.order_line_id)
    refund = Refund.get_or_none(Refund.id == case.refund_id) if case.refund_id else None
    messages = list(
        CaseMessage.select().where(CaseMessage.case == case.id).order_by(CaseMessage.id)
    )
    return {
        **{f: getattr(case, f) for f in CaseOut().fields},
        "line": line,
        "refund": refund,
        "messages": messages,
    }


# -- buyer -----------------------------------------------------------------------------------


@blp.route(f"{BASE}/reasons")
class Reasons(MethodView):
    @blp.doc(security=[])
    @blp.response(200, AftersaleReasonsOut)
    def get(self, merchant_id):
        """The store's after-sale reasons, window and return address (for the apply form)."""
        cfg = service.config(merchant_id)
        return {k: cfg[k] for k in ("reasons", "window_days", "return_address")}


@blp.route(f"{BASE}/uploads")
class Uploads(MethodView):
    @blp.arguments(EvidenceUploadIn, location="files")
    @blp.response(201, EvidenceUploadOut)
    def post(self, files, merchant_id):
        """Upload an evidence photo (signed-in users); use the URL in ``evidence``/``images``."""
        require_user()
        return store_media(merchant_id, files["file"].stream, folder="aftersales", kinds=("image",))


@blp.route(f"{BASE}/cases")
class BuyerCases(MethodView):
    @blp.arguments(CaseFilterIn, location="query")
    @blp.response(200, CaseOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """The caller's own cases at this store, newest first."""
        user = require_user()
        query = Case.select().where((Case.merchant_id == merchant_id) & (Case.buyer_id == user.id))
        return _filtered(query, args)

    @blp.arguments(CaseIn)
    @blp.response(201, CaseDetailOut)
    def post(self, data, merchant_id):
        """Apply for a refund, a return or an exchange of one line of your order."""
        user = require_user()
        order = buyer_order(user.id, data["order_id"])
        if order.merchant_id != merchant_id:
            raise NotFound("order not found", code="order_not_found")
        return detail(service.apply(order, data, Actor("buyer", user.id)))


@blp.route("/me/aftersales/cases")
class MyCases(MethodView):
    @blp.arguments(CaseFilterIn, location="query")
    @blp.response(200, CaseOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args):
        """The caller's cases at every store, newest first."""
        user = require_user()
        return _filtered(Case.select().where(Case.buyer_id == user.id), args)


@blp.route(f"{BASE}/cases/<int:case_id>")
class CaseDetail(MethodView):
    @blp.response(200, CaseDetailOut)
    def get(self, merchant_id, case_id):
        """A case with its line, refund and conversation (its buyer or the store's staff)."""
        case, _ = any_party(merchant_id, case_id)
        return detail(case)


@blp.route(f"{BASE}/cases/<int:case_id>/cancel")
class Cancel(MethodView):
    @blp.response(200, CaseDetailOut)
    def post(self, merchant_id, case_id):
        """Withdraw your application while it waits for a decision."""
        case, actor = buyer_case(merchant_id, case_id)
        return detail(service.cancel(case, actor))


@blp.route(f"{BASE}/cases/<int:case_id>/ship-back")
class ShipBack(MethodView):
    @blp.arguments(ParcelIn)
    @blp.response(200, CaseDetailOut)
    def post(self, data, merchant_id, case_id):
        """Tell the store the goods are on their way back (carrier, tracking number)."""
        case, actor = buyer_case(merchant_id, case_id)
        return detail(service.ship_back(case, actor, data["carrier"], data["tracking_number"]))


@blp.route(f"{BASE}/cases/<int:case_id>/messages")
class Messages(MethodView):
    @blp.arguments(CaseMessageIn)
    @blp.response(201, CaseMessageOut)
    def post(self, data, merchant_id, case_id):
        """Add to the case's conversation (its buyer or the store's staff)."""
        case, actor = any_party(merchant_id, case_id)
        return service.add_message(case, actor, data["text"], data["images"])


# -- staff -----------------------------------------------------------------------------------


def _filtered(query, args):
    for name in ("status", "type", "order_id", "buyer_id", "reason"):
        if args.get(name) is not None:
            query = query.where(getattr(Case, name) == args[name])
    return query.order_by(Case.created_at.desc(), Case.id.desc())


@blp.route(f"{BASE}/staff/cases")
class StaffCases(MethodView):
    @blp.arguments(CaseFilterIn, location="query")
    @blp.response(200, CaseOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """The store's cases, newest first, filtered by status, type, order, buyer, reason."""
        staff_actor(merchant_id)
        return _filtered(Case.select().where(Case.merchant_id == merchant_id), args)


def _staff_case(merchant_id: int, case_id: int) -> tuple[Case, Actor]:
    actor = staff_actor(merchant_id)
    return service.get_case(merchant_id, case_id), actor


@blp.route(f"{BASE}/cases/<int:case_id>/approve")
class Approve(MethodView):
    @blp.arguments(DecisionNoteIn)
    @blp.response(200, CaseDetailOut)
    def post(self, data, merchant_id, case_id):
        """Approve (staff): a refund-only case is refunded at once; a return waits for the
        goods."""
        case, actor = _staff_case(merchant_id, case_id)
        return detail(service.approve(case, actor, data["text"]))


@blp.route(f"{BASE}/cases/<int:case_id>/reject")
class Reject(MethodView):
    @blp.arguments(CaseReasonIn)
    @blp.response(200, CaseDetailOut)
    def post(self, data, merchant_id, case_id):
        """Reject with a reason (staff); the buyer may apply again."""
        case, actor = _staff_case(merchant_id, case_id)
        return detail(service.reject(case, actor, data["reason"]))


@blp.route(f"{BASE}/cases/<int:case_id>/receive")
class Receive(MethodView):
    @blp.response(200, CaseDetailOut)
    def post(self, merchant_id, case_id):
        """The returned goods arrived (staff)."""
        case, actor = _staff_case(merchant_id, case_id)
        return detail(service.receive(case, actor))


@blp.route(f"{BASE}/cases/<int:case_id>/refuse")
class Refuse(MethodView):
    @blp.arguments(CaseReasonIn)
    @blp.response(200, CaseDetailOut)
    def post(self, data, merchant_id, case_id):
        """Refuse receipt of the returned parcel, with a reason (staff)."""
        case, actor = _staff_case(merchant_id, case_id)
        return detail(service.refuse(case, actor, data["reason"]))


@blp.route(f"{BASE}/cases/<int:case_id>/refund")
class RefundCase(MethodView):
    @blp.response(200, CaseDetailOut)
    def post(self, merchant_id, case_id):
        """Refund a received return, or send a failed refund again (staff)."""
        case, actor = _staff_case(merchant_id, case_id)
        return detail(service.refund(case, actor))


@blp.route(f"{BASE}/cases/<int:case_id>/reship")
class Reship(MethodView):
    @blp.arguments(ParcelIn)
    @blp.response(200, CaseDetailOut)
    def post(self, data, merchant_id, case_id):
        """Ship the replacement of a received exchange (staff); the case is done."""
        case, actor = _staff_case(merchant_id, case_id)
        return detail(service.reship(case, actor, data["carrier"], data["tracking_number"]))


@blp.route(f"{BASE}/stats")
class Stats(MethodView):
    @blp.arguments(AftersaleStatsIn, location="query")
    @blp.response(200, AftersaleStatsOut)
    def get(self, args, merchant_id):
        """Cases of a period (default the last 30 days): rate per paid order, reasons."""
        staff_actor(merchant_id)
        until = args.get("until") or utcnow()
        since = args.get("since") or until - dt.timedelta(days=30)
        if since >= until:
            raise ValidationError("since must be before until", errors={"since": ["Before until."]})
        return service.stats(merchant_id, since, until)
