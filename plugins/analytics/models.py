"""Analytics tables: the raw event log and the daily aggregates the reports read.

``analytics_event`` is append-only: the collector and the server-side hooks insert, nothing
updates, and the retention job deletes whole days older than ``raw_retention_days``. Each
event carries ``day``, its date in the merchant's time zone when it was received, so every
aggregate is cut on an indexed ``(merchant_id, day)`` range.

The ``analytics_daily_*`` tables hold one merchant-day each and are rebuilt whole for that
day by :func:`mallkit.plugins.analytics.aggregate.aggregate_day` (delete, then insert, in
one transaction): running it again for a day gives the same rows. They are never purged.
``analytics_customer`` is one row per buyer of a store, recomputed from the orders each
time the buyer shows up in a day that is aggregated.
"""

from __future__ import annotations

import peewee as pw

from mallkit.core.plugin_api import BaseModel, utcnow

KINDS = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "checkout_started",
    "order_placed",
    "order_paid",
    "share_visit",
    "ad_impression",
    "ad_click",
)
STOREFRONT_KINDS = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "checkout_started",
    "ad_impression",
    "ad_click",
)
SOURCES = ("direct", "search", "share", "ad", "referral")


class Event(BaseModel):
    """One thing that happened at a store: a view, a search, a cart, an order, an ad shown.

    ``visitor`` is ``u<user id>`` for a signed-in buyer, else ``d<device id>`` (an opaque id
    the storefront keeps); nothing else about the person is stored. ``ref_id`` is the ad
    creative of ``ad_*`` events; ``amount`` the order total of order events (fen).
    """

    id = pw.BigAutoField()
    merchant_id = pw.IntegerField()
    day = pw.DateField()
    kind = pw.CharField(max_length=24)
    occurred_at = pw.DateTimeField()
    received_at = pw.DateTimeField(default=utcnow)
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


class AggregatedDay(BaseModel):
    """When a merchant-day was last aggregated, and the last event id it saw."""

    merchant_id = pw.IntegerField()
    day = pw.DateField()
    aggregated_at = pw.DateTimeField(default=utcnow)
    events = pw.IntegerField(default=0)

    class Meta:
        table_name = "analytics_aggregated_day"
        indexes = ((("merchant_id", "day"), True),)


class DailyTraffic(BaseModel):
    """The funnel of one day per source and UTM campaign: visitors, then how many of them
    added to cart, started checkout, placed and paid (each visitor once per step)."""

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


class DailySales(BaseModel):
    """Orders paid on one day per region (the shipping address's province; "" when none):
    their count, paid and later refunded amounts, units, buyers and first-time buyers."""

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


class DailyProduct(BaseModel):
    """One product on one day: views and carts (events), units, revenue, refunds and cost
    (each line's cost price when it was ordered, ``OrderLine.unit_cost``, times its units
    kept) of the lines of orders paid that day, the units kept whose cost price is unknown
    (counted at 0 in ``cost``), and its stock when the day was first aggregated (for
    turnover)."""

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
    cost_unknown_units = pw.IntegerField(default=0)
    stock = pw.IntegerField(null=True)

    class Meta:
        table_name = "analytics_daily_product"
        indexes = ((("merchant_id", "day", "product_id"), True),)


class DailyCampaign(BaseModel):
    """A campaign's orders placed on one day: ``kind`` is coupon, promotion, groupbuy,
    bargain or distribution and ``campaign_id`` the template, promotion, activity or
    promoter; participants are distinct buyers; paid, revenue and discount count the orders
    of that day that are paid now; new buyers are those whose first paid order it was."""

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


class DailyAd(BaseModel):
    """Impressions and clicks of one ad creative on one day (from ``ad_*`` events)."""

    merchant_id = pw.IntegerField()
    day = pw.DateField()
    creative_id = pw.IntegerField()
    placement = pw.CharField(max_length=32, default="")
    impressions = pw.IntegerField(default=0)
    clicks = pw.IntegerField(default=0)

    class Meta:
        table_name = "analytics_daily_ad"
        indexes = ((("merchant_id", "day", "creative_id", "placement"), True),)


class DailyPair(BaseModel):
    """Item-to-item co-occurrence of one day: how strongly ``product_id`` goes with
    ``other_id`` (bought in one order: 3; viewed by one visitor: 1), stored both ways."""

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


class Customer(BaseModel):
    """A buyer as the store knows them, recomputed from their orders and events: paid orders
    and spend (paid minus refunded), first and last paid day, first and last seen day,
    region (the last paid order's province) and member level (``buyer_perks``)."""

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
    updated_at = pw.DateTimeField(default=utcnow)

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
