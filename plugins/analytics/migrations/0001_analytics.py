"""Analytics tables (mallkit.plugins.analytics.models), frozen as they were when written."""

import peewee as pw


class Event(pw.Model):
    id = pw.BigAutoField()
    merchant_id = pw.IntegerField()
    day = pw.DateField()
    kind = pw.CharField(max_length=24)
    occurred_at = pw.DateTimeField()
    received_at = pw.DateTimeField()
    visitor = pw.CharField(max_length=72)
    user_id = pw.IntegerField(null=True)
    product_id = pw.IntegerField(null=True)
    order_id = pw.IntegerField(null=True)
    ref_id = pw.IntegerField(null=True)
    placement = pw.CharField(max_length=32, default="")
    amount = pw.IntegerField(default=0)
    source = pw.CharField(max_length=16, default="direct")
    utm_source = pw.CharField(max_length=100, default="")
    utm_medium = pw.CharField(max_length=100, default="")
    utm_campaign = pw.CharField(max_length=100, default="")
    share_code = pw.CharField(max_length=32, default="")
    query = pw.CharField(max_length=64, default="")

    class Meta:
        table_name = "analytics_event"
        indexes = (
            (("merchant_id", "day"), False),
            (("merchant_id", "user_id", "day"), False),
        )


class AggregatedDay(pw.Model):
    merchant_id = pw.IntegerField()
    day = pw.DateField()
    aggregated_at = pw.DateTimeField()
    events = pw.IntegerField(default=0)

    class Meta:
        table_name = "analytics_aggregated_day"
        indexes = ((("merchant_id", "day"), True),)


class DailyTraffic(pw.Model):
    merchant_id = pw.IntegerField()
    day = pw.DateField()
    source = pw.CharField(max_length=16)
    campaign = pw.CharField(max_length=100, default="")
    visitors = pw.IntegerField(default=0)
    page_views = pw.IntegerField(default=0)
    product_views = pw.IntegerField(default=0)
    searches = pw.IntegerField(default=0)
    carts = pw.IntegerField(default=0)
    checkouts = pw.IntegerField(default=0)
    orders = pw.IntegerField(default=0)
    paid = pw.IntegerField(default=0)
    paid_amount = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "analytics_daily_traffic"
        indexes = ((("merchant_id", "day", "source", "campaign"), True),)


class DailySales(pw.Model):
    merchant_id = pw.IntegerField()
    day = pw.DateField()
    region = pw.CharField(max_length=64, default="")
    orders = pw.IntegerField(default=0)
    paid_amount = pw.BigIntegerField(default=0)
    refunded_amount = pw.BigIntegerField(default=0)
    units = pw.IntegerField(default=0)
    buyers = pw.IntegerField(default=0)
    new_buyers = pw.IntegerField(default=0)

    class Meta:
        table_name = "analytics_daily_sales"
        indexes = ((("merchant_id", "day", "region"), True),)


class DailyProduct(pw.Model):
    merchant_id = pw.IntegerField()
    day = pw.DateField()
    product_id = pw.IntegerField()
    views = pw.IntegerField(default=0)
    visitors = pw.IntegerField(default=0)
    carts = pw.IntegerField(default=0)
    units = pw.IntegerField(default=0)
    refunded_units = pw.IntegerField(default=0)
    revenue = pw.BigIntegerField(default=0)
    refunds = pw.BigIntegerField(default=0)
    cost = pw.BigIntegerField(default=0)
    stock = pw.IntegerField(null=True)

    class Meta:
        table_name = "analytics_daily_product"
        indexes = ((("merchant_id", "day", "product_id"), True),)


class DailyCampaign(pw.Model):
    merchant_id = pw.IntegerField()
    day = pw.DateField()
    kind = pw.CharField(max_length=16)
    campaign_id = pw.IntegerField(default=0)
    name = pw.CharField(max_length=200, default="")
    participants = pw.IntegerField(default=0)
    orders = pw.IntegerField(default=0)
    paid = pw.IntegerField(default=0)
    revenue = pw.BigIntegerField(default=0)
    discount = pw.BigIntegerField(default=0)
    new_buyers = pw.IntegerField(default=0)

    class Meta:
        table_name = "analytics_daily_campaign"
        indexes = ((("merchant_id", "day", "kind", "campaign_id"), True),)


class DailyAd(pw.Model):
    merchant_id = pw.IntegerField()
    day = pw.DateField()
    creative_id = pw.IntegerField()
    placement = pw.CharField(max_length=32, default="")
    impressions = pw.IntegerField(default=0)
    clicks = pw.IntegerField(default=0)

    class Meta:
        table_name = "analytics_daily_ad"
        indexes = ((("merchant_id", "day", "creative_id", "placement"), True),)


class DailyPair(pw.Model):
    merchant_id = pw.IntegerField()
    day = pw.DateField()
    product_id = pw.IntegerField()
    other_id = pw.IntegerField()
    weight = pw.IntegerField(default=0)

    class Meta:
        table_name = "analytics_daily_pair"
        indexes = (
            (("merchant_id", "day", "product_id", "other_id"), True),
            (("merchant_id", "product_id"), False),
        )


class Customer(pw.Model):
    merchant_id = pw.IntegerField()
    user_id = pw.IntegerField()
    registered_day = pw.DateField(null=True)
    first_seen_day = pw.DateField(null=True)
    last_seen_day = pw.DateField(null=True)
    first_paid_day = pw.DateField(null=True)
    last_paid_day = pw.DateField(null=True)
    orders = pw.IntegerField(default=0)
    spend = pw.BigIntegerField(default=0)
    region = pw.CharField(max_length=64, default="")
    level = pw.CharField(max_length=64, default="")
    updated_at = pw.DateTimeField()

    class Meta:
        table_name = "analytics_customer"
        indexes = ((("merchant_id", "user_id"), True),)


MODELS = [
    Event,
    AggregatedDay,
    DailyTraffic,
    DailySales,
    DailyProduct,
    DailyCampaign,
    DailyAd,
    DailyPair,
    Customer,
]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
