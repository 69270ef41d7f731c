"""Charts of the reports: each is first a plain data dict — the chart's JSON — and the SVG
is rendered from that dict (pygal, server-side, no JavaScript, so it works in an e-mail),
so the picture and the JSON always show the same figures.

Money is kept in fen in the JSON; the SVG's axis shows yuan.
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


def chart_data(name: str, report: dict[str, Any]) -> dict[str, Any]:
    """The chart of a report (or of the dashboard) as data."""
    if name == "sales":
        rows = report["rows"]
        return {
            "chart": "sales",
            "type": "line",
            "title": f"Sales by {report['sections']['period']} ({report['currency']})",
            "money": True,
            "x_labels": [r["period"] for r in rows],
            "series": [
                {"title": "paid", "values": [r["paid_amount"] for r in rows]},
                {"title": "refunded", "values": [r["refunded_amount"] for r in rows]},
            ],
        }
    if name == "traffic":
        rows = report["rows"]
        return {
            "chart": "traffic",
            "type": "bar",
            "title": "Funnel by source",
            "money": False,
            "x_labels": [r["source"] for r in rows],
            "series": [
                {"title": step, "values": [r[step] for r in rows]} for step in reports.FUNNEL
            ],
        }
    if name == "ads":
        rows = report["sections"]["ads"]
        return {
            "chart": "ads",
            "type": "bar",
            "title": "Ad impressions and clicks",
            "money": False,
            "x_labels": [f"#{r['creative_id']} {r['placement']}" for r in rows],
            "series": [
                {"title": "impressions", "values": [r["impressions"] for r in rows]},
                {"title": "clicks", "values": [r["clicks"] for r in rows]},
            ],
        }
    if name == "campaigns":
        rows = report["rows"]
        return {
            "chart": "campaigns",
            "type": "bar",
            "title": "Campaign revenue and discount",
            "money": True,
            "x_labels": [f"{r['kind']} {r['name'] or r['campaign_id']}" for r in rows],
            "series": [
                {"title": "revenue", "values": [r["revenue"] for r in rows]},
                {"title": "discount", "values": [r["discount"] for r in rows]},
            ],
        }
    if name == "users":
        rows = report["sections"]["regions"]
        return {
            "chart": "users",
            "type": "bar",
            "title": "Customers by region",
            "money": False,
            "x_labels": [r["region"] or "—" for r in rows],
            "series": [
                {"title": k, "values": [r[k] for r in rows]} for k in ("new", "active", "dormant")
            ],
        }
    if name == "products":
        rows = report["sections"]["best_sellers"]
        return {
            "chart": "products",
            "type": "horizontal_bar",
            "title": "Best sellers by units",
            "money": False,
            "x_labels": [r["name"] or str(r["product_id"]) for r in rows],
            "series": [{"title": "units", "values": [r["units"] for r in rows]}],
        }
    if name == "dashboard":
        keys = ("sales", "orders", "buyers", "visitors")
        return {
            "chart": "dashboard",
            "type": "bar",
            "title": "Today against yesterday",
            "money": False,
            "x_labels": list(keys),
            "series": [
                {"title": day, "values": [report[day][k] for k in keys]}
                for day in ("yesterday", "today")
            ],
        }
    raise KeyError(name)


def render_svg(data: dict[str, Any]) -> str:
    """The SVG of a chart's data (no scripts, no external references)."""
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
    )
    chart.title = data["title"]
    chart.x_labels = data["x_labels"]
    if data["money"]:
        chart.value_formatter = lambda v: f"¥{v / 100:,.2f}"
    for series in data["series"]:
        chart.add(series["title"], series["values"])
    # pygal always writes its tooltip configuration as an inline script; a chart for an
    # e-mail or an <img> must not carry one.
    return SCRIPT.sub("", chart.render(is_unicode=True))
