"""FAQ REST routes. A store's FAQ is under ``/merchants/<merchant_id>/faq`` (404 where the
store has not enabled the plugin): anyone reads and searches it, its owner and managers
write it. The platform's FAQ is under ``/faq`` (platform admins write it), and a store's
list may include it (``include_platform``)."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import (
    Forbidden,
    NotFound,
    PeeweePage,
    User,
    current_user,
    plugin_blueprint,
    require_admin,
    require_staff,
)
from mallkit.plugins.faq import service
from mallkit.plugins.faq.schemas import (
    FaqCategoryIn,
    FaqCategoryOut,
    FaqEntryArgs,
    FaqEntryIn,
    FaqEntryOut,
    FaqEntryPatch,
    ProductCareIn,
    ProductCareOut,
)

blp = plugin_blueprint("faq", __name__, description="FAQ, warranty and repair (常见问题)")
STORE = "/merchants/<int:merchant_id>/faq"
PLATFORM = "/faq"


def staff_of(merchant_id: int) -> User:
    """The store's owner or a manager (or a platform admin); other staff get 404."""
    return require_staff(merchant_id, "owner", "manager", not_staff=NotFound("not found"))


def _is_staff(merchant_id: int | None) -> bool:
    """Whether the caller may see unpublished entries of this FAQ."""
    user = current_user(optional=True)
    if user is None:
        return False
    if user.is_platform_admin:
        return True
    if merchant_id is None:
        return False
    try:
        require_staff(merchant_id, "owner", "manager")
    except Forbidden:
        return False
    return True


def _guard(merchant_id: int | None) -> None:
    if merchant_id is None:
        require_admin()
    else:
        staff_of(merchant_id)


# The two FAQs (store and platform) share their views; ``merchant_id`` is None for the
# platform's.


class _Categories(MethodView):
    @blp.doc(security=[])
    @blp.response(200, FaqCategoryOut(many=True))
    def get(self, merchant_id=None):
        """Categories in order."""
        return list(service.categories(merchant_id))

    @blp.arguments(FaqCategoryIn)
    @blp.response(201, FaqCategoryOut)
    def post(self, data, merchant_id=None):
        """Add a category."""
        _guard(merchant_id)
        return service.save_category(merchant_id, data)


class _Category(MethodView):
    @blp.arguments(FaqCategoryIn)
    @blp.response(200, FaqCategoryOut)
    def put(self, data, category_id, merchant_id=None):
        """Rename or move a category."""
        _guard(merchant_id)
        return service.save_category(merchant_id, data, category_id)

    @blp.response(204)
    def delete(self, category_id, merchant_id=None):
        """Delete a category (its entries stay, uncategorised)."""
        _guard(merchant_id)
        service.delete_category(merchant_id, category_id)


class _Entries(MethodView):
    @blp.doc(security=[])
    @blp.arguments(FaqEntryArgs, location="query")
    @blp.response(200, FaqEntryOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id=None):
        """Entries in category and position order; ``q`` searches questions and answers the
        way product search does (every word must match)."""
        return service.entries(
            merchant_id,
            q=args["q"],
            category_id=args["category_id"],
            include_platform=args["include_platform"],
            staff=_is_staff(merchant_id),
        )

    @blp.arguments(FaqEntryIn)
    @blp.response(201, FaqEntryOut)
    def post(self, data, merchant_id=None):
        """Add an entry."""
        _guard(merchant_id)
        return service.save_entry(merchant_id, data)


class _Entry(MethodView):
    @blp.arguments(FaqEntryPatch)
    @blp.response(200, FaqEntryOut)
    def patch(self, data, entry_id, merchant_id=None):
        """Change an entry (question, answer, category, position, published)."""
        _guard(merchant_id)
        return service.save_entry(merchant_id, data, entry_id)

    @blp.response(204)
    def delete(self, entry_id, merchant_id=None):
        """Delete an entry."""
        _guard(merchant_id)
        service.entry(merchant_id, entry_id).delete_instance()


for base, prefix in ((STORE, "Store"), (PLATFORM, "Platform")):
    for path, view in (
        ("/categories", _Categories),
        ("/categories/<int:category_id>", _Category),
        ("/entries", _Entries),
        ("/entries/<int:entry_id>", _Entry),
    ):
        blp.route(base + path)(type(prefix + view.__name__.lstrip("_"), (view,), {}))


@blp.route(f"{STORE}/products/<int:product_id>/care")
class ProductCare(MethodView):
    @blp.response(200, ProductCareOut)
    def get(self, merchant_id, product_id):
        """A product's warranty and repair information."""
        return service.care(merchant_id, product_id)

    @blp.arguments(ProductCareIn)
    @blp.response(200, ProductCareOut)
    def put(self, data, merchant_id, product_id):
        """Set a product's warranty and repair information (owner or manager)."""
        staff_of(merchant_id)
        return service.save_care(merchant_id, product_id, data)
