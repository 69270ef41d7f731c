"""Coupon endpoints: the storefront (coupon centre, claim, redeem, my coupons) and the
merchant's desk (templates, issuing, redeem codes, usage statistics)."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import PeeweePage, plugin_blueprint, require_staff, require_user
from mallkit.plugins.coupons import service
from mallkit.plugins.coupons.models import CouponTemplate
from mallkit.plugins.coupons.schemas import (
    CentreQuery,
    CodesIn,
    CodesOut,
    CouponOut,
    CouponStatsOut,
    IssueIn,
    MyCouponsQuery,
    RedeemIn,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
)

blp = plugin_blueprint("coupons", __name__, description="Coupons")
STAFF = ("owner", "manager")


# -- storefront ------------------------------------------------------------------------------


@blp.route("/merchants/<int:merchant_id>/coupon-centre")
class Centre(MethodView):
    @blp.doc(security=[])
    @blp.arguments(CentreQuery, location="query")
    @blp.response(200, TemplateOut(many=True))
    def get(self, query, merchant_id):
        """Coupons a buyer can claim now (``product_id``: those for one product's page)."""
        return service.coupon_centre(merchant_id, query.get("product_id"))


@blp.route("/merchants/<int:merchant_id>/coupon-centre/<int:template_id>/claim")
class Claim(MethodView):
    @blp.response(201, CouponOut)
    def post(self, merchant_id, template_id):
        """Claim one coupon of a template (total, per-user and per-day limits hold)."""
        return service.claim(merchant_id, template_id, require_user().id)


@blp.route("/merchants/<int:merchant_id>/coupons/redeem")
class Redeem(MethodView):
    @blp.arguments(RedeemIn)
    @blp.response(201, CouponOut)
    def post(self, data, merchant_id):
        """Turn a single-use redeem code into a coupon."""
        return service.redeem(merchant_id, data["code"], require_user().id)


@blp.route("/me/coupons")
class MyCoupons(MethodView):
    @blp.arguments(MyCouponsQuery, location="query")
    @blp.response(200, CouponOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query):
        """The caller's coupons, soonest to expire first."""
        user = require_user()
        return service.my_coupons(user.id, query.get("status"), query.get("merchant_id"))


# -- merchant desk ---------------------------------------------------------------------------


@blp.route("/merchants/<int:merchant_id>/coupon-templates")
class Templates(MethodView):
    @blp.response(200, TemplateOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """The merchant's coupon templates, newest first."""
        require_staff(merchant_id)
        return (
            CouponTemplate.select()
            .where(CouponTemplate.merchant_id == merchant_id)
            .order_by(CouponTemplate.id.desc())
        )

    @blp.arguments(TemplateIn)
    @blp.response(201, TemplateOut)
    def post(self, data, merchant_id):
        """Define a coupon template."""
        require_staff(merchant_id, *STAFF)
        return service.create_template(merchant_id, data)


@blp.route("/merchants/<int:merchant_id>/coupon-templates/<int:template_id>")
class Template(MethodView):
    @blp.response(200, TemplateOut)
    def get(self, merchant_id, template_id):
        """One template."""
        require_staff(merchant_id)
        return service.get_template(merchant_id, template_id)

    @blp.arguments(TemplatePatch)
    @blp.response(200, TemplateOut)
    def patch(self, data, merchant_id, template_id):
        """Rename, stop, list or unlist a template, or change its total."""
        require_staff(merchant_id, *STAFF)
        return service.update_template(merchant_id, template_id, data)


@blp.route("/merchants/<int:merchant_id>/coupon-templates/<int:template_id>/issue")
class Issue(MethodView):
    @blp.arguments(IssueIn)
    @blp.response(201, CouponOut(many=True))
    def post(self, data, merchant_id, template_id):
        """Give one coupon to each of the users, or to every buyer of a segment (all or
        nothing)."""
        require_staff(merchant_id, *STAFF)
        if "segment_id" in data:
            return service.issue_to_segment(merchant_id, template_id, data["segment_id"])
        return service.issue(merchant_id, template_id, data["user_ids"])


@blp.route("/merchants/<int:merchant_id>/coupon-templates/<int:template_id>/codes")
class Codes(MethodView):
    @blp.arguments(CodesIn)
    @blp.response(201, CodesOut)
    def post(self, data, merchant_id, template_id):
        """Generate single-use redeem codes."""
        require_staff(merchant_id, *STAFF)
        return {"codes": service.generate_codes(merchant_id, template_id, data["count"])}


@blp.route("/merchants/<int:merchant_id>/coupon-templates/<int:template_id>/stats")
class Stats(MethodView):
    @blp.response(200, CouponStatsOut)
    def get(self, merchant_id, template_id):
        """Issued, claimed, used, orders and sales driven."""
        require_staff(merchant_id)
        return service.stats(merchant_id, template_id)
