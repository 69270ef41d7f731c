"""满赠: the core's gift lines (zero price, is_gift, stock taken and given back) and the
promotions plugin's gift type."""

from __future__ import annotations

import pytest

from mallkit.core.catalog.models import Sku, StockMovement
from mallkit.core.errors import Conflict
from mallkit.core.orders import service as orders
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.tasks.queue import ScheduledTask
from tests.core.orders.conftest import make_product, skus_of
from tests.plugins.coupons.conftest import place, preview
from tests.plugins.promotions.test_promotions import promo
from tests.sample_plugins import pricing_rules


@pytest.fixture
def rules(app, merchant, enable_plugin):
    pricing_rules.reset()
    with enable_plugin(pricing_rules, merchant):
        yield pricing_rules.RULES
    pricing_rules.reset()


def gift(sku, quantity=1):
    return {
        "source": "rules",
        "kind": "gift",
        "amount": 0,
        "label": "赠品",
        "data": {"sku_id": sku.id, "product_id": sku.product_id, "quantity": quantity},
    }


def counts():
    return (
        Order.select().count(),
        OrderLine.select().count(),
        StockMovement.select().count(),
        ScheduledTask.select().count(),
    )


def stock(sku):
    return Sku.get_by_id(sku.id).stock


def test_a_gift_is_a_zero_price_line_with_its_stock_taken_and_given_back(
    client, rules, merchant, buyer, shirt, mug, address
):
    rules["adjustments"] = [
        gift(mug[0], 2),
        {"source": "rules", "kind": "promotion", "amount": -1001, "label": "减"},
    ]
    rules["quotes"] = [{"source": "rules", "code": "sf", "label": "顺丰", "amount": 999}]
    out = preview(buyer, [(shirt[0], 1), (shirt[1], 1)])
    assert [(ln["sku_id"], ln["is_gift"], ln["pay_amount"]) for ln in out["lines"]][-1] == (
        mug[0].id,
        True,
        0,
    )
    assert out["total"] == 10500 - 1001 + 999
    order = place(buyer, address, [(shirt[0], 1), (shirt[1], 1)])
    lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
    gift_line = lines[-1]
    assert (gift_line.is_gift, gift_line.quantity, gift_line.unit_price) == (True, 2, 0)
    assert gift_line.promotion_discount == gift_line.freight_share == gift_line.pay_amount == 0
    assert gift_line.product_name == "杯子"
    assert sum(ln.pay_amount for ln in lines) == order.total == 10500 - 1001 + 999
    assert [a["kind"] for a in order.pricing["applied"]] == ["promotion", "gift"]
    shown = client.get(f"/api/v1/orders/{order.id}", headers=buyer.headers).json["lines"]
    assert [ln["is_gift"] for ln in shown] == [False, False, True]
    assert stock(mug[0]) == 48
    orders.cancel(order, Actor("buyer", buyer.user.id))
    assert stock(mug[0]) == 50


def test_a_gift_without_stock_or_from_another_store_refuses_the_checkout(
    rules, merchant, other_merchant, buyer, shirt, mug, address
):
    theirs = skus_of(make_product(other_merchant, "别家", prices=(100,), stocks=(9,)))[0]
    before, mug_stock = counts(), stock(mug[0])
    rules["adjustments"] = [gift(mug[0], 51)]
    with pytest.raises(Conflict) as exc:
        place(buyer, address, [(shirt[0], 1)])
    assert exc.value.code == "gift_unavailable"
    # The gift and the bought units of the same SKU together need the stock.
    rules["adjustments"] = [gift(mug[0], 1)]
    with pytest.raises(Conflict) as exc:
        place(buyer, address, [(mug[0], 50)])
    assert exc.value.code == "gift_unavailable"
    rules["adjustments"] = [gift(theirs, 1)]
    with pytest.raises(Conflict) as exc:
        place(buyer, address, [(shirt[0], 1)])
    assert exc.value.code == "gift_unavailable"
    assert counts() == before and stock(mug[0]) == mug_stock and stock(theirs) == 9


def test_the_gift_promotion(app, merchant, buyer, shirt, mug, address, enable_plugin):
    with enable_plugin("promotions", merchant, {}):
        p = promo(
            merchant,
            "gift",
            {"threshold": 10000, "sku_id": mug[0].id, "quantity": 1},
            scope="products",
            scope_ids=[shirt[0].product_id],
        )
        out = preview(buyer, [(shirt[0], 1), (mug[0], 3)])
        assert [u["reason"] for u in out["unusable"]] == ["add ¥40.00 more to get a gift"]
        assert not any(ln["is_gift"] for ln in out["lines"])
        order = place(buyer, address, [(shirt[0], 2)])
        lines = list(OrderLine.select().where(OrderLine.order == order.id).order_by(OrderLine.id))
        assert [(ln.sku_id, ln.is_gift, ln.pay_amount) for ln in lines] == [
            (shirt[0].id, False, 12000),
            (mug[0].id, True, 0),
        ]
        assert order.total == 12000 and stock(mug[0]) == 49
        assert order.pricing["applied"][0]["data"]["promotion_id"] == p.id
        Sku.update(stock=0).where(Sku.id == mug[0].id).execute()
        out = preview(buyer, [(shirt[0], 2)])
        assert [u["reason"] for u in out["unusable"]] == ["the gift is out of stock"]
        assert out["total"] == 12000 and len(out["lines"]) == 1
