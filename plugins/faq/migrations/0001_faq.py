"""FAQ tables (mallkit.plugins.faq.models), frozen as they were when written."""

import peewee as pw


class FaqCategory(pw.Model):
    merchant_id = pw.IntegerField(null=True, index=True)
    name = pw.CharField(max_length=50)
    position = pw.IntegerField(default=0)
    created_at = pw.DateTimeField()

    class Meta:
        table_name = "faq_category"


class FaqEntry(pw.Model):
    merchant_id = pw.IntegerField(null=True)
    category_id = pw.IntegerField(null=True)
    question = pw.CharField(max_length=200)
    answer = pw.TextField()
    position = pw.IntegerField(default=0)
    published = pw.BooleanField(default=True)
    search_doc = pw.TextField(default="")
    created_at = pw.DateTimeField()
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "faq_entry"
        indexes = ((("merchant_id", "category_id", "position"), False),)


class ProductCare(pw.Model):
    product_id = pw.IntegerField(unique=True)
    merchant_id = pw.IntegerField(index=True)
    warranty_months = pw.IntegerField(default=0)
    warranty = pw.TextField(default="")
    repair = pw.TextField(default="")
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "faq_product_care"


MODELS = [FaqCategory, FaqEntry, ProductCare]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
