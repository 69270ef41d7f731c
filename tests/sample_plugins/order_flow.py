"""A merchant-level plugin that adds an order state, guards transitions, vetoes checkouts and
records every state change, price change and refund."""

from mallkit.core.plugin_api import Conflict, OrderTransition, PluginMeta, ValidationError
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="order_flow", version="1.0.0", title="Order flow (tests)")

CHANGES: list = []
PLACED: list = []
REFUNDS: list = []
REPRICED: list = []
HOLD_SHIPPING: set[int] = set()
FAIL_ON: set[str] = set()


def reset() -> None:
    CHANGES.clear()
    PLACED.clear()
    REFUNDS.clear()
    REPRICED.clear()
    OPTIONS.clear()
    HOLD_SHIPPING.clear()
    FAIL_ON.clear()


@hookimpl
def register_order_transitions():
    return [
        OrderTransition("paid", "held_for_review", "hold_for_review", ("system",)),
        OrderTransition("held_for_review", "paid", "review_passed", ("system",)),
    ]


OPTIONS: list = []


@hookimpl
def validate_checkout(merchant, buyer, order):
    if "refuse" in order["options"].get("note", ""):
        raise ValidationError("refused by order_flow", code="checkout_refused")
    mine = order["options"].get("plugins", {}).get("order_flow", {})
    if mine and set(mine) != {"gift_wrap"}:
        raise ValidationError(
            "order_flow takes only gift_wrap",
            code="invalid_plugin_options",
            errors={"order_flow": sorted(set(mine) - {"gift_wrap"})},
        )


@hookimpl
def propose_adjustments(merchant, buyer, lines, context):
    OPTIONS.append(context.get("plugins", {}).get("order_flow"))
    return []


@hookimpl
def on_order_placed(merchant, buyer, order, lines):
    PLACED.append((order.id, [(ln["sku_id"], ln["activity"]) for ln in lines]))
    if "refuse after writing" in order.buyer_note:
        raise Conflict("refused by order_flow after the order was written", code="late_refusal")


@hookimpl
def validate_order_transition(order, source, target, actor):
    if target == "shipped" and order.id in HOLD_SHIPPING:
        raise Conflict("held by order_flow", code="shipping_held")


@hookimpl
def on_order_state_changed(order, source, target, actor):
    CHANGES.append((order.id, source, target, actor.type))
    if target in FAIL_ON:
        raise RuntimeError(f"order_flow refuses {target}")


@hookimpl
def on_order_price_changed(order, before, after, actor):
    REPRICED.append((order.id, before, after, order.total))
    if "price" in FAIL_ON:
        raise Conflict("order_flow refuses the new price", code="price_refused")


@hookimpl
def on_order_refunded(order, refund, lines, full):
    REFUNDS.append(
        (order.id, refund.amount, [(ln["sku_id"], ln["quantity"]) for ln in lines], full)
    )
    if "refund" in FAIL_ON:
        raise RuntimeError("order_flow breaks on refunds")
