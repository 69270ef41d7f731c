"""Checkout cost with the logistics plugins, against the same checkout without.

Three stores with the same product (three SKUs, ample stock) and the same buyer in 广东深圳:
``plain`` has no plugin; ``freight`` has the freight plugin with two templates (by piece and
by weight, region rows, a free-shipping rule, an undeliverable region) that the lines use;
``warehouses`` keeps the stock in three warehouses — the nearest serving one short of stock so
every line is split across two (a third serves only 上海). Each checkout is
``mallkit.core.checkout.service.place`` in-process (a request context, as the API runs it),
three lines. Blocks of checkouts rotate
between the stores so all share the machine's noise; the figures are the medians of the
blocks. Then a race: 40 threads buy one unit each of a SKU whose 25 units are spread over the
two serving warehouses — exactly 25 must succeed and no warehouse go below zero.

    python bench/logistics.py [--backend sqlite|postgresql] [--checkouts 300]
        [--database-url postgresql://postgres@127.0.0.1:5432/<db>]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from common import PG_BASE, Backend

ADDRESS = {
    "recipient": "张三",
    "phone": "13800000000",
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "detail": "科技园 1 号",
}


def make_skus(merchant, name, stocks):
    from mallkit.core.catalog.models import Sku
    from mallkit.core.catalog.service import create_product

    values = [f"v{n}" for n in range(len(stocks))]
    product = create_product(
        merchant.id,
        {
            "name": name,
            "specs": [{"name": "款式", "values": values}],
            "skus": [
                {"specs": {"款式": v}, "price": 3000 + 100 * n, "stock": s, "weight": 400}
                for n, (v, s) in enumerate(zip(values, stocks, strict=True))
            ],
        },
    )
    return product, list(Sku.select().where(Sku.product == product.id).order_by(Sku.id))


def setup(checkouts: int):
    from mallkit.core import plugin_settings
    from mallkit.core.accounts.service import save_address
    from mallkit.core.testing import make_account, make_merchant
    from mallkit.plugins.freight import service as freight
    from mallkit.plugins.warehouses import service as wh

    buyer = make_account(email="bench-buyer@example.com").user
    address = save_address(buyer, ADDRESS)
    stock = 10 * checkouts + 100
    stores = {}
    for name in ("plain", "freight", "warehouses"):
        merchant = make_merchant(f"{name} store")
        product, skus = make_skus(merchant, "T恤", (stock,) * 3)
        stores[name] = (merchant, product, skus)
    merchant, product, _ = stores["freight"]
    plugin_settings.enable(merchant, "freight", {})
    row = {
        "first_unit": 1,
        "first_price": 800,
        "extra_unit": 1,
        "extra_price": 200,
        "delivery_days": [2, 4],
    }
    freight.save_template(
        merchant.id,
        {
            "name": "piece",
            "method": "piece",
            "is_default": True,
            "default_row": row,
            "rows": [{**row, "regions": ["440000", "310000"], "first_price": 600}],
            "free": [{"regions": ["310000"], "min_amount": 99900, "min_quantity": None}],
            "undeliverable": ["540000"],
        },
    )
    heavy = freight.save_template(
        merchant.id,
        {
            "name": "weight",
            "method": "weight",
            "is_default": False,
            "default_row": {**row, "first_unit": 1000, "extra_unit": 500},
            "rows": [],
            "free": [],
            "undeliverable": ["540000"],
        },
    )
    freight.pick_template(merchant.id, product.id, heavy.id)
    merchant, _, skus = stores["warehouses"]
    plugin_settings.enable(merchant, "warehouses", {})
    near = wh.save_warehouse(
        merchant.id,
        {
            "name": "深圳仓",
            "priority": 5,
            "province": "广东",
            "city": "深圳",
            "regions": ["440000"],
        },
    )
    far = wh.save_warehouse(
        merchant.id,
        {"name": "北京仓", "priority": 5, "province": "北京", "city": "北京", "regions": []},
    )
    other = wh.save_warehouse(
        merchant.id,
        {
            "name": "上海仓",
            "priority": 0,
            "province": "上海",
            "city": "上海",
            "regions": ["310000"],
        },
    )
    for sku in skus:
        wh.set_stock(merchant.id, near.id, sku.id, checkouts)  # short: every line splits
        wh.set_stock(merchant.id, far.id, sku.id, stock)
        wh.set_stock(merchant.id, other.id, sku.id, stock)

    def order(skus):
        return {
            "items": [
                {"sku_id": s.id, "quantity": q} for s, q in zip(skus, (2, 1, 3), strict=True)
            ],
            "address_id": address.id,
        }

    return buyer, {name: order(skus) for name, (_, _, skus) in stores.items()}, stores


def race(app, buyer, merchant):
    from mallkit.core.catalog.models import Sku
    from mallkit.core.checkout import service as checkout
    from mallkit.core.testing import concurrently
    from mallkit.plugins.warehouses import service as wh
    from mallkit.plugins.warehouses.models import WarehouseStock

    with app.app_context():
        _, skus = make_skus(merchant, "限量款", (0,))
        sku = skus[0]
        serving = wh.plan_order(merchant.id, ADDRESS)  # 深圳仓 and 北京仓; 上海仓 serves 上海 only
        for w, units in zip(serving, (10, 15), strict=True):
            wh.set_stock(merchant.id, w.id, sku.id, units)
        data = {"items": [{"sku_id": sku.id, "quantity": 1}], "address": ADDRESS}

    def buy(i):
        with app.test_request_context():
            return checkout.place(buyer, data)

    results = concurrently(app, buy, 40)
    with app.app_context():
        sold = sum(not isinstance(r, Exception) for r in results)
        levels = [
            r.quantity for r in WarehouseStock.select().where(WarehouseStock.sku_id == sku.id)
        ]
        return sold, levels, Sku.get_by_id(sku.id).stock


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--checkouts", type=int, default=300)
    parser.add_argument("--database-url", default=PG_BASE, help="PostgreSQL database to use")
    args = parser.parse_args()

    from mallkit.core import migrate
    from mallkit.core.app import create_app
    from mallkit.core.checkout import service as checkout
    from mallkit.core.testing import count_queries

    backend = Backend(args.backend, args.database_url)
    try:
        app = create_app({"DATABASE_URL": backend.url, "SECRET_KEY": "bench"})
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context():
            buyer, orders, stores = setup(args.checkouts)

            def place(data):
                with app.test_request_context():
                    return checkout.place(buyer, data)[0]

            samples = {name: place(data) for name, data in orders.items()}
            assert samples["freight"].freight > 0 and samples["plain"].freight == 0
            for _ in range(5):
                for data in orders.values():
                    place(data)
            queries = {}
            for name, data in orders.items():
                with count_queries() as q:
                    place(data)
                queries[name] = q.count
            block = 10
            times = {name: [] for name in orders}
            for _ in range(max(args.checkouts // block, 1)):
                for name, data in orders.items():
                    start = time.perf_counter()
                    for _ in range(block):
                        place(data)
                    times[name].append((time.perf_counter() - start) / block)
        sold, levels, sku_stock = race(app, buyer, stores["warehouses"][0])
        ms = {name: statistics.median(t) * 1000 for name, t in times.items()}
        print(
            f"checkout with the logistics plugins, {args.backend}, {args.checkouts} checkouts "
            "per store, 3 lines each"
        )
        for name in orders:
            extra = f"freight ¥{samples[name].freight / 100:.2f}" if name == "freight" else ""
            print(
                f"  {name:11}: {ms[name]:7.2f} ms/checkout, {queries[name]:3} queries, "
                f"ratio {ms[name] / ms['plain']:5.2f}  {extra}"
            )
        print(
            f"  race: 40 buyers for 25 units over 2 serving warehouses -> {sold} sold, "
            f"warehouse levels {levels}, SKU stock {sku_stock} (must be 25, all >= 0, 0)"
        )
    finally:
        backend.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
