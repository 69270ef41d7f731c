"""The reports A1–A5, the dashboard, CSV and charts on a seeded two-day dataset whose
figures are worked out by hand below; who may see which store's reports.

The store (Asia/Shanghai) over D1 = the day before yesterday and D2 = yesterday:

- P1 ¥100 (cost ¥60, stock 10), P2 ¥50 (cost ¥20, stock 20), P3 ¥30 (never sold, stock 5).
- D1 10:00 a device from search views a page. 20:00 buyer A from an ad of campaign 双11
  views P1 and carts it; 23:50 A orders and pays P1 × 1 (¥100, 上海市).
- D2 00:05 buyer B from the 双11 ad views P2; 00:10 B orders P2 × 2 with a 满100减20 coupon
  and pays ¥80 (浙江省). 00:10 store time is 16:10 UTC of D1's UTC date: a UTC cut would
  put B's order on D1. 09:00 a device from a referral views P2. 11:00 A views a page
  (direct); 12:00 A orders and pays P1 + P2 (¥150, 上海市); the P2 line (¥50) is refunded.
- Buyer C paid an order 100 days ago and nothing since: dormant.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from mallkit.core.catalog.models import Sku
from mallkit.core.orders.models import OrderLine
from mallkit.core.testing import (
    TEST_ADDRESS,
    make_account,
    make_product,
    pay_order,
    place_order,
    refund_order,
    skus_of,
)
from mallkit.plugins.analytics import charts
from mallkit.plugins.analytics.aggregate import aggregate_day
from mallkit.plugins.coupons import service as coupons
from tests.plugins.analytics.conftest import local, move_order, post_events, today

D2 = None  # set by the fixture (dates move with the clock)


@pytest.fixture
def seeded(client, app, merchant, other_merchant, buyer, other_buyer, enable_plugin):
    with (
        enable_plugin("analytics", merchant, {"events_per_minute": 100000}),
        enable_plugin("coupons", merchant),
    ):
        d1, d2 = today() - dt.timedelta(days=2), today() - dt.timedelta(days=1)
        p1 = make_product(merchant, name="P1", prices=(10000,), stocks=(10,))
        p2 = make_product(merchant, name="P2", prices=(5000,), stocks=(20,))
        p3 = make_product(merchant, name="P3", prices=(3000,), stocks=(5,))
        (s1,), (s2,) = skus_of(p1), skus_of(p2)
        Sku.update(cost=6000).where(Sku.id == s1.id).execute()
        Sku.update(cost=2000).where(Sku.id == s2.id).execute()
        a, b = buyer, other_buyer
        post_events(
            client, merchant, [{"kind": "page_view", "source": "search", "at": local(d1, 10)}]
        )
        ad = {"source": "ad", "utm_campaign": "双11"}
        post_events(
            client,
            merchant,
            [
                {"kind": "product_view", "product_id": p1.id, "at": local(d1, 20), **ad},
                {"kind": "add_to_cart", "product_id": p1.id, "at": local(d1, 20, 1)},
            ],
            a.headers,
            None,
        )
        o1 = pay_order(place_order(a, [(s1, 1)]))
        move_order(o1, local(d1, 23, 50), local(d1, 23, 50))

        post_events(
            client,
            merchant,
            [{"kind": "product_view", "product_id": p2.id, "at": local(d2, 0, 5), **ad}],
            b.headers,
            None,
        )
        template = coupons.create_template(
            merchant.id,
            {
                "name": "满100减20",
                "type": "full_reduction",
                "threshold": 10000,
                "amount": 2000,
                "total": 100,
                "starts_at": dt.datetime.utcnow() - dt.timedelta(days=5),
                "ends_at": dt.datetime.utcnow() + dt.timedelta(days=5),
            },
        )
        coupon = coupons.claim(merchant.id, template.id, b.user.id)
        o2 = place_order(
            b,
            [(s2, 2)],
            options={"coupon_ids": [coupon.id]},
            address=TEST_ADDRESS | {"province": "浙江省", "city": "杭州市", "district": "西湖区"},
        )
        o2 = pay_order(o2)
        move_order(o2, local(d2, 0, 10), local(d2, 0, 10))
        post_events(
            client,
            merchant,
            [
                {
                    "kind": "product_view",
                    "product_id": p2.id,
                    "source": "referral",
                    "at": local(d2, 9),
                }
            ],
            device_id="device-0002",
        )
        post_events(client, merchant, [{"kind": "page_view", "at": local(d2, 11)}], a.headers, None)
        o3 = pay_order(place_order(a, [(s1, 1), (s2, 1)]))
        move_order(o3, local(d2, 12), local(d2, 12))
        line = next(x for x in o3.lines if x.product_id == p2.id)
        refund_order(o3, {line: 1})

        c = make_account(email="c@analytics.test")
        o4 = pay_order(place_order(c, [(s2, 1)]))
        old = today() - dt.timedelta(days=100)
        move_order(o4, local(old, 12), local(old, 12))

        # Another store's order on D2: the platform sees it, this store never does.
        (sx,) = skus_of(make_product(other_merchant, prices=(7000,)))
        ox = pay_order(place_order(a, [(sx, 1)]))
        move_order(ox, local(d2, 15), local(d2, 15))

        for day in (old, d1, d2):
            aggregate_day(merchant.id, day)
        aggregate_day(other_merchant.id, d2)
        yield {
            "d1": d1,
            "d2": d2,
            "p1": p1,
            "p2": p2,
            "p3": p3,
            "template": template,
            "a": a,
            "b": b,
            "c": c,
            "o1": o1,
            "o2": o2,
            "o3": o3,
        }


def get(client, merchant, path, headers, **params):
    r = client.get(
        f"/api/v1/merchants/{merchant.id}/analytics/{path}", query_string=params, headers=headers
    )
    assert r.status_code == 200, r.json
    return r.json


def rng(s):
    return {"start": s["d1"].isoformat(), "end": s["d2"].isoformat()}


def test_the_orders_cost_what_the_story_says(seeded):
    s = seeded
    assert (s["o1"].total, s["o2"].total, s["o3"].total) == (10000, 8000, 15000)


def test_a1_traffic_per_source_and_campaign(client, merchant, owner, seeded):
    report = get(client, merchant, "traffic", owner.headers, **rng(seeded))
    cols = (
        "source",
        "visitors",
        "page_views",
        "product_views",
        "carts",
        "orders",
        "paid",
        "paid_amount",
        "conversion",
    )
    assert [tuple(r[c] for c in cols) for r in report["rows"]] == [
        ("ad", 2, 0, 2, 1, 2, 2, 18000, 1.0),
        ("direct", 1, 1, 0, 0, 1, 1, 15000, 1.0),
        ("referral", 1, 0, 1, 0, 0, 0, 0, 0.0),
        ("search", 1, 1, 0, 0, 0, 0, 0, 0.0),
    ]
    assert report["totals"]["visitors"] == 5 and report["totals"]["conversion"] == 0.6
    (campaign,) = report["sections"]["campaigns"]
    assert (campaign["campaign"], campaign["visitors"], campaign["paid"]) == ("双11", 2, 2)


def test_a2_campaigns(client, merchant, owner, seeded):
    report = get(client, merchant, "campaigns", owner.headers, **rng(seeded))
    (row,) = report["rows"]
    assert row == {
        "kind": "coupon",
        "campaign_id": seeded["template"].id,
        "name": "满100减20",
        "participants": 1,
        "orders": 1,
        "paid": 1,
        "revenue": 8000,
        "discount": 2000,
        "new_buyers": 1,
        "conversion": 1.0,
    }


def test_a3_users_by_region_and_level(client, merchant, owner, seeded):
    s = seeded
    report = get(
        client, merchant, "users", owner.headers, start=s["d1"].isoformat(), end=today().isoformat()
    )
    # A and B registered today, first paid in the range, active; C paid 100 days ago.
    assert report["totals"] == {
        "customers": 3,
        "registered": 3,
        "new": 2,
        "active": 2,
        "dormant": 1,
    }
    assert [
        (r["region"], r["new"], r["active"], r["dormant"]) for r in report["sections"]["regions"]
    ] == [
        ("上海市", 1, 1, 1),
        ("浙江省", 1, 1, 0),
    ]
    profile = get(client, merchant, f"customers/{s['a'].user.id}", owner.headers)
    assert (
        profile["orders"],
        profile["spend"],
        profile["first_order_day"],
        profile["last_order_day"],
    ) == (2, 20000, s["d1"].isoformat(), s["d2"].isoformat())


def test_a4_products_profit_turnover_best_and_slow(client, merchant, owner, seeded):
    s = seeded
    report = get(client, merchant, "products", owner.headers, **rng(s))
    by_id = {r["product_id"]: r for r in report["rows"]}
    p1, p2 = by_id[s["p1"].id], by_id[s["p2"].id]
    assert (p1["units"], p1["revenue"], p1["cost"], p1["refunds"], p1["gross_profit"]) == (
        2,
        20000,
        12000,
        0,
        8000,
    )
    # P2: 2 lines of B's (¥80 after the coupon) + 1 of A's (¥50, refunded); cost 2 kept × ¥20
    assert (
        p2["units"],
        p2["refunded_units"],
        p2["revenue"],
        p2["refunds"],
        p2["cost"],
        p2["gross_profit"],
    ) == (3, 1, 13000, 5000, 4000, 4000)
    assert (p1["views"], p2["views"], p2["visitors"]) == (1, 2, 2)
    # Stock is read for yesterday (D2) only: P1 10 − 2 − the other order's 0 = 8
    assert p1["average_stock"] == 8 and p1["turnover"] == 0.25
    assert [r["name"] for r in report["sections"]["best_sellers"]] == ["P2", "P1"]
    assert [r["name"] for r in report["sections"]["slow_sellers"]] == ["P3", "P1", "P2"]
    assert report["totals"]["gross_profit"] == 12000


def products_figures(client, merchant, owner, s):
    report = get(client, merchant, "products", owner.headers, **rng(s))
    by_id = {r["product_id"]: r for r in report["rows"]}
    figures = ("units", "refunded_units", "cost", "cost_unknown_units", "gross_profit")
    return (
        [tuple(by_id[s[p].id][f] for f in figures) for p in ("p1", "p2")],
        tuple(report["totals"][f] for f in figures),
    )


def test_a4_cost_is_the_cost_price_when_sold_not_the_skus_cost_price_now(
    client, merchant, owner, seeded
):
    """The merchant changes both cost prices after the sales; the days are aggregated again
    (a refund, ``POST /aggregate``): cost and gross profit stay those of the sales."""
    s = seeded
    before = products_figures(client, merchant, owner, s)
    assert before == ([(2, 0, 12000, 0, 8000), (3, 1, 4000, 0, 4000)], (5, 1, 16000, 0, 12000))
    (s1,), (s2,) = skus_of(s["p1"]), skus_of(s["p2"])
    Sku.update(cost=9500).where(Sku.id == s1.id).execute()
    Sku.update(cost=100).where(Sku.id == s2.id).execute()
    for day in (s["d1"], s["d2"]):
        aggregate_day(merchant.id, day)
    assert products_figures(client, merchant, owner, s) == before


def test_a4_units_without_a_cost_price_at_the_sale_count_no_cost_and_are_flagged(
    client, merchant, owner, seeded
):
    """A line written before order lines kept their cost price (``unit_cost`` NULL, as the
    migration leaves them) is not costed at the SKU's cost price now: its kept units count
    0 in ``cost`` and show in ``cost_unknown_units``."""
    s = seeded
    o3_p1 = next(x for x in s["o3"].lines if x.product_id == s["p1"].id)
    OrderLine.update(unit_cost=None).where(OrderLine.id == o3_p1.id).execute()
    o3_p2 = next(x for x in s["o3"].lines if x.product_id == s["p2"].id)  # refunded: not kept
    OrderLine.update(unit_cost=None).where(OrderLine.id == o3_p2.id).execute()
    aggregate_day(merchant.id, s["d2"])
    # P1: the D1 unit at ¥60 costed, the D2 unit unknown (not ¥60 from the SKU today).
    assert products_figures(client, merchant, owner, s) == (
        [(2, 0, 6000, 1, 14000), (3, 1, 4000, 0, 4000)],
        (5, 1, 10000, 1, 18000),
    )
    csv_text = client.get(
        f"/api/v1/merchants/{merchant.id}/analytics/reports/products.csv",
        query_string=rng(s),
        headers=owner.headers,
    ).get_data(as_text=True)
    assert "cost_unknown_units" in csv_text.splitlines()[0]


def test_a5_sales_by_day_week_month_and_region(client, merchant, owner, seeded):
    s = seeded
    report = get(client, merchant, "sales", owner.headers, **rng(s))
    assert [
        (
            r["period"],
            r["orders"],
            r["paid_amount"],
            r["refunded_amount"],
            r["units"],
            r["new_buyers"],
        )
        for r in report["rows"]
    ] == [
        (s["d1"].isoformat(), 1, 10000, 0, 1, 1),
        (s["d2"].isoformat(), 2, 23000, 5000, 4, 1),
    ]
    assert report["totals"]["paid_amount"] == 33000
    assert report["totals"]["average_order_value"] == 11000
    assert [(r["region"], r["paid_amount"]) for r in report["sections"]["regions"]] == [
        ("上海市", 25000),
        ("浙江省", 8000),
    ]
    for period, fmt in (
        ("week", lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}"),
        ("month", lambda d: d.strftime("%Y-%m")),
    ):
        rows = get(client, merchant, "sales", owner.headers, period=period, **rng(s))["rows"]
        assert [r["period"] for r in rows] == sorted({fmt(s["d1"]), fmt(s["d2"])})
        assert sum(r["paid_amount"] for r in rows) == 33000


def test_the_dashboard_compares_today_with_yesterday(client, merchant, owner, buyer, seeded):
    (sku,) = skus_of(seeded["p1"])
    pay_order(place_order(buyer, [(sku, 1)]))
    post_events(client, merchant, [{"kind": "page_view"}], device_id="device-0009")
    aggregate_day(merchant.id, today())
    report = get(client, merchant, "dashboard", owner.headers)
    assert report["yesterday"] | {"day": None} == {
        "day": None,
        "sales": 23000,
        "orders": 2,
        "buyers": 2,
        "visitors": 3,
        "conversion": 0.6667,
        "average_order_value": 11500,
    }
    assert (report["today"]["sales"], report["today"]["orders"], report["today"]["visitors"]) == (
        10000,
        1,
        2,
    )
    assert report["change"]["orders"] == -0.5


def test_csv_and_charts_carry_the_same_figures(client, merchant, owner, seeded):
    s = seeded
    base = f"/api/v1/merchants/{merchant.id}/analytics"
    r = client.get(f"{base}/reports/sales.csv", query_string=rng(s), headers=owner.headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(x["period"], x["paid_amount"]) for x in rows] == [
        (s["d1"].isoformat(), "10000"),
        (s["d2"].isoformat(), "23000"),
    ]
    data = get(client, merchant, "charts/sales", owner.headers, **rng(s))
    assert data["series"][0] == {"title": "paid", "values": [10000, 23000]}
    svg = client.get(f"{base}/charts/sales.svg", query_string=rng(s), headers=owner.headers)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert "<svg" in text and "¥230.00" in text and "<script" not in text
    for chart in ("traffic", "ads", "campaigns", "users", "products", "dashboard_sales"):
        assert client.get(f"{base}/charts/{chart}.svg", headers=owner.headers).status_code == 200


# The reports' money fields (integer fen, docs/plugins/analytics.md); every other figure a
# chart may plot is a count.
FEN = {
    "paid_amount",
    "refunded_amount",
    "revenue",
    "discount",
    "refunds",
    "cost",
    "gross_profit",
    "sales",
    "average_order_value",
    "spend",
}
YUAN = re.compile(r"^-?¥\d{1,3}(,\d{3})*\.\d\d$")
WHOLE = re.compile(r"^-?\d{1,3}(,\d{3})*$")


def chart_report(client, merchant, owner, name, s):
    """The report a chart is drawn from, as the API answers it."""
    if name.startswith("dashboard_"):
        return get(client, merchant, "dashboard", owner.headers)
    return get(client, merchant, "traffic" if name == "ads" else name, owner.headers, **rng(s))


def value_labels(svg: str, horizontal: bool) -> list[str]:
    """The labels of a pygal SVG's value axis (y; x for a horizontal bar chart)."""
    start = svg.index(f'<g class="axis {"x" if horizontal else "y"}')
    ends = [
        i
        for i in (svg.find('<g class="axis', start + 1), svg.find('<g class="series'))
        if i > start
    ]
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg[start : min(ends)])


def test_no_chart_mixes_money_and_counts(client, merchant, owner, buyer, seeded):
    """Each chart plots report fields of one kind — all fen or all counts — and says which:
    its series (or, on the dashboard's, its bars across) are exactly those fields' figures."""
    s = seeded
    (sku,) = skus_of(s["p1"])
    pay_order(place_order(buyer, [(sku, 1)]))  # today has sales too
    money = {}
    for name in charts.CHARTS:
        report = chart_report(client, merchant, owner, name, s)
        spec = charts.chart_data(name, report)
        fields = spec["fields"]
        assert {f in FEN for f in fields} == {spec["money"]}, (name, fields)
        if name.startswith("dashboard_"):
            assert [x["values"] for x in spec["series"]] == [
                [report[day][f] for f in fields] for day in ("yesterday", "today")
            ]
        else:
            rows = report["sections"]["ads"] if name == "ads" else report["rows"]
            if name in ("users", "products"):
                rows = report["sections"]["regions" if name == "users" else "best_sellers"]
            assert [x["values"] for x in spec["series"]] == [[r[f] for r in rows] for f in fields]
        money[name] = spec["money"]
        api = get(client, merchant, f"charts/{name}", owner.headers, **rng(s))
        assert api["money"] == spec["money"]
    assert {n for n, m in money.items() if m} == {"sales", "campaigns", "dashboard_sales"}


def test_money_axes_read_yuan_and_count_axes_whole_numbers(client, merchant, owner, buyer, seeded):
    s = seeded
    (sku,) = skus_of(s["p1"])
    pay_order(place_order(buyer, [(sku, 1)]))
    base = f"/api/v1/merchants/{merchant.id}/analytics/charts"
    svgs = {}
    for name in charts.CHARTS:
        for lang in ("en", "zh"):
            data = get(client, merchant, f"charts/{name}", owner.headers, **rng(s), lang=lang)
            r = client.get(
                f"{base}/{name}.svg", query_string=rng(s) | {"lang": lang}, headers=owner.headers
            )
            assert r.status_code == 200
            svg = svgs[name, lang] = r.get_data(as_text=True)
            if not any(x["values"] for x in data["series"]):
                continue  # no ad was shown: "no data", no axis
            labels = value_labels(svg, data["type"] == "horizontal_bar")
            assert len(labels) >= 2, (name, labels)
            shape = YUAN if data["money"] else WHOLE
            assert all(shape.match(x) for x in labels), (name, labels)
            values = re.findall(r'<desc class="value">([^<]*)</desc>', svg)
            assert values and all(shape.match(v) for v in values), (name, values)
            if not data["money"]:
                assert "¥" not in svg, name
    # the dashboard: yesterday ¥230.00 over 2 orders (¥115.00 each), today ¥100.00 over 1;
    # 2 orders, 2 buyers, 3 visitors yesterday on a chart of their own
    sales, orders = svgs["dashboard_sales", "zh"], svgs["dashboard_orders", "zh"]
    assert "今日与昨日销售额（CNY）" in sales and "客单价" in sales
    assert re.findall(r'<desc class="value">([^<]*)</desc>', sales) == [
        "¥230.00",
        "¥115.00",
        "¥100.00",
        "¥100.00",
    ]
    assert "今日与昨日订单、买家与访客" in orders and "访客" in orders
    assert re.findall(r'<desc class="value">([^<]*)</desc>', orders)[:3] == ["2", "2", "3"]
    assert "Sales today against yesterday (CNY)" in svgs["dashboard_sales", "en"]
    # the sales by day: ¥100.00 and ¥230.00 paid, ¥50.00 refunded, on an axis of round yuan
    sales_by_day = svgs["sales", "en"]
    assert value_labels(sales_by_day, False) == [
        "¥0.00",
        "¥50.00",
        "¥100.00",
        "¥150.00",
        "¥200.00",
        "¥250.00",
    ]


def test_a_day_of_nothing_reads_whole_yuan_and_whole_counts():
    nothing = dict.fromkeys(("sales", "average_order_value", "orders", "buyers", "visitors"), 0)
    board = {"currency": "CNY", "yesterday": nothing, "today": nothing}
    sales = charts.render_svg(charts.chart_data("dashboard_sales", board))
    assert value_labels(sales, False) == ["¥0.00", "¥1.00"]  # not ¥0.00, ¥0.01
    orders = charts.render_svg(charts.chart_data("dashboard_orders", board))
    assert value_labels(orders, False) == ["0", "1"]


def test_charts_speak_chinese_when_asked_with_the_same_figures(client, merchant, owner, seeded):
    s = seeded
    base = f"/api/v1/merchants/{merchant.id}/analytics"
    english = get(client, merchant, "charts/traffic", owner.headers, **rng(s))
    chinese = get(client, merchant, "charts/traffic", owner.headers, **rng(s), lang="zh")
    assert chinese["title"] == "各来源转化漏斗"
    assert dict(zip(english["x_labels"], chinese["x_labels"], strict=True)) == {
        "ad": "广告",
        "direct": "直接访问",
        "referral": "推荐",
        "search": "搜索",
    }
    assert [x["title"] for x in chinese["series"]] == ["访客", "加购", "结算", "下单", "支付"]
    assert [x["values"] for x in chinese["series"]] == [x["values"] for x in english["series"]]
    sales = get(client, merchant, "charts/sales", owner.headers, **rng(s), lang="zh")
    assert sales["title"] == "销售额（按日，CNY）"
    assert sales["series"][0] == {"title": "实付金额", "values": [10000, 23000]}
    svg = client.get(
        f"{base}/charts/sales.svg", query_string=rng(s) | {"lang": "zh"}, headers=owner.headers
    ).get_data(as_text=True)
    assert "销售额（按日，CNY）" in svg and "实付金额" in svg and "¥230.00" in svg
    ads = client.get(
        f"{base}/charts/ads.svg", query_string=rng(s) | {"lang": "zh"}, headers=owner.headers
    )
    assert "暂无数据" in ads.get_data(as_text=True)  # no ad was shown: pygal's words too
    bad = client.get(f"{base}/charts/sales", query_string={"lang": "fr"}, headers=owner.headers)
    assert bad.status_code == 422 and "lang" in bad.json["errors"]


def test_a_store_sees_only_its_own_the_platform_sees_all(
    client, merchant, other_merchant, owner, admin, buyer, seeded
):
    s = seeded
    url = f"/api/v1/merchants/{merchant.id}/analytics/sales"
    for headers in (other_merchant.owner_account.headers, buyer.headers, {}):
        assert client.get(url, query_string=rng(s), headers=headers).status_code in (401, 404)
    assert (
        client.get(url, query_string=rng(s), headers=admin.headers).json["totals"]["paid_amount"]
        == 33000
    )
    platform = "/api/v1/admin/analytics/sales"
    assert client.get(platform, query_string=rng(s), headers=owner.headers).status_code == 403
    everyone = client.get(platform, query_string=rng(s), headers=admin.headers).json
    assert everyone["totals"]["paid_amount"] == 33000 + 7000
    one = client.get(
        platform, query_string=rng(s) | {"merchant_id": other_merchant.id}, headers=admin.headers
    ).json
    assert one["totals"]["paid_amount"] == 7000


def test_the_platform_charts_every_store_or_one(
    client, merchant, other_merchant, owner, admin, seeded
):
    s = seeded
    base = "/api/v1/admin/analytics/charts"
    for path in ("sales", "sales.svg", "traffic.svg"):
        r = client.get(f"{base}/{path}", query_string=rng(s), headers=owner.headers)
        assert r.status_code == 403, path

    def chart(name, **args):
        r = client.get(f"{base}/{name}", query_string=rng(s) | args, headers=admin.headers)
        assert r.status_code == 200, r.json
        return r.json

    everyone = chart("sales", lang="zh")
    assert everyone["money"] and everyone["title"] == "销售额（按日，CNY）"
    assert sum(everyone["series"][0]["values"]) == 33000 + 7000
    one = chart("sales", merchant_id=other_merchant.id)
    assert sum(one["series"][0]["values"]) == 7000
    assert not chart("traffic")["money"]

    svg = client.get(f"{base}/sales.svg", query_string=rng(s), headers=admin.headers)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    labels = value_labels(text, False)
    assert labels[0] == "¥0.00" and all(YUAN.match(x) for x in labels)
    assert "<script" not in text
    funnel = client.get(f"{base}/traffic.svg", query_string=rng(s), headers=admin.headers)
    labels = value_labels(funnel.get_data(as_text=True), False)
    assert labels[0] == "0" and all(WHOLE.match(x) for x in labels)

    # the dashboard's charts are a store's: the platform names one
    r = client.get(f"{base}/dashboard_sales", headers=admin.headers)
    assert r.status_code == 404
    store = client.get(
        f"{base}/dashboard_orders", query_string={"merchant_id": merchant.id}, headers=admin.headers
    )
    assert store.status_code == 200 and store.json["series"][0]["values"][0] == 2  # orders


def test_a_bad_range_is_a_clear_error(client, merchant, owner, analytics):
    r = client.get(
        f"/api/v1/merchants/{merchant.id}/analytics/sales",
        query_string={"start": "2026-01-10", "end": "2026-01-01"},
        headers=owner.headers,
    )
    assert r.status_code == 422 and r.json["code"] == "invalid_range"


def test_an_agent_is_refused_the_reports(client, merchant, analytics):
    from mallkit.core.accounts.merchants.service import add_staff

    agent = make_account(email="agent@analytics.test")
    add_staff(merchant, agent.user.email, "agent")
    r = client.get(f"/api/v1/merchants/{merchant.id}/analytics/sales", headers=agent.headers)
    assert r.status_code == 403 and r.json["code"] == "role_required"


def test_staff_can_have_days_aggregated_again(client, merchant, owner, analytics):
    from mallkit.core.tasks.queue import ScheduledTask

    url = f"/api/v1/merchants/{merchant.id}/analytics/aggregate"
    body = {"start": "2026-10-01", "end": "2026-10-03"}
    r = client.post(url, json=body, headers=owner.headers)
    assert r.status_code == 202 and r.json["days"] == ["2026-10-01", "2026-10-02", "2026-10-03"]
    assert client.post(url, json=body, headers=owner.headers).status_code == 202
    days = sorted(
        t.payload["day"]
        for t in ScheduledTask.select().where(ScheduledTask.kind == "analytics.aggregate_day")
    )
    assert days == ["2026-10-01", "2026-10-02", "2026-10-03"]  # once each
    bad = client.post(url, json={"start": "2026-10-03", "end": "2026-10-01"}, headers=owner.headers)
    assert bad.status_code == 422 and bad.json["code"] == "invalid_range"


def test_a_customer_the_store_never_saw_is_not_found(client, merchant, owner, buyer, analytics):
    r = client.get(
        f"/api/v1/merchants/{merchant.id}/analytics/customers/{buyer.user.id}",
        headers=owner.headers,
    )
    assert r.status_code == 404 and r.json["code"] == "customer_not_found"


def test_the_platform_exports_csv(client, admin, merchant, analytics):
    r = client.get("/api/v1/admin/analytics/reports/traffic.csv", headers=admin.headers)
    assert r.status_code == 200 and r.mimetype == "text/csv"


def test_every_platform_report_answers(client, admin, merchant, analytics):
    for name in ("traffic", "campaigns", "users", "products", "sales"):
        r = client.get(f"/api/v1/admin/analytics/{name}", headers=admin.headers)
        assert r.status_code == 200 and r.json["report"] == name, (name, r.json)


def test_a_range_at_the_calendars_edges_is_a_field_error_not_a_server_error(
    client, merchant, owner, analytics
):
    base = f"/api/v1/merchants/{merchant.id}/analytics"
    for query in (
        {"end": "0001-01-05"},  # the default start would fall before year 1
        {"start": "9999-12-20", "end": "9999-12-31"},  # the day after the end does not exist
    ):
        for report in ("traffic", "campaigns", "users", "products", "sales", "charts/sales"):
            r = client.get(f"{base}/{report}", query_string=query, headers=owner.headers)
            assert r.status_code == 422 and r.json["code"] == "validation_error", (report, r.json)
    r = client.post(
        f"{base}/aggregate",
        json={"start": "9999-12-31", "end": "9999-12-31"},
        headers=owner.headers,
    )
    assert r.status_code == 422
