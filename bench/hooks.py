"""Cost of a merchant-scoped hook call, against a bare pluggy call measured in the same run.

For 0, 10 and 50 extra installed plugins (each implementing the hook) with 5 enabled for the
merchant, it prints the time per call through ``merchant_plugins(id).hook`` and the ratio to a
bare ``PluginManager`` holding only the 5 enabled plugins (goal: ≤ 1.20), then the database
queries per request spent on plugin resolution and per warm hook call (goal: 0 per call).

    python bench/hooks.py [--calls 200000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import types

import pluggy

from mallkit import hookspecs
from mallkit.core.plugins import PluginMeta
from mallkit.hookspecs import hookimpl


def make_plugin(i: int) -> types.ModuleType:
    mod = types.ModuleType(f"bench_plugin_{i}")
    mod.meta = PluginMeta(name=f"bench_{i}", version="1.0", title=f"Bench {i}")

    @hookimpl
    def extend_store_profile(merchant):
        return None

    mod.extend_store_profile = extend_store_profile
    return mod


def per_call(fn, calls: int, repeats: int = 7) -> float:
    """Best-of-``repeats`` median-free timing: seconds per call."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return min(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()

    from mallkit.core import migrate, plugin_settings
    from mallkit.core.app import create_app
    from mallkit.core.testing import count_queries, make_merchant

    tmp = tempfile.mkdtemp()
    url = f"sqlite:///{os.path.join(tmp, 'bench.db')}"
    enabled = [make_plugin(i) for i in range(5)]

    bare = pluggy.PluginManager("mallkit")
    bare.add_hookspecs(hookspecs)
    for mod in enabled:
        bare.register(mod, name=mod.meta.name)

    print(f"mallkit hook dispatch, {args.calls} calls per sample, best of 7")
    print(f"{'installed':>9} {'enabled':>7} {'bare ns':>9} {'merchant ns':>12} {'ratio':>6}")
    for extra in (0, 10, 50):
        others = [make_plugin(100 + i) for i in range(extra)]
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench"}, plugins=enabled + others)
        host = app.extensions["mallkit"].plugins
        migrate.upgrade(host)
        with app.app_context():
            merchant = make_merchant(f"m{extra}")
            for mod in enabled:
                plugin_settings.enable(merchant, mod.meta.name)
            with app.test_request_context():
                from mallkit.core.plugins import merchant_plugins

                view = merchant_plugins(merchant.id)
                assert len(view.hook.extend_store_profile.get_hookimpls()) >= 5

                def merchant_call(view=view, merchant=merchant):
                    view.hook.extend_store_profile(merchant=merchant)

                def bare_call(merchant=merchant):
                    bare.hook.extend_store_profile(merchant=merchant)

                # Interleave to share the machine's noise.
                b1 = per_call(bare_call, args.calls)
                m = per_call(merchant_call, args.calls)
                b2 = per_call(bare_call, args.calls)
                b = statistics.mean([b1, b2])
                print(
                    f"{len(host.plugins):>9} {5:>7} {b * 1e9:>9.0f} {m * 1e9:>12.0f} {m / b:>6.2f}"
                )

                with count_queries() as q:
                    for _ in range(1000):
                        view.hook.extend_store_profile(merchant=merchant)
                warm_queries = q.count
            with count_queries() as q, app.test_request_context():
                for _ in range(20):  # one request resolving the view for 20 hook calls
                    merchant_plugins(merchant.id).hook.extend_store_profile(merchant=merchant)
            per_request = q.count
            start = time.perf_counter()
            for _ in range(1000):
                host.for_merchant(merchant.id)  # the once-per-request version check
            resolve = (time.perf_counter() - start) / 1000
        print(
            f"{'':>9} queries per warm hook call: {warm_queries / 1000:.0f}; "
            f"per request (20 calls): {per_request}; "
            f"resolution per request: {resolve * 1e6:.0f} µs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
