"""The console's orders page with 1,000 orders: first meaningful paint in a real browser.

    .venv/bin/python bench/console.py [--orders 1000] [--runs 10]

Seeds the demo store (``mallkit demo --no-serve``) on a throwaway SQLite file, places
``--orders`` orders in it (a third paid), serves it with ``mallkit demo`` and opens
``/console/m/1/orders`` in Debian's chromium (Playwright), signed in as the demo owner, with
a cold browser cache each run. Printed per run and as p50/p95:

- **meaningful paint**: navigation start → the first page of orders (20 rows) is in the
  table (a MutationObserver in the page records ``performance.now()``; goal < 1,000 ms);
- **first contentful paint** (the browser's own ``paint`` entry);
- the **baseline** measured in the same run: the orders API call alone (the same
  ``GET /api/v1/merchants/1/orders?page=1&page_size=20`` from Python), and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import Backend

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-console-secret-key-0123456789"
OWNER = ("owner@demo.mallkit.dev", "demo-owner-1")
WATCH = """
window.__paint = null;
new MutationObserver((_, observer) => {
  if (document.querySelectorAll("table tbody tr").length >= 20) {
    window.__paint = performance.now();
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


def seed_orders(url: str, count: int) -> None:
    os.environ["MALLKIT_SECRET_KEY"] = SECRET
    from mallkit.core.accounts.models import User
    from mallkit.core.app import create_app
    from mallkit.core.catalog.models import Sku
    from mallkit.core.testing import pay_order, place_order

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "REQUIRE_ADMIN_2FA": False})
    with app.app_context():
        buyer = User.get(User.email == "buyer@demo.mallkit.dev")
        skus = list(Sku.select().where(Sku.merchant == 1, Sku.deleted_at.is_null()))
        Sku.update(stock=10**6).where(Sku.merchant == 1).execute()
        started = time.perf_counter()
        for i in range(count):
            order = place_order(buyer, [(skus[i % len(skus)], 1 + i % 3)])
            if i % 3 == 0:
                pay_order(order, reference=f"bench-{i}")
        print(f"placed {count} orders in {time.perf_counter() - started:.1f} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo(args: list[str], folder: str, **kwargs):
    env = {
        **os.environ,
        "MALLKIT_SECRET_KEY": SECRET,
        "MALLKIT_LOGIN_RATE_LIMIT": "1000 per minute",
        "MALLKIT_LOGIN_PAIR_RATE_LIMIT": "1000 per minute",
        "MALLKIT_LOGIN_ADDRESS_RATE_LIMIT": "1000 per minute",
    }
    command = [sys.executable, "-c", "from mallkit.core.cli import main; main()", "demo", *args]
    return subprocess.Popen(command, cwd=folder, env=env, **kwargs)


def call(base: str, path: str, body=None, token: str | None = None):
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()

    backend = Backend("sqlite")
    server = None
    try:
        folder = backend.folder
        seeded = demo(["--no-serve", "--database", backend.url], folder, stdout=subprocess.DEVNULL)
        if seeded.wait() != 0:
            raise SystemExit("mallkit demo --no-serve failed")
        seed_orders(backend.url, options.orders)
        port = free_port()
        log = open(Path(folder) / "server.log", "w")  # noqa: SIM115 - closed by the process end
        server = demo(
            ["--port", str(port), "--database", backend.url],
            folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        token = call(base, "/api/v1/auth/login", {"login": OWNER[0], "password": OWNER[1]})["token"]
        listing = "/api/v1/merchants/1/orders?page=1&page_size=20"
        request = urllib.request.Request(base + listing)
        request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request) as answer:
            total = json.loads(answer.headers["X-Pagination"])["total"]

        from playwright.sync_api import sync_playwright

        paints, contentful, api_times = [], [], []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
            for run in range(options.runs):
                started = time.perf_counter()
                call(base, listing, token=token)
                api_times.append((time.perf_counter() - started) * 1000)

                context = browser.new_context(
                    viewport={"width": 1280, "height": 800}, locale="zh-CN"
                )
                context.add_init_script(
                    f"localStorage.setItem('mallkit.console.token', {json.dumps(token)});"
                )
                context.add_init_script(WATCH)
                page = context.new_page()
                page.goto(base + "/console/m/1/orders")
                page.wait_for_selector("table tbody tr:nth-child(20)", timeout=30000)
                paints.append(page.evaluate("window.__paint"))
                fcp = page.evaluate(
                    "(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
                )
                contentful.append(fcp or 0.0)
                context.close()
                print(
                    f"run {run + 1}: meaningful paint {paints[-1]:.0f} ms, "
                    f"first contentful paint {contentful[-1]:.0f} ms, "
                    f"API alone {api_times[-1]:.0f} ms"
                )
            browser.close()

        print(
            f"\n# console orders page — SQLite, {total} orders in the store, "
            f"{options.runs} cold loads\n"
        )
        print("| measure | p50 ms | p95 ms |")
        print("|---|---:|---:|")
        for label, values in (
            ("meaningful paint (20 orders in the table)", paints),
            ("first contentful paint", contentful),
            ("baseline: the orders API call alone", api_times),
        ):
            print(f"| {label} | {statistics.median(values):.0f} | {pct(values, 0.95):.0f} |")
        ratio = statistics.median(paints) / statistics.median(api_times)
        print(
            f"\nratio meaningful paint / API call (p50): {ratio:.1f}; "
            f"goal: meaningful paint < 1000 ms — "
            f"{'met' if pct(paints, 0.95) < 1000 else 'NOT met'} at p95"
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        backend.drop()


if __name__ == "__main__":
    main()
