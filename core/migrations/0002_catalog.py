"""Catalog and inventory: categories, brands, suppliers, tags, products, SKUs, the stock
ledger, low-stock alerts, catalog settings — and the full-text search structures (an FTS5
table with sync triggers on SQLite, generated tsvector columns with a GIN index on
PostgreSQL; see :mod:`mallkit.core.catalog.search`).

Frozen: the tables and the search DDL as they were when this migration was written; later
changes come with migrations of their own."""

import peewee as pw

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS \"product_fts\" USING fts5(\n        search_name, search_extra, content='product', content_rowid='id',\n        tokenize='unicode61 remove_diacritics 0', prefix='1 2 3')",
    'CREATE TRIGGER IF NOT EXISTS product_fts_insert AFTER INSERT ON product BEGIN\n        INSERT INTO "product_fts"(rowid, search_name, search_extra)\n        VALUES (new.id, new.search_name, new.search_extra);\n    END',
    'CREATE TRIGGER IF NOT EXISTS product_fts_delete AFTER DELETE ON product BEGIN\n        INSERT INTO "product_fts"("product_fts", rowid, search_name, search_extra)\n        VALUES (\'delete\', old.id, old.search_name, old.search_extra);\n    END',
    'CREATE TRIGGER IF NOT EXISTS product_fts_update\n        AFTER UPDATE OF search_name, search_extra ON product BEGIN\n        INSERT INTO "product_fts"("product_fts", rowid, search_name, search_extra)\n        VALUES (\'delete\', old.id, old.search_name, old.search_extra);\n        INSERT INTO "product_fts"(rowid, search_name, search_extra)\n        VALUES (new.id, new.search_name, new.search_extra);\n    END',
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS product_fts_update",
    "DROP TRIGGER IF EXISTS product_fts_delete",
    "DROP TRIGGER IF EXISTS product_fts_insert",
    'DROP TABLE IF EXISTS "product_fts"',
]
POSTGRES_DDL = [
    "ALTER TABLE product ADD COLUMN search_name_tsv tsvector GENERATED ALWAYS AS (coalesce(array_to_tsvector(string_to_array(NULLIF(search_name, ''), ' ')), ''::tsvector)) STORED",
    "ALTER TABLE product ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (coalesce(array_to_tsvector(string_to_array(NULLIF(btrim(search_name || ' ' || search_extra), ''), ' ')), ''::tsvector)) STORED",
    "CREATE INDEX product_search_tsv ON product USING GIN (search_tsv)",
]


def up(migrator, db):
    class Merchant(pw.Model):
        class Meta:
            database = db
            table_name = "merchant"
            legacy_table_names = False

    class Brand(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        name = pw.CharField(max_length=100)
        logo_url = pw.CharField(max_length=500, default="")
        story = pw.TextField(default="")
        philosophy = pw.TextField(default="")
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "brand"
            legacy_table_names = False
            indexes = ((("merchant", "name"), True),)

    db.create_tables([Brand])

    class CatalogSettings(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, unique=True, on_delete="CASCADE")
        low_stock_threshold = pw.IntegerField(default=10)
        updated_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "catalog_settings"
            legacy_table_names = False

    db.create_tables([CatalogSettings])

    class Category(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, null=True, on_delete="CASCADE")
        parent = pw.ForeignKeyField("self", null=True, on_delete="RESTRICT")
        name = pw.CharField(max_length=64)
        icon_url = pw.CharField(max_length=500, default="")
        position = pw.IntegerField(default=0)
        path = pw.CharField(index=True, default="")
        depth = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "category"
            legacy_table_names = False
            indexes = ((("merchant", "parent", "position"), False),)

    db.create_tables([Category])

    class Supplier(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        name = pw.CharField(max_length=100)
        contact_name = pw.CharField(max_length=100, default="")
        contact_phone = pw.CharField(max_length=32, default="")
        contact_email = pw.CharField(max_length=254, default="")
        address = pw.CharField(default="")
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "supplier"
            legacy_table_names = False
            indexes = ((("merchant", "name"), True),)

    db.create_tables([Supplier])

    class Product(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        category = pw.ForeignKeyField(Category, null=True, on_delete="SET NULL")
        platform_category = pw.ForeignKeyField(Category, null=True, on_delete="SET NULL")
        brand = pw.ForeignKeyField(Brand, null=True, on_delete="SET NULL")
        supplier = pw.ForeignKeyField(Supplier, null=True, on_delete="SET NULL")
        name = pw.CharField(max_length=200)
        subtitle = pw.CharField(default="")
        description = pw.TextField(default="")
        images = pw.TextField(default=list)
        video_url = pw.CharField(max_length=500, default="")
        attributes = pw.TextField(default=dict)
        specs = pw.TextField(default=list)
        is_on_shelf = pw.BooleanField(default=True)
        shelf_on_at = pw.DateTimeField(null=True)
        shelf_off_at = pw.DateTimeField(null=True)
        price_min = pw.IntegerField(index=True, default=0)
        price_max = pw.IntegerField(default=0)
        sales_count = pw.IntegerField(index=True, default=0)
        search_name = pw.TextField(default="")
        search_extra = pw.TextField(default="")
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        deleted_at = pw.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "product"
            legacy_table_names = False
            indexes = ((("merchant", "id"), False),)

    db.create_tables([Product])

    class Sku(pw.Model):
        product = pw.ForeignKeyField(Product, on_delete="CASCADE")
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        code = pw.CharField(max_length=64)
        specs = pw.TextField(default=dict)
        spec_key = pw.CharField(default="")
        price = pw.IntegerField()
        original_price = pw.IntegerField(null=True)
        cost = pw.IntegerField(null=True)
        weight = pw.IntegerField(default=0)
        stock = pw.IntegerField(default=0)
        low_stock_threshold = pw.IntegerField(null=True)
        image_url = pw.CharField(max_length=500, default="")
        position = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()
        deleted_at = pw.DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "sku"
            legacy_table_names = False
            indexes = ((("product", "position"), False),)

    db.create_tables([Sku])

    class LowStockAlert(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        sku = pw.ForeignKeyField(Sku, on_delete="CASCADE")
        product = pw.ForeignKeyField(Product, on_delete="CASCADE")
        stock = pw.IntegerField()
        threshold = pw.IntegerField()
        created_at = pw.DateTimeField()
        acknowledged_at = pw.DateTimeField(null=True)
        acknowledged_by = pw.IntegerField(null=True)

        class Meta:
            database = db
            table_name = "low_stock_alert"
            legacy_table_names = False
            indexes = ((("merchant", "acknowledged_at", "id"), False),)

    db.create_tables([LowStockAlert])

    class Tag(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        name = pw.CharField(max_length=32)
        position = pw.IntegerField(default=0)
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "tag"
            legacy_table_names = False
            indexes = ((("merchant", "name"), True),)

    db.create_tables([Tag])

    class ProductTag(pw.Model):
        product = pw.ForeignKeyField(Product, on_delete="CASCADE")
        tag = pw.ForeignKeyField(Tag, on_delete="CASCADE")

        class Meta:
            database = db
            table_name = "product_tag"
            legacy_table_names = False
            indexes = ((("product", "tag"), True), (("tag", "product"), False))

    db.create_tables([ProductTag])

    class StockMovement(pw.Model):
        merchant = pw.ForeignKeyField(Merchant, on_delete="CASCADE")
        sku = pw.ForeignKeyField(Sku, on_delete="CASCADE")
        product = pw.ForeignKeyField(Product, on_delete="CASCADE")
        quantity = pw.IntegerField()
        balance_after = pw.IntegerField()
        reason = pw.CharField(max_length=16)
        reference_type = pw.CharField(max_length=32, default="")
        reference_id = pw.CharField(max_length=64, default="")
        note = pw.CharField(default="")
        actor_id = pw.IntegerField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            database = db
            table_name = "stock_movement"
            legacy_table_names = False
            indexes = (
                (("sku", "id"), False),
                (("merchant", "id"), False),
                (("reference_type", "reference_id"), False),
            )

    db.create_tables([StockMovement])
    # SKU codes are unique per merchant among live SKUs (deleted ones keep theirs).
    db.execute_sql(
        'CREATE UNIQUE INDEX IF NOT EXISTS "sku_live_code" ON "sku" ("merchant_id", "code") '
        'WHERE "deleted_at" IS NULL'
    )
    for statement in POSTGRES_DDL if isinstance(db, pw.PostgresqlDatabase) else SQLITE_DDL:
        db.execute_sql(statement)


def down(migrator, db):
    if not isinstance(db, pw.PostgresqlDatabase):
        for statement in SQLITE_DROP:
            db.execute_sql(statement)
    migrator.migrate(migrator.drop_table("stock_movement"))
    migrator.migrate(migrator.drop_table("product_tag"))
    migrator.migrate(migrator.drop_table("tag"))
    migrator.migrate(migrator.drop_table("low_stock_alert"))
    migrator.migrate(migrator.drop_table("sku"))
    migrator.migrate(migrator.drop_table("product"))
    migrator.migrate(migrator.drop_table("supplier"))
    migrator.migrate(migrator.drop_table("category"))
    migrator.migrate(migrator.drop_table("catalog_settings"))
    migrator.migrate(migrator.drop_table("brand"))
