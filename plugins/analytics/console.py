"""The analytics plugin's pages in the web console (``register_console_pages``): the store
dashboard and the reports A1–A5 for the store's owner and managers, and the platform's
reports over every store. They are one ES module of the plugin's own, ``console/analytics.js``,
which reads the page's ``key`` — reports are figures, totals and charts rather than a list
with row actions, so no list page could describe them."""

from __future__ import annotations

from mallkit.core.plugin_api import ConsolePage

MODULE = "analytics.js"
MANAGERS = ("owner", "manager")  # the reports' routes answer the owner and managers only


def _report(key: str, title: str, title_en: str, description: str, description_en: str):
    return ConsolePage(
        key=key,
        title=title,
        title_en=title_en,
        group="analytics",
        roles=MANAGERS,
        component=MODULE,
        description=description,
        description_en=description_en,
    )


PAGES = [
    _report(
        "dashboard",
        "数据概览",
        "Analytics overview",
        "今日实时的销售、订单、买家与访客，对比昨日；近 30 天的销售与流量。",
        "Today's sales, orders, buyers and visitors against yesterday; the last 30 days.",
    ),
    _report(
        "sales",
        "销售报表",
        "Sales report",
        "按日、周、月（店铺时区）统计的销售额、订单、退款与买家，以及各地区销售。",
        "Sales, orders, refunds and buyers by day, week or month of store time, and by region.",
    ),
    _report(
        "traffic",
        "流量分析",
        "Traffic report",
        "各来源的访客与转化漏斗（访问 → 加购 → 结算 → 下单 → 支付），推广活动与广告效果。",
        "Visitors and the funnel per source (visit → cart → checkout → order → paid), "
        "UTM campaigns and ads.",
    ),
    _report(
        "campaigns",
        "营销效果",
        "Campaign report",
        "优惠券、促销、拼团、砍价与推广员带来的订单、成交额、优惠与新客。",
        "Orders, revenue, discount and new buyers per coupon, promotion, group buy, bargain "
        "and promoter.",
    ),
    _report(
        "users",
        "客户分析",
        "Customer report",
        "客户总数、新客、活跃与沉睡客户，按地区与会员等级；查看单个客户画像。",
        "Customers, new, active and dormant by region and member level; one customer's profile.",
    ),
    _report(
        "products",
        "商品分析",
        "Product report",
        "商品的浏览、销量、成交额、毛利与库存周转；畅销与滞销商品。",
        "Views, units, revenue, gross profit and stock turnover per product; best and slow "
        "sellers.",
    ),
    ConsolePage(
        key="platform",
        title="平台数据",
        title_en="Platform analytics",
        scope="platform",
        group="platform",
        component=MODULE,
        description="全平台（或单个商家）的流量、营销、客户、商品与销售报表和图表；各店按自己的时区分日。",
        description_en="Traffic, campaign, customer, product and sales reports and charts over "
        "every store (or one); each store's days are its own store time.",
    ),
]
