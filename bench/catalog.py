"""Catalog benchmark: seed a big catalog into a throwaway database, then time buyer requests.

    .venv/bin/python bench/catalog.py                      # SQLite temp file
    .venv/bin/python bench/catalog.py --database-url postgresql://postgres@127.0.0.1:5432/test

Runs at 1,000 products first (``--baseline``), then at 100,000 (``--products``), and prints
each request's p50 and p95 at the big size as a ratio to the small one (goal: p50 <= 2).

Seeds 100,000 products with 300,000 SKUs (bulk inserts; the search tokens are computed as the
catalog service computes them) across 20 stores, then sends list, filter, search and detail
requests through the Flask test client and prints p50/p95 latencies, plus the number of SQL
statements per request for a page of 20 and a page of 100 (counted by wrapping the database's
``execute_sql``): a constant count means no N+1. On PostgreSQL the data lives in a fresh schema
that is dropped at the end; the SQLite file is deleted.

Figures, not assertions: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from common import Backend

from mallkit.core import db as dbm
from mallkit.core import migrate
from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.app import create_app
from mallkit.core.catalog import search
from mallkit.core.catalog.models import Brand, Category, Product, ProductTag, Sku, Tag
from mallkit.core.db import utcnow

ADJECTIVES = ["轻薄", "经典", "新款", "加厚", "纯棉", "智能", "便携", "防水", "复古", "简约",
              "高端", "儿童"]  # fmt: skip
NOUNS = ["运动鞋", "T恤", "手机", "耳机", "保温杯", "背包", "连衣裙", "绿茶", "沙发", "台灯",
         "键盘", "外套", "手表", "毛衣", "跑步机"]  # fmt: skip
LATIN = ["Pro", "Max", "Air", "Lite", "Plus", "Mini", "Ultra", "Neo", "Zoom", "Flex"]
BRANDS = ["耐克", "李宁", "华为", "小米", "优衣库", "安踏", "格力", "美的", "Apple", "Sony"]
TAGS = ["热门", "新品", "推荐", "包邮", "限时"]
SEARCHES = ["运动鞋", "手机", "纯棉T恤", "保温", "air", "pro max", "华为 手机", "绿茶",
            "智能手表", "sony", "儿童 背包", "跑步"]  # fmt: skip

MERCHANTS = 20
CHUNK = 1000


class QueryCounter:
    """Counts SQL statements by wrapping ``execute_sql`` of the bound database."""

    def __init__(self) -> None:
        self.count = 0
        database = dbm.database.obj
        original = database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return original(sql, params, *args, **kwargs)

        database.execute_sql = counting


def seed(products: int, skus_per_product: int, rng: random.Random) -> dict:
    """Bulk-insert the catalog; return ids the requests use."""
    now = utcnow()
    with dbm.transaction():
        merchant_ids = [Merchant.create(name=f"商店 {i}").id for i in range(MERCHANTS)]
        brands: dict[int, list[tuple[int, str]]] = {}
        tags: dict[int, list[tuple[int, str]]] = {}
        roots: dict[int, list[Category]] = {}
        leaves: dict[int, list[int]] = {}
        for m in merchant_ids:
            brands[m] = [(Brand.create(merchant=m, name=b).id, b) for b in BRANDS]
            tags[m] = [(Tag.create(merchant=m, name=t).id, t) for t in TAGS]
            roots[m], leaves[m] = [], []
            for r in range(5):
                root = Category.create(merchant=m, name=f"类目{r}", position=r)
                root.path = f"/{root.id}/"
                root.save()
                roots[m].append(root)
                for c in range(4):
                    leaf = Category.create(
                        merchant=m, parent=root, name=f"子类{r}-{c}", position=c, depth=1
                    )
                    leaf.path = f"/{root.id}/{leaf.id}/"
                    leaf.save()
                    leaves[m].append(leaf.id)
    sku_id = 0
    started = time.perf_counter()
    for start in range(0, products, CHUNK):
        product_rows, sku_rows, tag_rows = [], [], []
        for pid in range(start + 1, min(start + CHUNK, products) + 1):
            m = merchant_ids[pid % MERCHANTS]
            brand_id, brand = rng.choice(brands[m])
            tag_id, tag = rng.choice(tags[m])
            name = (
                f"{rng.choice(ADJECTIVES)}{rng.choice(NOUNS)} {rng.choice(LATIN)} "
                f"{rng.randint(1, 99)}"
            )
            subtitle = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            prices = sorted(rng.randint(990, 999_900) for _ in range(skus_per_product))
            product_rows.append({
                "id": pid, "merchant": m, "category": rng.choice(leaves[m]), "brand": brand_id,
                "name": name, "subtitle": subtitle, "images": [f"https://img.example.com/{pid}.jpg"],
                "specs": [{"name": "规格", "values": [f"款{i}" for i in range(skus_per_product)]}],
                "is_on_shelf": rng.random() > 0.05, "price_min": prices[0],
                "price_max": prices[-1], "sales_count": rng.randint(0, 5000),
                "created_at": now, "updated_at": now,
                **search.product_document(name, subtitle, brand, [tag]),
            })  # fmt: skip
            tag_rows.append({"product": pid, "tag": tag_id})
            for i, price in enumerate(prices):
                sku_id += 1
                sku_rows.append({
                    "id": sku_id, "product": pid, "merchant": m, "code": f"S{sku_id}",
                    "specs": {"规格": f"款{i}"}, "spec_key": f"规格:款{i}", "price": price,
                    "stock": rng.choice([0, 5, 50, 500]), "position": i,
                    "created_at": now, "updated_at": now,
                })  # fmt: skip
        with dbm.transaction():
            Product.insert_many(product_rows).execute()
            Sku.insert_many(sku_rows).execute()
            ProductTag.insert_many(tag_rows).execute()
    if dbm.is_postgres():
        for table in ("product", "sku", "product_tag"):
            dbm.database.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT MAX(id) FROM {table}))"
            )
        dbm.database.execute_sql("ANALYZE")
    else:
        dbm.database.execute_sql("ANALYZE")
    seconds = time.perf_counter() - started
    return {
        "merchants": merchant_ids,
        "roots": roots,
        "brands": brands,
        "seconds": seconds,
        "skus": sku_id,
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=None, help="postgresql://... (default: a temporary SQLite file)"
    )
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument(
        "--baseline",
        type=int,
        default=1000,
        help="also run with this many products first and print each p50 as a ratio to it "
        "(0: no baseline)",
    )
    parser.add_argument("--skus-per-product", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100, help="per kind of request")
    args = parser.parse_args(argv)
    sizes = ([args.baseline] if args.baseline else []) + [args.products]
    results = {size: one_size(args, size) for size in sizes}
    if args.baseline:
        base, big = results[args.baseline], results[args.products]
        print(f"\n## p50 at {args.products:,} products / p50 at {args.baseline:,} (goal <= 2)\n")
        print("| request | ratio p50 | ratio p95 |")
        print("|---|---:|---:|")
        for kind in big:
            print(
                f"| {kind} | {big[kind][0] / base[kind][0]:.2f} "
                f"| {big[kind][1] / base[kind][1]:.2f} |"
            )
    return 0


def one_size(args, products: int) -> dict:
    rng = random.Random(7)
    backend = (
        Backend("postgresql", base=args.database_url) if args.database_url else Backend("sqlite")
    )
    url, label = backend.url, backend.label
    try:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"})
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context(), dbm.database.connection_context():
            data = seed(products, args.skus_per_product, rng)
        print(f"\n# mallkit catalog benchmark — {label}, {products:,} products")
        print(
            f"seeded {products:,} products / {data['skus']:,} SKUs in "
            f"{data['seconds']:.1f} s (bulk insert, search tokens and FTS index included)"
        )
        print(f"python {sys.version.split()[0]}, {args.requests} requests per kind\n")
        return run(app, data, args.requests, rng)
    finally:
        backend.drop()


def run(app, data: dict, n: int, rng: random.Random) -> dict:
    client = app.test_client()
    counter = QueryCounter()
    merchants, roots, brands = data["merchants"], data["roots"], data["brands"]

    def list_url():
        return f"/api/v1/products?page={rng.randint(1, 50)}&page_size=20"

    def filter_url():
        m = rng.choice(merchants)
        root = rng.choice(roots[m])
        brand_id = rng.choice(brands[m])[0]
        low = rng.randint(0, 500_000)
        return rng.choice([
            f"/api/v1/products?category_id={root.id}&in_stock=true&sort=price_asc",
            f"/api/v1/products?brand_id={brand_id}&sort=sales",
            f"/api/v1/products?tag=热门&price_min={low}&price_max={low + 100_000}",
            f"/api/v1/stores/{m}/products?category_id={root.id}&sort=newest",
        ])  # fmt: skip

    def search_url():
        return f"/api/v1/products?q={rng.choice(SEARCHES)}"

    with app.app_context():
        visible = [
            p.id
            for p in Product.select(Product.id)
            .where(Product.is_on_shelf == True)  # noqa: E712
            .order_by(Product.id)
            .limit(5000)
        ]

    def detail_url():
        return f"/api/v1/products/{rng.choice(visible)}"

    kinds = {"list": list_url, "filter": filter_url, "search": search_url, "detail": detail_url}
    results: dict[str, tuple[float, float]] = {}
    print("| request | p50 ms | p95 ms | queries (page 20) | queries (page 100) |")
    print("|---|---:|---:|---:|---:|")
    for kind, make in kinds.items():
        for _ in range(5):  # warm caches
            client.get(make())
        timings = []
        for _ in range(n):
            url = make()
            started = time.perf_counter()
            r = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200, (url, r.status_code, r.get_json())
        counts = []
        url = (make() if kind != "search" else "/api/v1/products?q=运动鞋").replace(
            "&page_size=20", ""
        )
        for size in (20, 100):  # the same request, two page sizes
            counter.count = 0
            r = client.get(url if kind == "detail" else f"{url}&page_size={size}")
            counts.append(f"{counter.count} ({len(r.get_json()) if kind != 'detail' else 1} rows)")
        p50, p95 = statistics.median(timings), percentile(timings, 95)
        results[kind] = (p50, p95)
        print(
            f"| {kind} | {p50:.1f} | {p95:.1f} "
            f"| {counts[0]} | {counts[1] if kind != 'detail' else '-'} |"
        )
    return results


if __name__ == "__main__":
    sys.exit(main())
