"""Where a checkout's CPU goes: cProfile over the storefront flow (add to cart, then place
from the cart) through the Flask test client, in-process, on SQLite or PostgreSQL.

Prints the CPU per order (client side included: the test client builds the requests) and the
functions with the most CPU time, grouped by package; ``--out FILE.prof`` keeps the raw
profile (``python -m pstats FILE.prof``, or ``snakeviz``/``flameprof`` for a flame graph).
``PROFILE-checkout.md`` holds the output before and after the SQL of the hot path was built
once (the cost found here: peewee building SQL on every statement).

    python bench/profile_checkout.py [--backend sqlite|postgresql] [--lines 1] [--orders 200]
                                     [--wsgi] [--out FILE.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time

from checkout import seed
from common import Backend


def group(filename: str) -> str:
    for name in ("peewee", "marshmallow", "webargs", "flask_smorest", "werkzeug", "flask",
                 "psycopg", "sqlite3", "json", "pluggy", "flask_limiter"):  # fmt: skip
        if f"/{name}/" in filename or f"/{name}.py" in filename:
            return name
    if "/core/" in filename or "/plugins/" in filename:
        return "mallkit"
    if filename == "~":
        return "C builtins"  # the database driver's calls, dict/str methods ...
    return "other Python"


def _environ(path: str, body: dict, headers: dict) -> dict:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=path, method="POST", json=body, headers=headers).get_environ()
    environ["mallkit.bench.body"] = environ["wsgi.input"].read()
    return environ


def _call(app, environ: dict) -> str:
    """One request through the WSGI app; its status line."""
    environ = {**environ, "wsgi.input": io.BytesIO(environ["mallkit.bench.body"])}
    status: list[str] = []
    for _chunk in app(environ, lambda s, h, exc_info=None: status.append(s)):
        pass
    return status[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--lines", type=int, default=1)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--wsgi",
        action="store_true",
        help="call the WSGI app with requests built once (the server's CPU alone, no test client)",
    )
    args = parser.parse_args()

    from mallkit.core import migrate
    from mallkit.core.app import create_app

    backend = Backend(args.backend)
    try:
        app = create_app({"DATABASE_URL": backend.url, "SECRET_KEY": "bench", "DB_POOL_SIZE": 4})
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context():
            _merchant, skus, buyers = seed(app, 1, 10**7)
        client = app.test_client()
        token, address_id = buyers[0]
        headers = {"Authorization": f"Bearer {token}"}

        def order() -> None:
            for sku in skus[: args.lines]:
                r = client.post(
                    "/api/v1/cart/lines", json={"sku_id": sku.id, "quantity": 1}, headers=headers
                )
                assert r.status_code == 200, r.json
            r = client.post(
                "/api/v1/checkout/place", json={"address_id": address_id}, headers=headers
            )
            assert r.status_code == 201, r.json

        if args.wsgi:  # the app alone: requests built once, the WSGI app called directly
            adds = [
                _environ("/api/v1/cart/lines", {"sku_id": sku.id, "quantity": 1}, headers)
                for sku in skus[: args.lines]
            ]
            place = _environ("/api/v1/checkout/place", {"address_id": address_id}, headers)

            def order() -> None:
                for environ in adds:
                    assert _call(app, environ).startswith("200"), "add"
                assert _call(app, place).startswith("201"), "place"

        for _ in range(20):
            order()
        started = time.process_time()
        for _ in range(args.orders):
            order()
        cpu = (time.process_time() - started) / args.orders * 1000
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for _ in range(args.orders):
            order()
        profile.disable()
    finally:
        backend.drop()
    print(
        f"{backend.label}, {args.lines} line(s): {cpu:.2f} ms CPU per order "
        f"(add to cart + place, {'the app alone' if args.wsgi else 'test client included'}, "
        f"without the profiler)"
    )
    stats = pstats.Stats(profile)
    if args.out:
        stats.dump_stats(args.out)
    per_group: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        per_group[group(filename)] = per_group.get(group(filename), 0.0) + tottime
    total = sum(per_group.values())
    print("\nCPU by package (own time, under the profiler):")
    for name, seconds in sorted(per_group.items(), key=lambda kv: -kv[1]):
        print(f"  {name:14} {100 * seconds / total:5.1f} %")
    print("\nTop functions by own time:")
    stats.sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
