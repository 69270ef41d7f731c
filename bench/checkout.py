"""Checkout throughput, a flash sale, and queries per checkout — on SQLite and PostgreSQL.

(a) Orders per second placed through the HTTP API (gunicorn, one worker process per core,
    16 concurrent buyers hammering one hot SKU) against the raw ceiling of the same transaction done
    directly on the database by 16 threads (conditional stock update + order and line
    insert), measured in the same run. Goal: ratio ≥ 0.25.
(b) Flash sale: 500 buyers at once for 100 units → exactly 100 orders, stock 0, never
    negative, ledger balance equal to stock.
(c) SQL statements per checkout for 1, 10 and 50 lines (goal: at most 12, the same for all
    three), and per cart add with 1 and with 30 lines in the cart (goal: the same).
(d) Server CPU per order placed over HTTP the way a storefront does it: one add-to-cart
    request per line, then the place from the cart — the CPU time of the gunicorn processes
    (user + system, from /proc) divided by the orders placed, for 1 and 10 lines (goal: at most
    5 ms and 18 ms). On SQLite the database engine runs inside those processes and is counted;
    PostgreSQL's own processes are not.

    python bench/checkout.py [--backend sqlite|postgresql|both] [--seconds 5]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid

from common import PG_BASE, Backend, pg_reachable

BUYERS = 16
WORKERS = os.cpu_count() or 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(app, n_buyers: int, stock: int, skus: int = 50):
    """A merchant with manual payment on, a product with ``skus`` SKUs, and buyers with
    tokens and an address (inserted directly: hashing 500 passwords is not the point)."""
    from mallkit.core import plugin_settings
    from mallkit.core.accounts import auth
    from mallkit.core.accounts.merchants.service import create_merchant
    from mallkit.core.accounts.models import Address, User
    from mallkit.core.catalog.service import create_product

    merchant = create_merchant({"name": "Bench store"})
    plugin_settings.enable(merchant, "payment_manual", None)
    product = create_product(
        merchant.id,
        {
            "name": "Hot item",
            "specs": [{"name": "款", "values": [f"v{i}" for i in range(skus)]}],
            "skus": [
                {"specs": {"款": f"v{i}"}, "price": 1000 + i, "stock": stock} for i in range(skus)
            ],
        },
    )
    buyers = []
    for i in range(n_buyers):
        user = User.create(email=f"b{i}-{uuid.uuid4().hex[:6]}@bench.io", password_hash="x")
        token, _ = auth.issue_token(user)
        address = Address.create(
            user=user,
            recipient="李四",
            phone="13900000000",
            province="浙江省",
            city="杭州市",
            detail="文一路 1 号",
        )
        buyers.append((token, address.id))
    from mallkit.core.catalog.models import Sku

    skus_ = list(Sku.select().where(Sku.product == product.id).order_by(Sku.id))
    return merchant, skus_, buyers


def start_server(url: str, port: int) -> subprocess.Popen:
    """The production setup of docs/deployment.md: gunicorn, one worker per core, threads."""
    env = {
        **os.environ,
        "MALLKIT_DATABASE_URL": url,
        "MALLKIT_SECRET_KEY": "bench",
        "MALLKIT_DB_POOL_SIZE": "20",
    }
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    proc = subprocess.Popen(
        [
            gunicorn,
            "-w",
            str(WORKERS),
            "-k",
            "gthread",
            "--threads",
            "8",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "mallkit.core.app:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def place(
    conn: http.client.HTTPConnection, token: str, address_id: int, sku_id: int, quantity: int = 1
) -> int:
    body = json.dumps(
        {"items": [{"sku_id": sku_id, "quantity": quantity}], "address_id": address_id}
    )
    conn.request(
        "POST",
        "/api/v1/checkout/place",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    resp = conn.getresponse()
    resp.read()
    return resp.status


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the gunicorn master ``pid`` and its workers."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # after the command: state, ppid, ... utime is field 14 of the whole line, stime 15
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def request(conn, method: str, path: str, token: str, body=None) -> tuple[int, bytes]:
    conn.request(
        method,
        path,
        body=json.dumps(body) if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    resp = conn.getresponse()
    return resp.status, resp.read()


def cart_orders_cpu(
    port: int, pid: int, buyers, skus, lines: int, orders: int
) -> tuple[float, int, float]:
    """Orders placed through the cart by 4 buyers at once (``lines`` adds, then a place);
    returns (server CPU ms per order, orders placed, wall seconds)."""
    per_buyer = max(1, orders // 4)
    placed = [0] * 4

    def run(n, token, address_id):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(per_buyer):
            for k in range(lines):
                sku = skus[(n * 7 + i + k) % len(skus)]
                status, body = request(
                    conn, "POST", "/api/v1/cart/lines", token, {"sku_id": sku.id, "quantity": 1}
                )
                assert status == 200, body
            status, body = request(
                conn, "POST", "/api/v1/checkout/place", token, {"address_id": address_id}
            )
            assert status == 201, body
            placed[n] += 1

    before, started = server_cpu_seconds(pid), time.time()
    threads = [threading.Thread(target=run, args=(n, *buyers[n])) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - started
    cpu = server_cpu_seconds(pid) - before
    return 1000 * cpu / max(sum(placed), 1), sum(placed), wall


def cart_add_statements(app, buyers, skus) -> tuple[int, int]:
    """Statements of one add-to-cart request (the answer is the cart re-priced) with 1 line in
    the cart and with 30."""
    from mallkit.core.testing import count_queries

    client = app.test_client()
    token = buyers[-1][0]
    headers = {"Authorization": f"Bearer {token}"}
    counts = {}
    for n, sku in enumerate(skus[:31]):
        with count_queries() as q:
            r = client.post(
                "/api/v1/cart/lines", json={"sku_id": sku.id, "quantity": 1}, headers=headers
            )
        assert r.status_code == 200, r.json
        counts[n] = q.count
    client.delete("/api/v1/cart", headers=headers)
    return counts[1], counts[30]


def http_throughput(port: int, buyers, sku_id: int, seconds: float) -> tuple[int, float, dict]:
    stop = time.time() + seconds
    counts: dict[int, int] = {}
    lock = threading.Lock()

    def run(token, address_id):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: dict[int, int] = {}
        while time.time() < stop:
            status = place(conn, token, address_id, sku_id)
            mine[status] = mine.get(status, 0) + 1
        with lock:
            for k, v in mine.items():
                counts[k] = counts.get(k, 0) + v

    start = time.time()
    threads = [threading.Thread(target=run, args=b) for b in buyers[:BUYERS]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - start
    return counts.get(201, 0), elapsed, counts


def raw_ceiling(app, merchant, buyers, sku, seconds: float) -> tuple[int, float]:
    """The same transaction by hand: conditional decrement, order row, line row."""
    from mallkit.core import db
    from mallkit.core.catalog.models import Sku
    from mallkit.core.orders.models import Order, OrderLine
    from mallkit.core.orders.service import new_number

    user_ids = [u for u in range(1, BUYERS + 1)]
    stop = time.time() + seconds
    done = [0] * BUYERS

    def run(i):
        with app.app_context():
            db.database.connect(reuse_if_open=True)
            try:
                while time.time() < stop:
                    with db.transaction():
                        won = (
                            Sku.update(stock=Sku.stock - 1)
                            .where((Sku.id == sku.id) & (Sku.stock >= 1))
                            .execute()
                        )
                        if not won:
                            continue
                        order = Order.create(
                            number=new_number(),
                            merchant=merchant.id,
                            buyer=user_ids[i % len(user_ids)],
                            currency="CNY",
                            subtotal=sku.price,
                            total=sku.price,
                        )
                        OrderLine.create(
                            order=order.id,
                            sku_id=sku.id,
                            product_id=sku.product_id,
                            product_name="Hot item",
                            unit_price=sku.price,
                            sale_unit_price=sku.price,
                            quantity=1,
                            amount=sku.price,
                            pay_amount=sku.price,
                        )
                    done[i] += 1
            finally:
                db.database.close()

    start = time.time()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(BUYERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), time.time() - start


def flash_sale(port: int, buyers, sku_id: int) -> dict[int, int]:
    counts: dict[int, int] = {}
    lock = threading.Lock()

    def one(buyer):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        status = place(conn, buyer[0], buyer[1], sku_id)
        with lock:
            counts[status] = counts.get(status, 0) + 1

    with cf.ThreadPoolExecutor(max_workers=100) as pool:
        list(pool.map(one, buyers))
    return counts


def queries_per_checkout(app, buyers, skus) -> dict[int, int]:
    from mallkit.core.accounts.models import Address
    from mallkit.core.checkout import service as checkout
    from mallkit.core.testing import count_queries

    address_id = buyers[0][1]
    user = Address.get_by_id(address_id).user
    out = {}
    with app.test_request_context():
        checkout.place(
            user, {"items": [{"sku_id": skus[0].id, "quantity": 1}], "address_id": address_id}
        )
        for n in (1, 10, 50):
            with count_queries() as q:
                checkout.place(
                    user,
                    {
                        "items": [{"sku_id": s.id, "quantity": 1} for s in skus[:n]],
                        "address_id": address_id,
                    },
                )
            out[n] = q.count
    return out


def run_backend(kind: str, seconds: float) -> None:
    from mallkit.core import migrate
    from mallkit.core.app import create_app
    from mallkit.core.catalog.models import Sku, StockMovement

    backend = Backend(kind)
    try:
        app = create_app({"DATABASE_URL": backend.url, "SECRET_KEY": "bench", "DB_POOL_SIZE": 40})
        migrate.upgrade(app.extensions["mallkit"].plugins)
        with app.app_context():
            merchant, skus, buyers = seed(app, 500, 10**7)
            qc = queries_per_checkout(app, buyers, skus)
            adds = cart_add_statements(app, buyers, skus[10:])
            raw_n, raw_t = raw_ceiling(app, merchant, buyers, skus[1], seconds)
        port = free_port()
        server = start_server(backend.url, port)
        try:
            api_n, api_t, statuses = http_throughput(port, buyers, skus[2].id, seconds)
            cpu = {
                n: cart_orders_cpu(port, server.pid, buyers[100:], skus[10:], n, count)
                for n, count in ((1, 200), (10, 40))
            }
            with app.app_context():
                flash_sku = skus[3]
                Sku.update(stock=100).where(Sku.id == flash_sku.id).execute()
                StockMovement.create(
                    merchant=merchant.id,
                    sku=flash_sku.id,
                    product=flash_sku.product_id,
                    quantity=100 - 10**7,
                    balance_after=100,
                    reason="adjustment",
                    note="bench",
                )
            from mallkit.core.orders.models import OrderLine

            with app.app_context():
                lines_before = OrderLine.select().where(OrderLine.sku_id == flash_sku.id).count()
            flash = flash_sale(port, buyers[:500], flash_sku.id)
        finally:
            server.terminate()
            server.wait(10)
        with app.app_context():
            from mallkit.core.orders.models import OrderLine

            final = Sku.get_by_id(flash_sku.id).stock
            orders = (
                OrderLine.select().where(OrderLine.sku_id == flash_sku.id).count() - lines_before
            )
            last = (
                StockMovement.select()
                .where(StockMovement.sku == flash_sku.id)
                .order_by(StockMovement.id.desc())
                .first()
            )
            negative = Sku.select().where(Sku.stock < 0).count()
        raw_rate, api_rate = raw_n / raw_t, api_n / api_t
        print(f"\n== {kind}")
        print(
            f"(a) raw ceiling ({BUYERS} threads, direct DB): {raw_n} orders in {raw_t:.1f}s "
            f"= {raw_rate:.0f} orders/s"
        )
        print(
            f"    HTTP API ({BUYERS} buyers, one hot SKU): {api_n} orders in {api_t:.1f}s "
            f"= {api_rate:.0f} orders/s  (statuses {statuses})"
        )
        print(
            f"    ratio API / ceiling: {api_rate / raw_rate:.2f}  "
            f"(goal >= {0.4 if kind == 'postgresql' else 0.2})"
        )
        print(
            f"(b) flash sale, 500 buyers for 100 units: statuses {flash}; orders {orders}; "
            f"stock {final}; ledger balance {last.balance_after}; SKUs below zero {negative}"
        )
        print(
            f"(c) SQL statements per checkout: 1 line {qc[1]}, 10 lines {qc[10]}, "
            f"50 lines {qc[50]} (goal <= 12); per cart add with 1 line in the cart {adds[0]}, "
            f"with 30 {adds[1]}"
        )
        for n, (ms, placed, wall) in cpu.items():
            goal = 5 if n == 1 else 18
            print(
                f"(d) server CPU per order over HTTP, {n} line{'s' if n > 1 else ''} "
                f"({n} add{'s' if n > 1 else ''} + place, {placed} orders, 4 buyers, "
                f"{wall:.1f}s): {ms:.1f} ms  (goal <= {goal} ms)"
            )
    finally:
        backend.drop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in kinds and not pg_reachable():
        print(f"PostgreSQL at {PG_BASE} is unreachable: skipping it")
        kinds.remove("postgresql")
    print(f"mallkit checkout benchmark — {os.cpu_count()} cores, {args.seconds:.0f}s per run")
    for kind in kinds:
        run_backend(kind, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
