"""Charts of the reports: each is first a plain data dict — the chart's JSON — and the SVG
is rendered from that dict (pygal, server-side, no JavaScript, so it works in an e-mail),
so the picture and the JSON always show the same figures.

Money is kept in fen in the JSON; the SVG's axis shows yuan. Titles, series and the
report's own words (sources, campaign kinds) are English, or Chinese with ``lang="zh"`` (the
console asks in its language); figures, dates and names are the same in both.
"""

from __future__ import annotations

import re
from typing import Any

import pygal
from pygal.style import Style

from mallkit.plugins.analytics import reports

STYLE = Style(
    background="white",
    plot_background="white",
    font_family="'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif",
    colors=("#1677ff", "#52c41a", "#faad14", "#f5222d", "#722ed1", "#13c2c2"),
)
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
CHARTS = ("sales", "traffic", "ads", "campaigns", "users", "products", "dashboard")
LANGS = ("en", "zh")

# The chart's words in Chinese; English is the key itself. Titles are keyed by chart name.
ZH = {
    "title.sales": "销售额（按{period}，{currency}）",
    "title.traffic": "各来源转化漏斗",
    "title.ads": "广告曝光与点击",
    "title.campaigns": "活动成交额与优惠",
    "title.users": "各地区客户",
    "title.products": "畅销商品（按件数）",
    "title.dashboard": "今日与昨日",
    "day": "日",
    "week": "周",
    "month": "月",
    "sales.paid": "实付金额",
    "sales.refunded": "退款金额",
    "paid": "支付",
    "visitors": "访客",
    "carts": "加购",
    "checkouts": "结算",
    "orders": "下单",
    "impressions": "曝光",
    "clicks": "点击",
    "revenue": "成交额",
    "discount": "优惠",
    "new": "新客",
    "active": "活跃",
    "dormant": "沉睡",
    "units": "件数",
    "sales": "销售额",
    "buyers": "买家",
    "today": "今日",
    "yesterday": "昨日",
    "direct": "直接访问",
    "search": "搜索",
    "share": "分享",
    "ad": "广告",
    "referral": "推荐",
    "coupon": "优惠券",
    "promotion": "促销",
    "groupbuy": "拼团",
    "bargain": "砍价",
    "distribution": "分销",
}
EN = {
    "title.sales": "Sales by {period} ({currency})",
    "title.traffic": "Funnel by source",
    "title.ads": "Ad impressions and clicks",
    "title.campaigns": "Campaign revenue and discount",
    "title.users": "Customers by region",
    "title.products": "Best sellers by units",
    "title.dashboard": "Today against yesterday",
    "sales.paid": "paid",
    "sales.refunded": "refunded",
}
NO_DATA = {"en": "No data", "zh": "暂无数据"}


def chart_data(name: str, report: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """The chart of a report (or of the dashboard) as data, its words in ``lang``."""
    words = ZH if lang == "zh" else EN

    def w(key: str) -> str:
        return words.get(key, key)

    def series(keys, rows) -> list[dict[str, Any]]:
        return [{"title": w(k), "values": [r[k] for r in rows]} for k in keys]

    if name == "sales":
        rows = report["rows"]
        period = report["sections"]["period"]
        return {
            "chart": "sales",
            "type": "line",
            "title": w("title.sales").format(period=w(period), currency=report["currency"]),
            "money": True,
            "x_labels": [r["period"] for r in rows],
            "series": [
                {"title": w("sales.paid"), "values": [r["paid_amount"] for r in rows]},
                {"title": w("sales.refunded"), "values": [r["refunded_amount"] for r in rows]},
            ],
        }
    if name == "traffic":
        rows = report["rows"]
        return {
            "chart": "traffic",
            "type": "bar",
            "title": w("title.traffic"),
            "money": False,
            "x_labels": [w(r["source"]) for r in rows],
            "series": series(reports.FUNNEL, rows),
        }
    if name == "ads":
        rows = report["sections"]["ads"]
        return {
            "chart": "ads",
            "type": "bar",
            "title": w("title.ads"),
            "money": False,
            "x_labels": [f"#{r['creative_id']} {r['placement']}" for r in rows],
            "series": series(("impressions", "clicks"), rows),
        }
    if name == "campaigns":
        rows = report["rows"]
        return {
            "chart": "campaigns",
            "type": "bar",
            "title": w("title.campaigns"),
            "money": True,
            "x_labels": [f"{w(r['kind'])} {r['name'] or r['campaign_id']}" for r in rows],
            "series": series(("revenue", "discount"), rows),
        }
    if name == "users":
        rows = report["sections"]["regions"]
        return {
            "chart": "users",
            "type": "bar",
            "title": w("title.users"),
            "money": False,
            "x_labels": [r["region"] or "—" for r in rows],
            "series": series(("new", "active", "dormant"), rows),
        }
    if name == "products":
        rows = report["sections"]["best_sellers"]
        return {
            "chart": "products",
            "type": "horizontal_bar",
            "title": w("title.products"),
            "money": False,
            "x_labels": [r["name"] or str(r["product_id"]) for r in rows],
            "series": series(("units",), rows),
        }
    if name == "dashboard":
        keys = ("sales", "orders", "buyers", "visitors")
        return {
            "chart": "dashboard",
            "type": "bar",
            "title": w("title.dashboard"),
            "money": False,
            "x_labels": [w(k) for k in keys],
            "series": [
                {"title": w(day), "values": [report[day][k] for k in keys]}
                for day in ("yesterday", "today")
            ],
        }
    raise KeyError(name)


def render_svg(data: dict[str, Any], lang: str = "en") -> str:
    """The SVG of a chart's data (no scripts, no external references); ``lang``: the words
    pygal adds itself (an empty chart's "No data")."""
    kind = {"line": pygal.Line, "bar": pygal.Bar, "horizontal_bar": pygal.HorizontalBar}[
        data["type"]
    ]
    chart = kind(
        style=STYLE,
        width=800,
        height=400,
        js=(),
        x_label_rotation=30 if len(data["x_labels"]) > 8 else 0,
        show_minor_x_labels=len(data["x_labels"]) <= 16,
        x_labels_major_every=max(1, len(data["x_labels"]) // 8),
        truncate_label=24,
        print_values=False,
        legend_at_bottom=True,
        no_data_text=NO_DATA.get(lang, NO_DATA["en"]),
    )
    chart.title = data["title"]
    chart.x_labels = data["x_labels"]
    if data["money"]:
        chart.value_formatter = lambda v: f"¥{v / 100:,.2f}"
    else:
        # counts: a small range gets whole-number ticks (pygal would draw 0.2, 0.4 ...)
        top = max((v for s in data["series"] for v in s["values"]), default=0)
        if 0 < top <= 10:
            chart.y_labels = list(range(0, int(top) + 1))
    for series in data["series"]:
        chart.add(series["title"], series["values"])
    # pygal always writes its tooltip configuration as an inline script; a chart for an
    # e-mail or an <img> must not carry one.
    return SCRIPT.sub("", chart.render(is_unicode=True))
