"""Back-office catalog endpoints: a merchant's staff manage products, categories, brands,
suppliers, tags, stock and media; platform admins manage the platform categories.

Reading needs any staff role; changing needs owner or manager (agents are read-only).
Another merchant's object answers 404.
"""

from __future__ import annotations

import io
import json
import logging
import queue
import threading

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from mallkit.core import db
from mallkit.core.accounts import auth
from mallkit.core.api import PeeweePage
from mallkit.core.catalog import browse, categories, importer, media, service, stock
from mallkit.core.catalog.models import (
    Brand,
    LowStockAlert,
    Product,
    Sku,
    StockMovement,
    Supplier,
    Tag,
)
from mallkit.core.catalog.schemas import (
    AdjustIn,
    AlertArgs,
    AlertOut,
    BrandIn,
    BrandOut,
    BrandPatch,
    CategoryIn,
    CategoryNodeOut,
    CategoryOut,
    CategoryPatch,
    ImportOptionsIn,
    MovementArgs,
    MovementOut,
    ProductIn,
    ProductPatch,
    ReorderIn,
    SettingsIn,
    SettingsOut,
    ShelfIn,
    ShelfOut,
    StaffProductArgs,
    StaffProductOut,
    StaffProductRowOut,
    StaffSkuArgs,
    StaffSkuOut,
    StocktakeIn,
    SupplierIn,
    SupplierOut,
    SupplierPatch,
    TagIn,
    TagOut,
    TagPatch,
    UploadIn,
    UploadOut,
)
from mallkit.core.catalog.search import search
from mallkit.core.catalog.visibility import on_shelf_expression
from mallkit.core.db import utcnow
from mallkit.core.errors import ValidationError

blp = Blueprint(
    "catalog_staff",
    __name__,
    url_prefix="/api/v1",
    description="Catalog and inventory: the merchant back office",
)

WRITERS = ("owner", "manager")
log = logging.getLogger("mallkit.catalog")


def _writer(merchant_id: int):
    return auth.require_staff(merchant_id, *WRITERS)


# -- products --------------------------------------------------------------------------------


@blp.route("/merchants/<int:merchant_id>/products")
class Products(MethodView):
    @blp.arguments(StaffProductArgs, location="query")
    @blp.response(200, StaffProductRowOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """The store's products in any state (staff)."""
        auth.require_staff(merchant_id)
        visible = on_shelf_expression(utcnow())
        query = Product.select(Product, visible.alias("visible")).where(
            Product.merchant == merchant_id
        )
        status = args["status"]
        if status == "deleted":
            query = query.where(Product.deleted_at.is_null(False))
        else:
            query = query.where(Product.deleted_at.is_null())
            if status == "on_shelf":
                query = query.where(visible)
            elif status == "off_shelf":
                query = query.where(~visible)
        if args.get("q"):
            query = search(args["q"]).apply(query)
        if args.get("category_id") is not None:
            category = categories.get_category(merchant_id, args["category_id"])
            query = query.where(Product.category.in_(categories.descendant_ids(category)))
        if args.get("brand_id") is not None:
            query = query.where(Product.brand == args["brand_id"])
        return query.order_by(Product.id.desc())

    @blp.arguments(ProductIn)
    @blp.response(201, StaffProductOut)
    def post(self, data, merchant_id):
        """Create a product with its SKUs (owner or manager)."""
        user = _writer(merchant_id)
        product = service.create_product(merchant_id, data, actor_id=user.id)
        return browse.detail(product.id, staff_merchant_id=merchant_id)


@blp.route("/merchants/<int:merchant_id>/products/<int:product_id>")
class ProductItem(MethodView):
    @blp.response(200, StaffProductOut)
    def get(self, merchant_id, product_id):
        """A product with its SKUs, costs and shelf settings (staff)."""
        auth.require_staff(merchant_id)
        return browse.detail(product_id, staff_merchant_id=merchant_id)

    @blp.arguments(ProductPatch)
    @blp.response(200, StaffProductOut)
    def patch(self, data, merchant_id, product_id):
        """Change a product; ``skus`` replaces the SKU set (owner or manager)."""
        user = _writer(merchant_id)
        service.update_product(merchant_id, product_id, data, actor_id=user.id)
        return browse.detail(product_id, staff_merchant_id=merchant_id)

    @blp.response(204)
    def delete(self, merchant_id, product_id):
        """Delete a product (softly: orders keep it) (owner or manager)."""
        user = _writer(merchant_id)
        service.delete_product(merchant_id, product_id, actor_id=user.id)


@blp.route("/merchants/<int:merchant_id>/products/shelf")
class Shelf(MethodView):
    @blp.arguments(ShelfIn)
    @blp.response(200, ShelfOut)
    def post(self, data, merchant_id):
        """Put products on or off shelf now (owner or manager)."""
        user = _writer(merchant_id)
        changed = service.set_shelf(
            merchant_id, data["product_ids"], data["on_shelf"], actor_id=user.id
        )
        return {"changed": changed}


# -- categories ------------------------------------------------------------------------------


def _category_routes(prefix: str, scope, name: str) -> None:
    """Register the tree endpoints under ``prefix`` for a merchant's tree or the platform's.

    ``scope(kwargs, write)`` checks permissions and returns the tree's merchant id (None for
    the platform).
    """

    class Tree(MethodView):
        @blp.response(200, CategoryNodeOut(many=True))
        def get(self, **kw):
            """The category tree."""
            return categories.tree(scope(kw, False))

        @blp.arguments(CategoryIn)
        @blp.response(201, CategoryOut)
        def post(self, data, **kw):
            """Add a category (under ``parent_id``)."""
            owner_id, user = scope(kw, True)
            return categories.create_category(owner_id, data, actor_id=user.id)

    class Item(MethodView):
        @blp.arguments(CategoryPatch)
        @blp.response(200, CategoryOut)
        def patch(self, data, category_id, **kw):
            """Rename, reposition or move (``parent_id``) a category."""
            owner_id, user = scope(kw, True)
            return categories.update_category(owner_id, category_id, data, actor_id=user.id)

        @blp.response(204)
        def delete(self, category_id, **kw):
            """Delete an empty category."""
            owner_id, user = scope(kw, True)
            categories.delete_category(owner_id, category_id, actor_id=user.id)

    class Reorder(MethodView):
        @blp.arguments(ReorderIn)
        @blp.response(200, CategoryOut(many=True))
        def post(self, data, **kw):
            """Order the children of ``parent_id`` as ``ids``."""
            owner_id, user = scope(kw, True)
            return categories.reorder(owner_id, data["parent_id"], data["ids"], actor_id=user.id)

    for view, suffix in ((Tree, ""), (Item, "/<int:category_id>"), (Reorder, "/reorder")):
        view.__name__ = f"{name}{view.__name__}"
        blp.route(f"{prefix}{suffix}")(view)


def _merchant_scope(kw, write):
    merchant_id = kw["merchant_id"]
    if write:
        return merchant_id, _writer(merchant_id)
    auth.require_staff(merchant_id)
    return merchant_id


def _platform_scope(kw, write):
    user = auth.require_admin()
    return (None, user) if write else None


_category_routes("/merchants/<int:merchant_id>/categories", _merchant_scope, "Merchant")
_category_routes("/admin/categories", _platform_scope, "Platform")


# -- brands, suppliers, tags -----------------------------------------------------------------


def _named_routes(model, what: str, plural: str, schema_in, schema_patch, schema_out) -> None:
    class Collection(MethodView):
        @blp.response(200, schema_out(many=True))
        def get(self, merchant_id):
            auth.require_staff(merchant_id)
            order = (model.position, model.id) if model is Tag else (model.name, model.id)
            return model.select().where(model.merchant == merchant_id).order_by(*order)

        @blp.arguments(schema_in)
        @blp.response(201, schema_out)
        def post(self, data, merchant_id):
            user = _writer(merchant_id)
            return service.save_named(model, what, merchant_id, data, actor_id=user.id)

    class Item(MethodView):
        @blp.response(200, schema_out)
        def get(self, merchant_id, object_id):
            auth.require_staff(merchant_id)
            return service._owned(model, merchant_id, object_id, what)

        @blp.arguments(schema_patch)
        @blp.response(200, schema_out)
        def patch(self, data, merchant_id, object_id):
            user = _writer(merchant_id)
            return service.save_named(model, what, merchant_id, data, object_id, actor_id=user.id)

        @blp.response(204)
        def delete(self, merchant_id, object_id):
            user = _writer(merchant_id)
            service.delete_named(model, what, merchant_id, object_id, actor_id=user.id)

    for view, suffix in ((Collection, ""), (Item, "/<int:object_id>")):
        view.__name__ = f"{what.title()}{view.__name__}"
        view.get.__doc__ = f"The store's {plural} (staff)." if suffix == "" else f"One {what}."
        blp.route(f"/merchants/<int:merchant_id>/{plural}{suffix}")(view)


_named_routes(Brand, "brand", "brands", BrandIn, BrandPatch, BrandOut)
_named_routes(Supplier, "supplier", "suppliers", SupplierIn, SupplierPatch, SupplierOut)
_named_routes(Tag, "tag", "tags", TagIn, TagPatch, TagOut)


# -- stock -----------------------------------------------------------------------------------


@blp.route("/merchants/<int:merchant_id>/skus")
class Skus(MethodView):
    @blp.arguments(StaffSkuArgs, location="query")
    @blp.response(200, StaffSkuOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """The store's live SKUs with stock; ``low=true``: at or below the threshold."""
        auth.require_staff(merchant_id)
        query = (
            Sku.select(Sku, Product.id, Product.name)
            .join(Product)
            .where(
                (Sku.merchant == merchant_id)
                & Sku.deleted_at.is_null()
                & Product.deleted_at.is_null()
            )
        )
        if args.get("product_id") is not None:
            query = query.where(Sku.product == args["product_id"])
        if args.get("low"):
            default = stock.merchant_threshold(merchant_id)
            threshold = Sku.low_stock_threshold.is_null() & (Sku.stock <= default)
            query = query.where(threshold | (Sku.stock <= Sku.low_stock_threshold))
        return query.order_by(Sku.stock, Sku.id)


@blp.route("/merchants/<int:merchant_id>/stock/stocktake")
class Stocktake(MethodView):
    @blp.arguments(StocktakeIn)
    @blp.response(200, MovementOut(many=True))
    def post(self, data, merchant_id):
        """Record counted stock (owner or manager); one ledger row per SKU."""
        user = _writer(merchant_id)
        counts: dict[int, int] = {}
        for line in data["lines"]:
            counts[line["sku_id"]] = line["counted"]
        return stock.stocktake(merchant_id, counts, note=data["note"], actor_id=user.id)


@blp.route("/merchants/<int:merchant_id>/stock/adjust")
class Adjust(MethodView):
    @blp.arguments(AdjustIn)
    @blp.response(200, MovementOut(many=True))
    def post(self, data, merchant_id):
        """Add to or take from stock (returns, damage, corrections), all or nothing
        (owner or manager); never below zero."""
        user = _writer(merchant_id)
        deltas: dict[int, int] = {}
        for line in data["lines"]:
            deltas[line["sku_id"]] = deltas.get(line["sku_id"], 0) + line["delta"]
        reference = stock.StockReference(data["reference_type"], data["reference_id"])
        return stock.adjust(
            merchant_id,
            deltas,
            reason=data["reason"],
            note=data["note"],
            reference=reference,
            actor_id=user.id,
        )


@blp.route("/merchants/<int:merchant_id>/stock/movements")
class Movements(MethodView):
    @blp.arguments(MovementArgs, location="query")
    @blp.response(200, MovementOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """The stock ledger, newest first (staff)."""
        auth.require_staff(merchant_id)
        query = StockMovement.select().where(StockMovement.merchant == merchant_id)
        if args.get("sku_id") is not None:
            query = query.where(StockMovement.sku == args["sku_id"])
        if args.get("reason"):
            query = query.where(StockMovement.reason == args["reason"])
        return query.order_by(StockMovement.id.desc())


@blp.route("/merchants/<int:merchant_id>/stock/alerts")
class Alerts(MethodView):
    @blp.arguments(AlertArgs, location="query")
    @blp.response(200, AlertOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """Low-stock alerts, newest first; ``open=true``: not yet acknowledged (staff)."""
        auth.require_staff(merchant_id)
        query = LowStockAlert.select().where(LowStockAlert.merchant == merchant_id)
        if args.get("open"):
            query = query.where(LowStockAlert.acknowledged_at.is_null())
        return query.order_by(LowStockAlert.id.desc())


@blp.route("/merchants/<int:merchant_id>/stock/alerts/<int:alert_id>/acknowledge")
class AcknowledgeAlert(MethodView):
    @blp.response(200, AlertOut)
    def post(self, merchant_id, alert_id):
        """Mark a low-stock alert as seen (staff)."""
        user = auth.require_staff(merchant_id)
        return stock.acknowledge_alert(merchant_id, alert_id, actor_id=user.id)


@blp.route("/merchants/<int:merchant_id>/catalog-settings")
class Settings(MethodView):
    @blp.response(200, SettingsOut)
    def get(self, merchant_id):
        """Catalog settings: the default low-stock threshold (staff)."""
        auth.require_staff(merchant_id)
        return service.get_settings(merchant_id)

    @blp.arguments(SettingsIn)
    @blp.response(200, SettingsOut)
    def put(self, data, merchant_id):
        """Change the catalog settings (owner or manager)."""
        user = _writer(merchant_id)
        return service.update_settings(merchant_id, data, actor_id=user.id)


# -- media -----------------------------------------------------------------------------------


@blp.route("/merchants/<int:merchant_id>/media")
class Media(MethodView):
    @blp.arguments(UploadIn, location="files")
    @blp.response(201, UploadOut)
    def post(self, files, merchant_id):
        """Upload a product image or video (owner or manager); use the returned URL in
        ``images``/``video_url``."""
        _writer(merchant_id)
        return media.store(merchant_id, files["file"].stream)


# -- CSV import and export -------------------------------------------------------------------

NDJSON = {
    "200": {
        "description": "One JSON object per line as the import goes: ``{done, total}`` (SKU "
        "rows handled so far), then ``{report: {committed, created_products, created_skus, "
        "skipped_products, errors: [{line, field, message}]}}`` — or ``{error}`` if it "
        "stopped unexpectedly",
        "content": {"application/x-ndjson": {}},
    }
}


@blp.route("/merchants/<int:merchant_id>/products/import")
class ProductImport(MethodView):
    @blp.arguments(UploadIn, location="files")
    @blp.arguments(ImportOptionsIn, location="query")
    @blp.doc(responses=NDJSON)
    def post(self, files, options, merchant_id):
        """Import products from a CSV file (owner or manager; the format of docs/catalog.md),
        streaming the progress and then the report with every bad row. Nothing is written
        when a row is bad, unless ``skip_bad_rows``."""
        _writer(merchant_id)
        try:
            text = files["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                "the file is not UTF-8 text", errors={"file": ["Not a UTF-8 CSV file."]}
            ) from exc
        total = max(sum(1 for line in text.splitlines() if line.strip()) - 1, 0)
        app = current_app._get_current_object()
        events: queue.Queue = queue.Queue()

        def work() -> None:
            with app.app_context():
                db.database.connect(reuse_if_open=True)
                try:
                    report = importer.import_csv(
                        merchant_id,
                        io.StringIO(text, newline=""),
                        skip_bad_rows=options["skip_bad_rows"],
                        progress=lambda n: events.put(("progress", n)),
                    )
                    events.put(("report", report))
                except Exception:  # reported to the caller; the import rolled back
                    log.exception("catalog import for merchant %s failed", merchant_id)
                    events.put(("error", "the import stopped unexpectedly; nothing was imported"))
                finally:
                    db.database.close()

        worker = threading.Thread(target=work, name=f"catalog-import-{merchant_id}", daemon=True)
        worker.start()

        def stream():
            done = 0
            yield json.dumps({"done": 0, "total": total}) + "\n"
            while True:
                kind, value = events.get()
                if kind == "progress":
                    done += value
                    yield json.dumps({"done": done, "total": total}) + "\n"
                elif kind == "report":
                    report = {
                        "committed": value.committed,
                        "created_products": value.created_products,
                        "created_skus": value.created_skus,
                        "skipped_products": value.skipped_products,
                        "errors": [
                            {"line": e.line, "field": e.field, "message": e.message}
                            for e in value.errors
                        ],
                    }
                    yield json.dumps({"report": report}, ensure_ascii=False) + "\n"
                    return
                else:
                    yield json.dumps({"error": value}) + "\n"
                    return

        return Response(stream(), mimetype="application/x-ndjson")


@blp.route("/merchants/<int:merchant_id>/products/export")
class ProductExport(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "The catalog as CSV (the import format)",
                "content": {"text/csv": {}},
            }
        }
    )
    def get(self, merchant_id):
        """The store's live products as CSV, one row per SKU, in the import format (owner or
        manager)."""
        _writer(merchant_id)
        out = io.StringIO()
        importer.export_csv(merchant_id, out)
        return Response(
            "\ufeff" + out.getvalue(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="products-{merchant_id}.csv"'},
        )
