"""Checkout cost with the coupons and promotions plugins on, against the same checkout without.

Two stores with the same product (three SKUs, ample stock) and the same buyer. One store has
no marketing plugins; the other has ``coupons`` and ``promotions`` enabled, 20 running
promotions (限时折扣, 满减, 满折, 买N送M, bundles — several of them applying to the order) and a
pile of coupons the buyer holds (the best is chosen and consumed by every order). Each
checkout is ``mallkit.core.checkout.service.place`` in-process (a request context, as the API runs
it), three lines. Blocks of checkouts alternate between the stores so both share the
machine's noise; the times are the medians of the blocks, and the ratio is the median of each
round's pair (its promo block over its plain block: a machine whose speed drifts — a shared
VM — moves both blocks of a pair alike), printed with the quartiles of the pairs. Goal:
ratio ≤ 1.3.

    python bench/promotions.py [--backend sqlite|postgresql] [--checkouts 600]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time

from common import Backend

ADDRESS = {
    "recipient": "张三",
    "phone": "13800000000",
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "世纪大道 100 号",
}


def make_skus(merchant, name, prices, stocks):
    """A product with one SKU per price; its SKUs in order."""
    from mallkit.core.catalog.models import Sku
    from mallkit.core.catalog.service import create_product

    values = [f"v{n}" for n in range(len(prices))]
    product = create_product(
        merchant.id,
        {
            "name": name,
            "specs": [{"name": "款式", "values": values}],
            "skus": [
                {"specs": {"款式": v}, "price": p, "stock": s}
                for v, p, s in zip(values, prices, stocks, strict=True)
            ],
        },
    )
    return list(Sku.select().where(Sku.product == product.id).order_by(Sku.id))


def setup(checkouts: int):
    from mallkit.core import plugin_settings
    from mallkit.core.accounts.service import save_address
    from mallkit.core.db import utcnow
    from mallkit.core.testing import make_account, make_merchant
    from mallkit.plugins.coupons import service as coupons
    from mallkit.plugins.promotions import service as promotions

    buyer = make_account(email="bench-buyer@example.com").user
    address = save_address(buyer, ADDRESS)
    plain = make_merchant("Plain store")
    promo = make_merchant("Promo store")
    stock = (10 * checkouts + 100,) * 3
    plain_skus = make_skus(plain, "T恤", (6000, 4500, 3333), stock)
    promo_skus = make_skus(promo, "T恤", (6000, 4500, 3333), stock)
    others = make_skus(promo, "杯子", (1000, 2000), (10, 10))
    plugin_settings.enable(promo, "coupons", {})
    plugin_settings.enable(promo, "promotions", {})
    now = utcnow()
    window = {"starts_at": now - dt.timedelta(days=1), "ends_at": now + dt.timedelta(days=30)}
    product_id = promo_skus[0].product_id
    specs = (
        [
            ("discount", {"rate": 90 - i}, {"scope": "skus", "scope_ids": [promo_skus[0].id]})
            for i in range(3)
        ]
        + [
            ("discount", {"price": 500}, {"scope": "skus", "scope_ids": [others[0].id]})
            for _ in range(2)
        ]
        + [
            (
                "full_reduction",
                {
                    "tiers": [
                        {"threshold": 10000 + 1000 * i, "amount": 500 + i},
                        {"threshold": 50000, "amount": 5000},
                    ]
                },
                {},
            )
            for i in range(5)
        ]
        + [
            (
                "full_discount",
                {"tiers": [{"threshold": 20000 + 1000 * i, "rate": 95}]},
                {"scope": "products", "scope_ids": [product_id]},
            )
            for i in range(4)
        ]
        + [
            ("buy_n_get_m", {"buy": 2, "free": 1}, {"scope": "skus", "scope_ids": [s.id]})
            for s in (promo_skus[2], others[0], others[1])
        ]
        + [
            ("bundle", {"sku_ids": [promo_skus[1].id, promo_skus[2].id], "price": 7000}, {}),
            ("bundle", {"sku_ids": [others[0].id, others[1].id], "price": 2500}, {}),
            ("bundle", {"sku_ids": [promo_skus[0].id, others[1].id], "price": 7500}, {}),
        ]
    )
    assert len(specs) == 20
    for n, (kind, rules, extra) in enumerate(specs):
        promotions.create(
            promo.id, {"name": f"{kind}-{n}", "type": kind, "rules": rules, **window, **extra}
        )
    template = coupons.create_template(
        promo.id,
        {
            "name": "满100减10",
            "type": "full_reduction",
            "threshold": 10000,
            "amount": 1000,
            "total": 10 * checkouts,
            "per_user": 0,
            **window,
        },
    )
    for _ in range(checkouts + 20):
        coupons.issue(promo.id, template.id, [buyer.id])

    def order(skus):
        return {
            "items": [
                {"sku_id": s.id, "quantity": q} for s, q in zip(skus, (2, 1, 3), strict=True)
            ],
            "address_id": address.id,
        }

    return buyer, order(plain_skus), order(promo_skus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--checkouts", type=int, default=600)
    args = parser.parse_args()

    from mallkit.core import migrate
    from mallkit.core.app import create_app
    from mallkit.core.checkout import service as checkout
    from mallkit.core.testing import count_queries

    backend = Backend(args.backend)
    try:
        app = create_app({"DATABASE_URL": backend.url, "SECRET_KEY": "bench"})
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context():
            buyer, plain, promo = setup(args.checkouts)

            def place(data):
                with app.test_request_context():
                    return checkout.place(buyer, data)[0]

            sample = place(promo)
            assert sample.discount_total > 0, "the promotions must apply"
            assert {a["source"] for a in sample.pricing["applied"]} == {"promotions", "coupons"}
            for _ in range(10):  # warm both paths
                place(plain)
                place(promo)
            with count_queries() as q_plain:
                place(plain)
            with count_queries() as q_promo:
                place(promo)
            block = 10
            times = {"plain": [], "promo": []}
            for _ in range(max(args.checkouts // block, 1)):
                for name, data in (("plain", plain), ("promo", promo)):
                    start = time.perf_counter()
                    for _ in range(block):
                        place(data)
                    times[name].append((time.perf_counter() - start) / block)
        plain_ms = statistics.median(times["plain"]) * 1000
        promo_ms = statistics.median(times["promo"]) * 1000
        print(
            f"checkout with coupons + promotions (20 running), {args.backend}, "
            f"{args.checkouts} checkouts per side, 3 lines each"
        )
        print(f"  without plugins : {plain_ms:7.2f} ms/checkout, {q_plain.count} queries")
        print(
            f"  with both       : {promo_ms:7.2f} ms/checkout, {q_promo.count} queries "
            f"(discount {sample.discount_total} of {sample.subtotal})"
        )
        pairs = sorted(q / p for p, q in zip(times["plain"], times["promo"], strict=True))
        low, mid, high = statistics.quantiles(pairs, n=4)
        print(f"  ratio of medians: {promo_ms / plain_ms:7.2f}")
        print(f"  ratio           : {mid:7.2f}  (goal <= 1.30; quartiles {low:.2f}-{high:.2f})")
    finally:
        backend.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
