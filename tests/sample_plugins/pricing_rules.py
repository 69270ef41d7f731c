"""A merchant-level plugin whose price proposals a test sets in ``RULES``."""

from mallkit.core.plugin_api import Adjustment, PluginMeta, PriceCandidate, ShippingQuote
from mallkit.hookspecs import hookimpl

meta = PluginMeta(name="pricing_rules", version="1.0.0", title="Pricing rules (tests)")

RULES: dict = {}
SEEN: list = []


def reset() -> None:
    RULES.clear()
    RULES.update({"prices": [], "adjustments": [], "quotes": []})
    SEEN.clear()


reset()


@hookimpl
def propose_unit_prices(merchant, buyer, lines):
    out = []
    for line in lines:
        for sku_id, price, kind, priority, *exclusive in RULES["prices"]:
            if line["sku_id"] == sku_id:
                out.append(
                    PriceCandidate(
                        line["key"],
                        price,
                        f"rule-{kind}-{price}",
                        kind,
                        label=kind,
                        priority=priority,
                        data={"exclusive": bool(exclusive and exclusive[0])},
                    )
                )
    return out


@hookimpl
def propose_adjustments(merchant, buyer, lines, context):
    SEEN.append(("adjustments", dict(context)))
    out = []
    for rule in RULES["adjustments"]:
        rule = dict(rule)
        sku_ids = rule.pop("sku_ids", None)
        keys = tuple(line["key"] for line in lines if sku_ids is None or line["sku_id"] in sku_ids)
        threshold = rule.pop("threshold", 0)  # checked here, on the amounts the hook sees
        rule["threshold"] = rule.pop("core_threshold", 0)  # checked by the core
        subtotal = sum(line["amount"] for line in lines if line["key"] in keys)
        if subtotal < threshold:
            out.append(
                Adjustment(
                    **rule,
                    line_keys=keys,
                    usable=False,
                    reason=f"¥{(threshold - subtotal) / 100:.2f} short",
                )
            )
        else:
            out.append(Adjustment(**rule, line_keys=keys if sku_ids else ()))
    return out


@hookimpl
def propose_shipping_quotes(merchant, lines, address):
    return [ShippingQuote(**q) for q in RULES["quotes"]]
