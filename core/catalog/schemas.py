"""Request and response schemas of the catalog endpoints. Money is integer fen (``strict``
integers: ``19.9`` and ``"1990"`` are refused)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import ValidationError, fields, validate, validates_schema

from mallkit.core.api import Schema, UtcDateTime
from mallkit.core.catalog.browse import SORTS
from mallkit.core.catalog.models import STOCK_REASONS
from mallkit.core.catalog.skus import MAX_SKUS

Money = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=0), **kw)  # noqa: E731
MediaURL = lambda **kw: fields.String(  # noqa: E731
    validate=[
        validate.Length(max=500),
        # RFC 3986 characters only (non-ASCII percent-encoded); no brackets, quotes, spaces
        # or control characters, which could break out of the markup the URL lands in.
        validate.Regexp(
            r"^((https?://|/)[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+)?$",
            error="An http(s) URL or a /path (percent-encode other characters).",
        ),
    ],
    **kw,
)


# -- products --------------------------------------------------------------------------------


class SpecIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=32))
    values = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=50),
    )


class SkuIn(Schema):
    specs = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        load_default=dict,
        metadata={"description": 'The combination: {"颜色": "红", "尺码": "M"}'},
    )
    code = fields.String(
        validate=validate.Length(max=64),
        metadata={"description": "Unique per merchant; generated when empty"},
    )
    price = Money(required=True, metadata={"description": "Fen"})
    original_price = Money(allow_none=True)
    cost = Money(allow_none=True, metadata={"description": "For profit analytics; staff only"})
    weight = fields.Integer(
        strict=True, validate=validate.Range(min=0), metadata={"description": "Grams"}
    )
    stock = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=10**9),
        metadata={
            "description": "Initial stock; on an existing SKU a change is recorded as a stock-take"
        },
    )
    low_stock_threshold = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0)
    )
    image_url = MediaURL()


class SkuDefaultsIn(SkuIn):
    specs = fields.Dict(dump_only=True)


class ProductIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    subtitle = fields.String(validate=validate.Length(max=255))
    description = fields.String(
        validate=validate.Length(max=200_000),
        metadata={"description": "Rich text (HTML), sanitised"},
    )
    images = fields.List(MediaURL(), validate=validate.Length(max=20))
    video_url = MediaURL()
    category_id = fields.Integer(allow_none=True)
    platform_category_id = fields.Integer(allow_none=True)
    brand_id = fields.Integer(allow_none=True)
    supplier_id = fields.Integer(allow_none=True)
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        validate=validate.Length(max=20),
        metadata={"description": "Tag names; missing tags are created"},
    )
    attributes = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.String(validate=validate.Length(max=500)),
        validate=validate.Length(max=50),
    )
    specs = fields.List(fields.Nested(SpecIn), validate=validate.Length(max=5))
    skus = fields.List(fields.Nested(SkuIn), validate=validate.Length(min=1, max=MAX_SKUS))
    sku_defaults = fields.Nested(
        SkuDefaultsIn,
        metadata={"description": "Generate one SKU per combination of the specs with these values"},
    )
    is_on_shelf = fields.Boolean()
    shelf_on_at = UtcDateTime(allow_none=True)
    shelf_off_at = UtcDateTime(allow_none=True)

    @validates_schema
    def _one_sku_source(self, data, **kwargs):
        if data.get("skus") is not None and data.get("sku_defaults") is not None:
            raise ValidationError("Give skus or sku_defaults, not both.", "sku_defaults")


class ProductPatch(ProductIn):
    name = fields.String(validate=validate.Length(min=1, max=200))


class ShelfIn(Schema):
    product_ids = fields.List(
        fields.Integer(), required=True, validate=validate.Length(min=1, max=500)
    )
    on_shelf = fields.Boolean(required=True)


class ShelfOut(Schema):
    changed = fields.Integer()


class PublicSkuOut(Schema):
    id = fields.Integer()
    code = fields.String()
    specs = fields.Dict()
    price = fields.Integer()
    original_price = fields.Integer(allow_none=True)
    weight = fields.Integer()
    stock = fields.Integer()
    image_url = fields.String()


class SkuOut(PublicSkuOut):
    cost = fields.Integer(allow_none=True)
    low_stock_threshold = fields.Integer(allow_none=True)


class NamedRef(Schema):
    id = fields.Integer()
    name = fields.String()


class ProductCardOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    merchant_name = fields.String()
    name = fields.String()
    subtitle = fields.String()
    image = fields.String()
    currency = fields.String()
    price_min = fields.Integer(metadata={"description": "Fen"})
    price_max = fields.Integer(metadata={"description": "Fen"})
    sales_count = fields.Integer()
    in_stock = fields.Boolean()
    brand = fields.Nested(NamedRef, allow_none=True)
    tags = fields.List(fields.String())
    extensions = fields.Dict(metadata={"description": "Added by plugins (extend_product)"})


class BrandOut(Schema):
    id = fields.Integer()
    name = fields.String()
    logo_url = fields.String()
    story = fields.String()
    philosophy = fields.String()


class SupplierRef(Schema):
    id = fields.Integer()
    name = fields.String()
    contact_name = fields.String()
    contact_phone = fields.String()


class ProductDetailOut(Schema):
    id = fields.Integer()
    merchant_id = fields.Integer()
    merchant_name = fields.String()
    currency = fields.String()
    name = fields.String()
    subtitle = fields.String()
    description = fields.String()
    images = fields.List(fields.String())
    video_url = fields.String()
    attributes = fields.Dict()
    specs = fields.List(fields.Dict())
    price_min = fields.Integer()
    price_max = fields.Integer()
    sales_count = fields.Integer()
    in_stock = fields.Boolean()
    category = fields.List(fields.Nested(NamedRef), metadata={"description": "Root first"})
    platform_category = fields.List(fields.Nested(NamedRef))
    brand = fields.Nested(BrandOut, allow_none=True)
    supplier = fields.Nested(SupplierRef, allow_none=True)
    tags = fields.List(fields.Nested(NamedRef))
    skus = fields.List(fields.Nested(PublicSkuOut))
    extensions = fields.Dict()
    related = fields.List(fields.Nested(ProductCardOut))
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class StaffProductOut(ProductDetailOut):
    skus = fields.List(fields.Nested(SkuOut))
    is_on_shelf = fields.Boolean()
    shelf_on_at = UtcDateTime(allow_none=True)
    shelf_off_at = UtcDateTime(allow_none=True)
    category_id = fields.Integer(allow_none=True)
    platform_category_id = fields.Integer(allow_none=True)
    brand_id = fields.Integer(allow_none=True)
    supplier_id = fields.Integer(allow_none=True)


class StaffProductRowOut(Schema):
    id = fields.Integer()
    name = fields.String()
    subtitle = fields.String()
    image = fields.String(attribute="cover_url")
    price_min = fields.Integer()
    price_max = fields.Integer()
    sales_count = fields.Integer()
    is_on_shelf = fields.Boolean()
    shelf_on_at = UtcDateTime(allow_none=True)
    shelf_off_at = UtcDateTime(allow_none=True)
    visible = fields.Boolean(metadata={"description": "Buyers see it now (schedule applied)"})
    category_id = fields.Integer(allow_none=True)
    brand_id = fields.Integer(allow_none=True)
    deleted_at = UtcDateTime(allow_none=True)
    updated_at = UtcDateTime()


# -- queries ---------------------------------------------------------------------------------


class BrowseArgs(Schema):
    q = fields.String(validate=validate.Length(max=100))
    merchant_id = fields.Integer()
    category_id = fields.Integer()
    brand_id = fields.Integer()
    tag = fields.String(validate=validate.Length(max=32))
    tag_id = fields.Integer()
    price_min = fields.Integer(validate=validate.Range(min=0), metadata={"description": "Fen"})
    price_max = fields.Integer(validate=validate.Range(min=0), metadata={"description": "Fen"})
    in_stock = fields.Boolean()
    sort = fields.String(
        validate=validate.OneOf(SORTS),
        metadata={"description": "Default: relevance with q, else newest"},
    )


class StoreBrowseArgs(BrowseArgs):
    merchant_id = fields.Integer(dump_only=True)


class StaffProductArgs(Schema):
    q = fields.String(validate=validate.Length(max=100))
    category_id = fields.Integer()
    brand_id = fields.Integer()
    status = fields.String(
        load_default="live", validate=validate.OneOf(("live", "on_shelf", "off_shelf", "deleted"))
    )


class SuggestArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=100))
    merchant_id = fields.Integer()
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=20))


class SuggestOut(Schema):
    suggestions = fields.List(fields.String())


class RelatedArgs(Schema):
    limit = fields.Integer(load_default=8, validate=validate.Range(min=1, max=50))


# -- categories, brands, suppliers, tags ------------------------------------------------------


class CategoryIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    parent_id = fields.Integer(allow_none=True, load_default=None)
    icon_url = MediaURL()
    position = fields.Integer(validate=validate.Range(min=0))


class CategoryPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=64))
    parent_id = fields.Integer(allow_none=True, metadata={"description": "Move; null: top"})
    icon_url = MediaURL()
    position = fields.Integer(validate=validate.Range(min=0))


class CategoryOut(Schema):
    id = fields.Integer()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)
    icon_url = fields.String()
    position = fields.Integer()
    depth = fields.Integer()


class CategoryNodeOut(CategoryOut):
    children = fields.List(fields.Nested(lambda: CategoryNodeOut()))


class ReorderIn(Schema):
    parent_id = fields.Integer(allow_none=True, load_default=None)
    ids = fields.List(fields.Integer(), required=True, validate=validate.Length(max=1000))


class BrandIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    logo_url = MediaURL()
    story = fields.String(validate=validate.Length(max=20_000))
    philosophy = fields.String(validate=validate.Length(max=20_000))


class BrandPatch(BrandIn):
    name = fields.String(validate=validate.Length(min=1, max=100))


class SupplierIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    contact_name = fields.String(validate=validate.Length(max=100))
    contact_phone = fields.String(validate=validate.Length(max=32))
    contact_email = fields.Email(validate=validate.Length(max=254))
    address = fields.String(validate=validate.Length(max=255))


class SupplierPatch(SupplierIn):
    name = fields.String(validate=validate.Length(min=1, max=100))


class SupplierOut(SupplierIn):
    id = fields.Integer()


class TagIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=32))
    position = fields.Integer(validate=validate.Range(min=0))


class TagPatch(TagIn):
    name = fields.String(validate=validate.Length(min=1, max=32))


class TagOut(TagIn):
    id = fields.Integer()


# -- stock -----------------------------------------------------------------------------------


class StocktakeLineIn(Schema):
    sku_id = fields.Integer(required=True)
    counted = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))


class StocktakeIn(Schema):
    lines = fields.List(
        fields.Nested(StocktakeLineIn), required=True, validate=validate.Length(min=1, max=500)
    )
    note = fields.String(load_default="", validate=validate.Length(max=255))


class AdjustLineIn(Schema):
    sku_id = fields.Integer(required=True)
    delta = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=-(10**9), max=10**9)
    )


class AdjustIn(Schema):
    lines = fields.List(
        fields.Nested(AdjustLineIn), required=True, validate=validate.Length(min=1, max=500)
    )
    reason = fields.String(
        load_default="adjustment",
        validate=validate.OneOf([r for r in STOCK_REASONS if r != "sale"]),
    )
    note = fields.String(load_default="", validate=validate.Length(max=255))
    reference_type = fields.String(load_default="", validate=validate.Length(max=32))
    reference_id = fields.String(load_default="", validate=validate.Length(max=64))


class MovementOut(Schema):
    id = fields.Integer()
    sku_id = fields.Integer()
    product_id = fields.Integer()
    quantity = fields.Integer()
    balance_after = fields.Integer()
    reason = fields.String()
    reference_type = fields.String()
    reference_id = fields.String()
    note = fields.String()
    actor_id = fields.Integer(allow_none=True)
    created_at = UtcDateTime()


class MovementArgs(Schema):
    sku_id = fields.Integer()
    reason = fields.String(validate=validate.OneOf(STOCK_REASONS))


class StaffSkuOut(SkuOut):
    product_id = fields.Integer()
    product_name = fields.String(attribute="product.name")


class StaffSkuArgs(Schema):
    low = fields.Boolean(metadata={"description": "Only SKUs at or below their threshold"})
    product_id = fields.Integer()


class AlertOut(Schema):
    id = fields.Integer()
    sku_id = fields.Integer()
    product_id = fields.Integer()
    stock = fields.Integer()
    threshold = fields.Integer()
    created_at = UtcDateTime()
    acknowledged_at = UtcDateTime(allow_none=True)
    acknowledged_by = fields.Integer(allow_none=True)


class AlertArgs(Schema):
    open = fields.Boolean(metadata={"description": "Only alerts not yet acknowledged"})


class SettingsIn(Schema):
    low_stock_threshold = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=0, max=10**6)
    )


class SettingsOut(SettingsIn):
    pass


class UploadIn(Schema):
    file = Upload(required=True)


class ImportOptionsIn(Schema):
    skip_bad_rows = fields.Boolean(
        load_default=False,
        metadata={"description": "Leave out products with a bad row and import the rest"},
    )


class UploadOut(Schema):
    url = fields.String()
    kind = fields.String()
    size = fields.Integer()
