"""Promotion endpoints: a product's running promotions for the storefront, and the
merchant's promotion desk (create, list, change, stop)."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import PeeweePage, plugin_blueprint, require_staff
from mallkit.plugins.promotions import service
from mallkit.plugins.promotions.models import Promotion
from mallkit.plugins.promotions.schemas import (
    PromotionIn,
    PromotionOut,
    PromotionPatch,
    PromotionQuery,
)

blp = plugin_blueprint("promotions", __name__, description="Promotions")
STAFF = ("owner", "manager")


@blp.route("/merchants/<int:merchant_id>/products/<int:product_id>/promotions")
class ProductPromotions(MethodView):
    @blp.doc(security=[])
    @blp.response(200, PromotionOut(many=True))
    def get(self, merchant_id, product_id):
        """Promotions running now that cover the product (public)."""
        return service.for_product(merchant_id, product_id)


@blp.route("/merchants/<int:merchant_id>/promotions")
class Promotions(MethodView):
    @blp.arguments(PromotionQuery, location="query")
    @blp.response(200, PromotionOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """The merchant's promotions, newest first."""
        require_staff(merchant_id)
        q = Promotion.select().where(Promotion.merchant_id == merchant_id)
        for key in ("status", "type"):
            if query.get(key):
                q = q.where(getattr(Promotion, key) == query[key])
        return q.order_by(Promotion.id.desc())

    @blp.arguments(PromotionIn)
    @blp.response(201, PromotionOut)
    def post(self, data, merchant_id):
        """Create a promotion (rules per type: docs/plugins/promotions.md)."""
        require_staff(merchant_id, *STAFF)
        return service.create(merchant_id, data)


@blp.route("/merchants/<int:merchant_id>/promotions/<int:promotion_id>")
class PromotionItem(MethodView):
    @blp.response(200, PromotionOut)
    def get(self, merchant_id, promotion_id):
        """One promotion."""
        require_staff(merchant_id)
        return service.get(merchant_id, promotion_id)

    @blp.arguments(PromotionPatch)
    @blp.response(200, PromotionOut)
    def patch(self, data, merchant_id, promotion_id):
        """Change a promotion (checked again as a whole)."""
        require_staff(merchant_id, *STAFF)
        return service.update(merchant_id, promotion_id, data)

    @blp.response(204)
    def delete(self, merchant_id, promotion_id):
        """Stop a promotion; its usage history is kept for the limits and the records."""
        require_staff(merchant_id, *STAFF)
        service.update(merchant_id, promotion_id, {"status": "stopped"})
