"""Analytics REST routes under ``/merchants/<merchant_id>/analytics`` (404 where the store
has not enabled the plugin): the public event collector, the staff reports (JSON, CSV, SVG
charts) and "recommended for you"; the platform's reports and their charts over every store
under ``/admin/analytics``."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Page
from limits import RateLimitItemPerMinute

from mallkit.core.plugin_api import (
    NotFound,
    RateLimited,
    User,
    ValidationError,
    current_user,
    foreign_catalog_ids,
    plugin_blueprint,
    require_admin,
    require_staff,
    require_user,
    schedule_task,
    transaction,
)
from mallkit.plugins.analytics import charts, collector, recommend, reports
from mallkit.plugins.analytics.schemas import (
    AcceptedOut,
    AggregatedOut,
    AggregateIn,
    ChartArgs,
    ChartOut,
    CsvArgs,
    CustomerOut,
    DashboardOut,
    EventBatchIn,
    PlatformArgs,
    ProductsArgs,
    RangeArgs,
    RecommendationOut,
    ReportOut,
    SalesArgs,
)

blp = plugin_blueprint("analytics", __name__, description="Analytics (数据分析)")
BASE = "/merchants/<int:merchant_id>/analytics"


def check_rate(merchant_id: int, events: int) -> None:
    """``events_per_minute`` from one address to one store, counted in flask-limiter's
    storage (memory, or Redis when several processes serve the platform)."""
    limiter = next(iter(current_app.extensions["limiter"]))
    item = RateLimitItemPerMinute(collector.config(merchant_id)["events_per_minute"])
    address = request.remote_addr or ""
    if not limiter.limiter.hit(item, "analytics-events", str(merchant_id), address, cost=events):
        raise RateLimited("too many events; send fewer, less often", code="events_rate_limited")


@blp.route(f"{BASE}/events")
class Events(MethodView):
    @blp.doc(security=[])
    @blp.arguments(EventBatchIn)
    @blp.response(202, AcceptedOut)
    def post(self, data, merchant_id):
        """Record a batch of storefront events (1–50; anyone; rate-limited per address).

        A signed-in buyer's events carry their account (from the token); otherwise send the
        storefront's opaque ``device_id``. Nothing else about the visitor is stored."""
        check_rate(merchant_id, len(data["events"]))
        products = [e["product_id"] for e in data["events"] if e.get("product_id")]
        unknown = foreign_catalog_ids(merchant_id, "products", products) if products else []
        if unknown:
            raise ValidationError(
                "unknown products",
                code="unknown_products",
                errors={"events": [f"Not this store's products: {sorted(unknown)}."]},
            )
        user = current_user(optional=True)
        accepted = collector.record_batch(
            merchant_id, user.id if user else None, data["device_id"], data["events"]
        )
        return {"accepted": accepted}


# -- reports (staff) --------------------------------------------------------------------------

STAFF = ("owner", "manager")
REPORT_NAMES = "any(traffic, campaigns, users, products, sales)"
CHART_NAMES = "any(" + ", ".join(charts.CHARTS) + ")"
SVG = {"200": {"description": "The chart as SVG", "content": {"image/svg+xml": {}}}}
CSV = {"200": {"description": "The report's rows as CSV", "content": {"text/csv": {}}}}


def staff_of(merchant_id: int) -> User:
    """The store's owner or a manager (a platform admin too); anyone else gets 404."""
    return require_staff(merchant_id, *STAFF, not_staff=NotFound("not found"))


def run_report(name: str, merchant_id: int | None, args: dict) -> dict:
    scope = reports.Scope(merchant_id, args.get("start"), args.get("end"))
    if name == "sales":
        return reports.sales(scope, args.get("period") or "day")
    if name == "products":
        return reports.products(scope, args.get("limit") or 10)
    return reports.REPORTS[name](scope)


def as_csv(report: dict) -> Response:
    out = io.StringIO()
    rows = report["rows"]
    columns = list(rows[0]) if rows else []
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    filename = f"{report['report']}-{report['start']}-{report['end']}.csv"
    return Response(
        out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _report_view(name: str, args_schema: type, doc: str) -> type:
    class Report(MethodView):
        @blp.arguments(args_schema, location="query")
        @blp.response(200, ReportOut)
        def get(self, args, merchant_id):
            staff_of(merchant_id)
            return run_report(name, merchant_id, args)

    Report.get.__doc__ = doc
    Report.__name__ = name.title()
    return Report


for _name, _args, _doc in (
    (
        "traffic",
        RangeArgs,
        "A1: visitors and the funnel per source and UTM campaign, ads' CTR (owner, manager).",
    ),
    (
        "campaigns",
        RangeArgs,
        "A2: coupons, promotions, group buys, bargains and promoters (owner, manager).",
    ),
    ("users", RangeArgs, "A3: registered, new, active and dormant customers by region and level."),
    (
        "products",
        ProductsArgs,
        "A4: units, revenue, gross profit, turnover; best and slow sellers.",
    ),
    ("sales", SalesArgs, "A5: sales by day, week or month of store time, and by region."),
):
    blp.route(f"{BASE}/{_name}")(_report_view(_name, _args, _doc))


@blp.route(f"{BASE}/customers/<int:user_id>")
class CustomerProfile(MethodView):
    @blp.response(200, CustomerOut)
    def get(self, merchant_id, user_id):
        """A3: one customer's orders, spend, last order and favourite categories."""
        staff_of(merchant_id)
        return reports.customer_profile(merchant_id, user_id)


@blp.route(f"{BASE}/dashboard")
class Dashboard(MethodView):
    @blp.response(200, DashboardOut)
    def get(self, merchant_id):
        """A5: today's sales, orders, buyers, visitors and conversion against yesterday."""
        staff_of(merchant_id)
        return reports.dashboard(merchant_id)


@blp.route(f"{BASE}/reports/<{REPORT_NAMES}:report>.csv")
class ReportCsv(MethodView):
    @blp.arguments(CsvArgs, location="query")
    @blp.doc(responses=CSV)
    def get(self, args, merchant_id, report):
        """A report's rows as CSV (the same range and options as its JSON route)."""
        staff_of(merchant_id)
        return as_csv(run_report(report, merchant_id, args))


def chart_of(name: str, merchant_id: int | None, args: dict) -> dict:
    lang = args.get("lang") or "en"
    if name.startswith("dashboard_"):
        if merchant_id is None:
            raise NotFound("the dashboard is a store's", code="not_found")
        return charts.chart_data(name, reports.dashboard(merchant_id), lang)
    report = "traffic" if name == "ads" else name
    return charts.chart_data(name, run_report(report, merchant_id, args), lang)


@blp.route(f"{BASE}/charts/<{CHART_NAMES}:chart>")
class Chart(MethodView):
    @blp.arguments(ChartArgs, location="query")
    @blp.response(200, ChartOut)
    def get(self, args, merchant_id, chart):
        """A report's chart as data: the figures its SVG shows."""
        staff_of(merchant_id)
        return chart_of(chart, merchant_id, args)


@blp.route(f"{BASE}/charts/<{CHART_NAMES}:chart>.svg")
class ChartSvg(MethodView):
    @blp.arguments(ChartArgs, location="query")
    @blp.doc(responses=SVG)
    def get(self, args, merchant_id, chart):
        """A report's chart as SVG, rendered on the server (for the console and e-mails)."""
        staff_of(merchant_id)
        svg = charts.render_svg(chart_of(chart, merchant_id, args), args.get("lang") or "en")
        return Response(svg, content_type="image/svg+xml")


@blp.route(f"{BASE}/aggregate")
class Aggregate(MethodView):
    @blp.arguments(AggregateIn)
    @blp.response(202, AggregatedOut)
    def post(self, data, merchant_id):
        """Schedule the aggregation of a range of days again (at most 366; owner, manager),
        one task per day — after importing old orders, say."""
        staff_of(merchant_id)
        start, end = data["start"], data["end"]
        if end < start or (end - start).days >= reports.MAX_DAYS:
            raise ValidationError(
                "the range runs from start to end, at most 366 days",
                code="invalid_range",
                errors={"end": ["On or after start, within 366 days."]},
            )
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        with transaction():
            for day in days:
                schedule_task(
                    collector.AGGREGATE_DAY,
                    payload={"day": day.isoformat()},
                    merchant_id=merchant_id,
                    dedupe_key=f"{collector.AGGREGATE_DAY}:{merchant_id}:{day.isoformat()}",
                )
        return {"days": days}


@blp.route(f"{BASE}/recommendations")
class Recommendations(MethodView):
    @blp.response(200, RecommendationOut(many=True))
    @blp.paginate(Page)
    def get(self, merchant_id):
        """ "Recommended for you": products that go with what you viewed and bought here,
        then best sellers; never what you bought, nothing out of stock (signed-in buyer)."""
        user = require_user()
        return recommend.recommend(merchant_id, user.id)


# -- the platform -----------------------------------------------------------------------------


@blp.route(f"/admin/analytics/<{REPORT_NAMES}:report>")
class PlatformReport(MethodView):
    @blp.arguments(PlatformArgs, location="query")
    @blp.response(200, ReportOut)
    def get(self, args, report):
        """A report over every store (or one, ``merchant_id``); each store's days are its
        own store time (platform admins)."""
        require_admin()
        return run_report(report, args.get("merchant_id"), args)


@blp.route(f"/admin/analytics/reports/<{REPORT_NAMES}:report>.csv")
class PlatformReportCsv(MethodView):
    @blp.arguments(PlatformArgs, location="query")
    @blp.doc(responses=CSV)
    def get(self, args, report):
        """A platform report's rows as CSV (platform admins)."""
        require_admin()
        return as_csv(run_report(report, args.get("merchant_id"), args))


class PlatformChartArgs(PlatformArgs, ChartArgs):
    """A platform chart's arguments: a report's, one store or every store, and ``lang``."""


@blp.route(f"/admin/analytics/charts/<{CHART_NAMES}:chart>")
class PlatformChart(MethodView):
    @blp.arguments(PlatformChartArgs, location="query")
    @blp.response(200, ChartOut)
    def get(self, args, chart):
        """A report's chart over every store (or one, ``merchant_id``) as data; the dashboard's
        charts are a store's (404 without ``merchant_id``). Platform admins."""
        require_admin()
        return chart_of(chart, args.get("merchant_id"), args)


@blp.route(f"/admin/analytics/charts/<{CHART_NAMES}:chart>.svg")
class PlatformChartSvg(MethodView):
    @blp.arguments(PlatformChartArgs, location="query")
    @blp.doc(responses=SVG)
    def get(self, args, chart):
        """A report's chart over every store (or one) as SVG (platform admins)."""
        require_admin()
        svg = charts.render_svg(
            chart_of(chart, args.get("merchant_id"), args), args.get("lang") or "en"
        )
        return Response(svg, content_type="image/svg+xml")
