"""Demo data for aftersales (``mallkit demo`` only): a return address, and an open case on
the demo buyer's completed order."""

from __future__ import annotations

from typing import Any

from mallkit.core.plugin_api import Actor, Order, OrderLine, configure_plugin
from mallkit.plugins.aftersales import service
from mallkit.plugins.aftersales.models import Case

RETURN_ADDRESS = {
    "recipient": "演示商城售后部",
    "phone": "400-000-0000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "张江路 1 号 退货仓",
}


def attach(app: Any, merchant: Any, base_url: str) -> list[str]:
    """Give the store a return address and open a return on a completed order (once)."""
    config = {**service.config(merchant.id), "return_address": RETURN_ADDRESS}
    configure_plugin(merchant, "aftersales", config)
    case = Case.select().where(Case.merchant_id == merchant.id).first()
    if case is None:
        order = (
            Order.select()
            .where((Order.merchant == merchant.id) & (Order.status == "completed"))
            .order_by(Order.id)
            .first()
        )
        if order is None:
            return ["aftersales      no completed order to open a case on"]
        line = OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id).first()
        case = service.apply(
            order,
            {
                "order_line_id": line.id,
                "type": "return_refund",
                "quantity": 1,
                "reason": "商品与描述不符",
                "description": "颜色和图片不一样（演示）",
            },
            Actor("buyer", order.buyer_id),
        )
    return [f"aftersales      case {case.number} ({case.status}) on order {case.order_id}"]
