"""Freight REST routes: the region list (public), and the store's templates and product
picks under ``/merchants/<merchant_id>/freight`` (owner and managers; 404 for anyone else and
where the store has not enabled the plugin)."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import NotFound, User, plugin_blueprint, require_staff
from mallkit.plugins.freight import service
from mallkit.plugins.freight.regions import regions
from mallkit.plugins.freight.schemas import (
    FreightProductTemplateIn,
    FreightProductTemplateOut,
    FreightProvinceOut,
    FreightTemplateIn,
    FreightTemplateOut,
)

blp = plugin_blueprint("freight", __name__, description="Freight templates (运费模板)")
STORE = "/merchants/<int:merchant_id>/freight"


def staff_of(merchant_id: int) -> User:
    return require_staff(merchant_id, "owner", "manager", not_staff=NotFound("not found"))


@blp.route("/freight/regions")
class Regions(MethodView):
    @blp.doc(security=[])
    @blp.response(200, FreightProvinceOut(many=True))
    def get(self):
        """Mainland China's provinces and cities with their codes (the codes template rows,
        free-shipping rules and undeliverable lists name)."""
        return regions().as_list()


@blp.route(f"{STORE}/templates")
class Templates(MethodView):
    @blp.response(200, FreightTemplateOut(many=True))
    def get(self, merchant_id):
        """The store's freight templates."""
        staff_of(merchant_id)
        return [service.render(t) for t in service.templates(merchant_id)]

    @blp.arguments(FreightTemplateIn)
    @blp.response(201, FreightTemplateOut)
    def post(self, data, merchant_id):
        """Add a template."""
        user = staff_of(merchant_id)
        return service.render(service.save_template(merchant_id, data, actor_id=user.id))


@blp.route(f"{STORE}/templates/<int:template_id>")
class Template(MethodView):
    @blp.response(200, FreightTemplateOut)
    def get(self, merchant_id, template_id):
        """One template."""
        staff_of(merchant_id)
        return service.render(service.template(merchant_id, template_id))

    @blp.arguments(FreightTemplateIn)
    @blp.response(200, FreightTemplateOut)
    def put(self, data, merchant_id, template_id):
        """Replace a template."""
        user = staff_of(merchant_id)
        return service.render(
            service.save_template(merchant_id, data, template_id, actor_id=user.id)
        )

    @blp.response(204)
    def delete(self, merchant_id, template_id):
        """Delete a template no product uses."""
        user = staff_of(merchant_id)
        service.delete_template(merchant_id, template_id, actor_id=user.id)


@blp.route(f"{STORE}/products/<int:product_id>")
class ProductTemplate(MethodView):
    @blp.response(200, FreightProductTemplateOut)
    def get(self, merchant_id, product_id):
        """The template a product picked (null: the store's default)."""
        staff_of(merchant_id)
        return service.product_template(merchant_id, product_id)

    @blp.arguments(FreightProductTemplateIn)
    @blp.response(200, FreightProductTemplateOut)
    def put(self, data, merchant_id, product_id):
        """Pick a product's template."""
        staff_of(merchant_id)
        return service.pick_template(merchant_id, product_id, data["template_id"])

    @blp.response(200, FreightProductTemplateOut)
    def delete(self, merchant_id, product_id):
        """Back to the store's default template."""
        staff_of(merchant_id)
        return service.pick_template(merchant_id, product_id, None)
