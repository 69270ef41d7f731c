"""Storefront catalog endpoints: what buyers browse. Only products on shelf now, not deleted,
of an active store are ever shown; no sign-in needed."""

from __future__ import annotations

from flask import abort
from flask.views import MethodView

from mallkit.core import api, db
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.api import INT_MAX, CappedCount, CappedCountBlueprint, PeeweePage
from mallkit.core.catalog import browse, categories, media
from mallkit.core.catalog.models import Brand, Tag
from mallkit.core.catalog.schemas import (
    BrandOut,
    BrowseArgs,
    CategoryNodeOut,
    ProductCardOut,
    ProductDetailOut,
    RelatedArgs,
    StoreBrowseArgs,
    SuggestArgs,
    SuggestOut,
    TagOut,
)
from mallkit.core.errors import NotFound, ValidationError
from mallkit.core.storage import storage

blp = CappedCountBlueprint(
    "catalog", __name__, url_prefix="/api/v1", description="Catalog: browsing and search for buyers"
)


class CardPage(PeeweePage):
    """A page of products rendered as cards (tags and plugin extensions batched), over the
    ids query of :func:`~mallkit.core.catalog.browse.browse`.

    One query reads the ids of the first :data:`~mallkit.core.api.COUNT_CAP` + 1 matches in
    list order: how many there are is the capped count, and the page is a slice of them whose
    products are then read by id. The count and the page used to be two queries that each
    found the matches — for a search, each ranked them. A page past those ids (only when the
    count is capped) reads its ids with ``OFFSET``.
    """

    _ids: list[int] | None = None

    @staticmethod
    def _read(query) -> list[int]:
        # The cursor's rows as they come: a thousand ids through peewee's row wrapper cost
        # more than the query itself.
        return [pid for (pid,) in db.database.execute(query).fetchall()]

    def _first_ids(self) -> list[int]:
        if self._ids is None:
            self._ids = self._read(self.collection.limit(api.COUNT_CAP + 1))
        return self._ids

    @property
    def items(self):
        params = self.page_params
        if params.page * params.page_size > INT_MAX:
            raise ValidationError("no such page", errors={"page": ["Too large."]})
        ids = self._first_ids()
        first, end = params.first_item, params.last_item + 1
        if end <= len(ids) or len(ids) <= api.COUNT_CAP:  # the page is among them, or past all
            ids = ids[first:end]
        else:
            ids = self._read(self.collection.paginate(params.page, params.page_size))
        return browse.cards(browse.by_ids(ids))

    @property
    def item_count(self) -> int:
        ids = self._first_ids()
        cap = api.COUNT_CAP
        return CappedCount(cap) if len(ids) > cap else len(ids)


def _active_store(merchant_id: int) -> None:
    active = Merchant.is_active == True  # noqa: E712  (SQL, not Python)
    if not Merchant.select().where((Merchant.id == merchant_id) & active).exists():
        raise NotFound("merchant not found", code="merchant_not_found")


@blp.route("/products")
class Products(MethodView):
    @blp.doc(security=[])
    @blp.arguments(BrowseArgs, location="query")
    @blp.response(200, ProductCardOut(many=True))
    @blp.paginate(CardPage)
    def get(self, args):
        """Browse and search products across stores (filters combine with AND)."""
        return browse.browse(args)


@blp.route("/products/suggest")
class Suggest(MethodView):
    @blp.doc(security=[])
    @blp.arguments(SuggestArgs, location="query")
    @blp.response(200, SuggestOut)
    def get(self, args):
        """Autocomplete: product names for what was typed so far."""
        return {
            "suggestions": browse.suggest(
                args["q"], merchant_id=args.get("merchant_id"), limit=args["limit"]
            )
        }


@blp.route("/products/<int:product_id>")
class ProductItem(MethodView):
    @blp.doc(security=[])
    @blp.response(200, ProductDetailOut)
    def get(self, product_id):
        """A product with SKUs, brand, supplier, tags and related products."""
        data = browse.detail(product_id)
        data["related"] = browse.related(product_id)
        return data


@blp.route("/products/<int:product_id>/related")
class Related(MethodView):
    @blp.doc(security=[])
    @blp.arguments(RelatedArgs, location="query")
    @blp.response(200, ProductCardOut(many=True))
    def get(self, args, product_id):
        """Related products: bought together, same category and brand."""
        return browse.related(product_id, args["limit"])


@blp.route("/stores/<int:merchant_id>/products")
class StoreProducts(MethodView):
    @blp.doc(security=[])
    @blp.arguments(StoreBrowseArgs, location="query")
    @blp.response(200, ProductCardOut(many=True))
    @blp.paginate(CardPage)
    def get(self, args, merchant_id):
        """Browse and search one store's products."""
        _active_store(merchant_id)
        return browse.browse({**args, "merchant_id": merchant_id})


@blp.route("/stores/<int:merchant_id>/categories")
class StoreCategories(MethodView):
    @blp.doc(security=[])
    @blp.response(200, CategoryNodeOut(many=True))
    def get(self, merchant_id):
        """A store's category tree."""
        _active_store(merchant_id)
        return categories.tree(merchant_id)


@blp.route("/stores/<int:merchant_id>/brands")
class StoreBrands(MethodView):
    @blp.doc(security=[])
    @blp.response(200, BrandOut(many=True))
    def get(self, merchant_id):
        """A store's brands."""
        _active_store(merchant_id)
        return Brand.select().where(Brand.merchant == merchant_id).order_by(Brand.name)


@blp.route("/stores/<int:merchant_id>/tags")
class StoreTags(MethodView):
    @blp.doc(security=[])
    @blp.response(200, TagOut(many=True))
    def get(self, merchant_id):
        """A store's tags (热门, 新品, 推荐 ...)."""
        _active_store(merchant_id)
        return Tag.select().where(Tag.merchant == merchant_id).order_by(Tag.position, Tag.id)


@blp.route("/categories")
class PlatformCategories(MethodView):
    @blp.doc(security=[])
    @blp.response(200, CategoryNodeOut(many=True))
    def get(self):
        """The platform's category tree (browsing across stores)."""
        return categories.tree(None)


@blp.route("/media/<path:filename>")
class Media(MethodView):
    @blp.doc(security=[])
    @blp.doc(responses={"200": {"description": "The file"}})
    def get(self, filename):
        """An uploaded image or video (a product's, or a photo a plugin stored)."""
        folder, _, rest = filename.partition("/")
        if not media.is_folder(folder) or not rest or ".." in filename.split("/"):
            abort(404)
        backend = storage()
        if not backend.exists(filename):
            abort(404)
        return backend.serve(filename, max_age=7 * 86400)
