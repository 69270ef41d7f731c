"""tracking (物流跟踪): every parcel a store ships is subscribed with a tracking carrier (an
interface: subscribe, query, parse push; the built-in ``sim`` carrier talks to the local
tracking simulator); signed pushes build the parcel's trail, shown to the buyer and the
staff; "delivered" starts the order's auto-confirm countdown. See docs/plugins/tracking.md.
"""

from __future__ import annotations

from pathlib import Path

from marshmallow import Schema, fields, validate, validates

from mallkit.core.plugin_api import JobHandler, MigrationSource, PluginMeta, check_gateway
from mallkit.hookspecs import hookimpl
from mallkit.plugins.tracking import service
from mallkit.plugins.tracking.api import blp
from mallkit.plugins.tracking.hookspecs import TrackingSpecs
from mallkit.plugins.tracking.simcarrier import OFFICIAL


class TrackingConfig(Schema):
    carrier = fields.String(
        load_default="sim",
        validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,31}$"),
        metadata={
            "label": "Tracking service",
            "label_zh": "物流查询服务",
            "description": "The tracking carrier: sim, or one a plugin registers",
            "description_zh": "物流查询服务：sim（模拟），或其他插件提供的服务",
        },
    )
    gateway_url = fields.Url(
        required=True,
        require_tld=False,
        schemes={"http", "https"},
        metadata={
            "label": "API address",
            "label_zh": "接口地址",
            "description": "The carrier's API address (allowed by the platform)",
            "description_zh": "物流服务商的接口地址（须为平台允许的地址）",
        },
    )
    customer = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"label": "Customer id", "label_zh": "客户编号"},
    )
    key = fields.String(
        required=True,
        validate=validate.Length(min=16, max=128),
        metadata={"label": "Key", "label_zh": "授权密钥", "secret": True},
    )
    callback_base_url = fields.Url(
        load_default="",
        require_tld=False,
        schemes={"http", "https"},
        metadata={
            "label": "Push base URL",
            "label_zh": "推送回调基础地址",
            "description": "Public base URL for pushes (default: the app's)",
            "description_zh": "接收物流推送的公网基础地址（默认使用本应用的地址）",
        },
    )

    @validates("gateway_url")
    def _gateway(self, value, **kwargs):
        check_gateway(value, OFFICIAL)


meta = PluginMeta(
    name="tracking",
    version="1.0.0",
    title="Parcel tracking (物流跟踪)",
    description="Parcels subscribed with a carrier; signed pushes build the trail; delivery "
    "starts the auto-confirm countdown.",
    mallkit=">=0.1,<1",
    config_schema=TrackingConfig,
    level="merchant",
    category="logistics",
    title_zh="物流跟踪",
    description_zh="向物流公司订阅包裹，签名推送生成物流轨迹，签收后开始自动确认收货倒计时。",
)


@hookimpl
def register_hookspecs():
    return [TrackingSpecs]


@hookimpl
def register_migrations():
    return [MigrationSource("tracking", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def register_job_handlers():
    return [JobHandler(service.SUBSCRIBE, service.subscribe)]


@hookimpl
def on_shipment_created(order, shipment):
    service.on_shipment_created(order, shipment)


@hookimpl
def extend_demo(app, merchant, base_url):
    from mallkit.plugins.tracking import demo  # only ``mallkit demo`` loads the simulator

    return demo.attach(app, merchant, base_url)
