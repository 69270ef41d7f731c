"""Checkout cost with membership on (member price + points redemption), against the same
checkout without.

Two stores with the same product (three SKUs, ample stock) and the same buyer. One store has
no marketing plugins; the other has ``membership`` enabled, the buyer is a 金卡 member there
(5 % member price on every line) holding points in 50 lots, and every checkout redeems 300
points (¥3) — taken oldest lot first inside the checkout transaction. Each checkout is
``mallkit.core.checkout.service.place`` in-process (a request context, as the API runs it),
three lines. Blocks of checkouts alternate between the stores so both share the machine's
noise; the figures are the medians of the blocks. Goal: ratio ≤ 1.15.

    python bench/membership.py [--backend sqlite|postgresql] [--checkouts 300]
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
    "province": "上海市",
    "city": "上海市",
    "district": "浦东新区",
    "detail": "世纪大道 100 号",
}
REDEEM = 300


def make_skus(merchant, name, prices, stocks):
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
    from mallkit.core.testing import make_account, make_merchant
    from mallkit.plugins.membership import members, points

    buyer = make_account(email="bench-buyer@example.com").user
    address = save_address(buyer, ADDRESS)
    plain = make_merchant("Plain store")
    member = make_merchant("Member store")
    stock = (10 * checkouts + 100,) * 3
    plain_skus = make_skus(plain, "T恤", (6000, 4500, 3333), stock)
    member_skus = make_skus(member, "T恤", (6000, 4500, 3333), stock)
    plugin_settings.enable(member, "membership", {})
    members.change_growth(member.id, buyer.id, 5000, "adjust", reason="bench")  # 金卡
    per_lot = (checkouts + 50) * REDEEM // 50 + 1
    for _ in range(50):
        points.add(member.id, buyer.id, per_lot, "adjust", reason="bench")

    def order(skus, options=None):
        return {
            "items": [
                {"sku_id": s.id, "quantity": q} for s, q in zip(skus, (2, 1, 3), strict=True)
            ],
            "address_id": address.id,
            "merchants": [{"merchant_id": skus[0].merchant_id, **(options or {})}],
        }

    return buyer, order(plain_skus), order(member_skus, {"points": REDEEM})


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
            buyer, plain, member = setup(args.checkouts)

            def place(data):
                with app.test_request_context():
                    return checkout.place(buyer, data)[0]

            sample = place(member)
            kinds = {a["kind"] for a in sample.pricing["applied"]}
            assert kinds == {"points"} and sample.discount_total == REDEEM, sample.pricing
            for _ in range(10):  # warm both paths
                place(plain)
                place(member)
            with count_queries() as q_plain:
                place(plain)
            with count_queries() as q_member:
                place(member)
            block = 10
            times = {"plain": [], "member": []}
            for _ in range(max(args.checkouts // block, 1)):
                for name, data in (("plain", plain), ("member", member)):
                    start = time.perf_counter()
                    for _ in range(block):
                        place(data)
                    times[name].append((time.perf_counter() - start) / block)
        plain_ms = statistics.median(times["plain"]) * 1000
        member_ms = statistics.median(times["member"]) * 1000
        print(
            f"checkout with membership (金卡 member price + {REDEEM} points), {args.backend}, "
            f"{args.checkouts} checkouts per side, 3 lines each"
        )
        print(f"  without membership : {plain_ms:7.2f} ms/checkout, {q_plain.count} queries")
        print(
            f"  with membership    : {member_ms:7.2f} ms/checkout, {q_member.count} queries "
            f"(total {sample.total} of subtotal {sample.subtotal})"
        )
        print(f"  ratio              : {member_ms / plain_ms:7.2f}  (goal <= 1.15)")
    finally:
        backend.drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
