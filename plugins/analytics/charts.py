"""Charts of the reports: each is first a plain data dict — the chart's JSON — and the SVG
is rendered from that dict (pygal, server-side, no JavaScript, so it works in an e-mail),
so the picture and the JSON always show the same figures.

Money and counts never share a chart (so never an axis): a chart plots report fields of one
kind — money (integer fen in the JSON, yuan on the SVG's axis and values, ``Money.text()``,
no float) or counts (whole numbers on the axis). The dashboard's today-against-yesterday is
two charts for that: ``dashboard_sales`` (money) and ``dashboard_orders`` (counts). Titles,
series and the report's own words (sources, campaign kinds) are English, or Chinese with
``lang="zh"`` (the console asks in its language); figures, dates and names are the same in
both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pygal
from pygal.style import Style

from mallkit.core.plugin_api import Money
from mallkit.plugins.analytics import reports

STYLE = Style(
    background="white",
    plot_background="white",
    font_family="'Noto Sans CJK SC', 'PingFang SC', 'Microsoft YaHei', sans-serif",
    colors=("#1677ff", "#52c41a", "#faad14", "#f5222d", "#722ed1", "#13c2c2"),
)
SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
CHARTS = (
    "sales",
    "traffic",
    "ads",
    "campaigns",
    "users",
    "products",
    "dashboard_sales",
    "dashboard_orders",
)
LANGS = ("en", "zh")
# The reports' money fields (integer fen); every other field a chart plots is a count.
MONEY = frozenset(
    {"paid_amount", "refunded_amount", "revenue", "discount", "sales", "average_order_value"}
)

# The chart's words in Chinese; English is the key itself. Titles are keyed by chart name.
ZH = {
    "title.sales": "销售额（按{period}，{currency}）",
    "title.traffic": "各来源转化漏斗",
    "title.ads": "广告曝光与点击",
    "title.campaigns": "活动成交额与优惠",
    "title.users": "各地区客户",
    "title.products": "畅销商品（按件数）",
    "title.dashboard_sales": "今日与昨日销售额（{currency}）",
    "title.dashboard_orders": "今日与昨日订单、买家与访客",
    "average_order_value": "客单价",
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
    "title.dashboard_sales": "Sales today against yesterday ({currency})",
    "title.dashboard_orders": "Orders, buyers and visitors today against yesterday",
    "average_order_value": "average order",
    "sales.paid": "paid",
    "sales.refunded": "refunded",
}
NO_DATA = {"en": "No data", "zh": "暂无数据"}


def chart_data(name: str, report: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    """The chart of a report (or of the dashboard) as data, its words in ``lang``.
    ``fields``: the report's fields it plots, all money (``money``) or all counts."""
    words = ZH if lang == "zh" else EN

    def w(key: str) -> str:
        return words.get(key, key)

    def series(keys, rows) -> list[dict[str, Any]]:
        return [{"title": w(k), "values": [r[k] for r in rows]} for k in keys]

    def chart(type_: str, title: str, fields: tuple[str, ...], x_labels, series_) -> dict:
        money = fields[0] in MONEY
        if any((f in MONEY) != money for f in fields):
            raise ValueError(f"chart {name!r} mixes money and counts: {fields}")
        return {
            "chart": name,
            "type": type_,
            "title": title,
            "money": money,
            "currency": report["currency"],
            "fields": fields,
            "x_labels": x_labels,
            "series": series_,
        }

    if name == "sales":
        rows = report["rows"]
        period = report["sections"]["period"]
        title = w("title.sales").format(period=w(period), currency=report["currency"])
        return chart(
            "line",
            title,
            ("paid_amount", "refunded_amount"),
            [r["period"] for r in rows],
            [
                {"title": w("sales.paid"), "values": [r["paid_amount"] for r in rows]},
                {"title": w("sales.refunded"), "values": [r["refunded_amount"] for r in rows]},
            ],
        )
    if name == "traffic":
        rows = report["rows"]
        return chart(
            "bar",
            w("title.traffic"),
            reports.FUNNEL,
            [w(r["source"]) for r in rows],
            series(reports.FUNNEL, rows),
        )
    if name == "ads":
        rows = report["sections"]["ads"]
        keys = ("impressions", "clicks")
        return chart(
            "bar",
            w("title.ads"),
            keys,
            [f"#{r['creative_id']} {r['placement']}" for r in rows],
            series(keys, rows),
        )
    if name == "campaigns":
        rows = report["rows"]
        keys = ("revenue", "discount")
        return chart(
            "bar",
            w("title.campaigns"),
            keys,
            [f"{w(r['kind'])} {r['name'] or r['campaign_id']}" for r in rows],
            series(keys, rows),
        )
    if name == "users":
        rows = report["sections"]["regions"]
        keys = ("new", "active", "dormant")
        return chart(
            "bar", w("title.users"), keys, [r["region"] or "—" for r in rows], series(keys, rows)
        )
    if name == "products":
        rows = report["sections"]["best_sellers"]
        return chart(
            "horizontal_bar",
            w("title.products"),
            ("units",),
            [r["name"] or str(r["product_id"]) for r in rows],
            series(("units",), rows),
        )
    if name in ("dashboard_sales", "dashboard_orders"):
        # the figures across, yesterday's and today's bars side by side
        keys = (
            ("sales", "average_order_value")
            if name == "dashboard_sales"
            else ("orders", "buyers", "visitors")
        )
        return chart(
            "bar",
            w(f"title.{name}").format(currency=report["currency"]),
            keys,
            [w(k) for k in keys],
            [
                {"title": w(day), "values": [report[day][k] for k in keys]}
                for day in ("yesterday", "today")
            ],
        )
    raise KeyError(name)


def ticks(values: list[int], unit: int = 1) -> list[int]:
    """Whole-number ticks (fen, or a count) from 0 (or below it) past the largest value, in
    steps of 1, 2 or 5 × 10ⁿ, at most 6 steps — so a count axis never reads 0.2, 0.4 … and a
    money axis steps by round amounts of yuan (or fen, under ¥1). All zero: 0 and ``unit``
    (¥1.00 for money, not ¥0.01)."""
    lo, hi = min(0, *values), max(0, *values)
    if lo == hi == 0:
        return [0, unit]
    step = next(s for s in _steps() if s * 6 >= hi - lo)
    bottom, top = lo // step * step, -(-hi // step) * step
    return list(range(bottom, max(top, bottom + step) + 1, step))


def _steps() -> Iterator[int]:
    power = 1
    while True:
        yield from (power, 2 * power, 5 * power)
        power *= 10


def render_svg(data: dict[str, Any], lang: str = "en") -> str:
    """The SVG of a chart's data (no scripts, no external references); ``lang``: the words
    pygal adds itself (an empty chart's "No data"). Money charts read in yuan on the axis and
    in the values, counts in whole numbers."""
    kind = {"line": pygal.Line, "bar": pygal.Bar, "horizontal_bar": pygal.HorizontalBar}[
        data["type"]
    ]
    currency = data.get("currency", "CNY")

    def text(value) -> str:
        figure = round(value)  # the values are whole fen or counts; pygal may hand back floats
        return Money(figure, currency).text() if data["money"] else f"{figure:,}"

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
        value_formatter=text,
    )
    chart.title = data["title"]
    chart.x_labels = data["x_labels"]
    values = [v for s in data["series"] for v in s["values"] if v is not None]
    if values:
        axis = ticks(values, 100 if data["money"] else 1)
        chart.y_labels = [{"value": y, "label": text(y)} for y in axis]
    for series in data["series"]:
        chart.add(series["title"], series["values"])
    # pygal always writes its tooltip configuration as an inline script; a chart for an
    # e-mail or an <img> must not carry one.
    return SCRIPT.sub("", chart.render(is_unicode=True))
