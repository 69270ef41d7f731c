"""Analytics REST routes under ``/merchants/<merchant_id>/analytics`` (404 where the store
has not enabled the plugin): the public event collector, the staff reports (JSON, CSV, SVG
charts) and "recommended for you"; the platform's reports over every store under
``/admin/analytics``."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from limits import RateLimitItemPerMinute

from mallkit.core.plugin_api import (
    RateLimited,
    ValidationError,
    current_user,
    foreign_catalog_ids,
    plugin_blueprint,
)
from mallkit.plugins.analytics import collector
from mallkit.plugins.analytics.schemas import AcceptedOut, EventBatchIn

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
