"""The stock service: conditional decrements, the ledger, low-stock alerts, allocation."""

import threading

import pytest

from mallkit.core import db as dbm
from mallkit.core.accounts.merchants.models import StaffMember
from mallkit.core.catalog import service, stock
from mallkit.core.catalog.errors import OutOfStock, SkuNotFound
from mallkit.core.catalog.models import LowStockAlert, Product, Sku, StockMovement
from mallkit.core.plugins import merchant_plugins
from mallkit.core.testing import make_account
from tests.core.catalog.helpers import QueryCounter, create_product, row_counts
from tests.core.catalog.plugins import broken_notifier, stock_notifier, warehouse


def one_sku(merchant, stock_level=10, threshold=None, name="单品"):
    product = create_product(
        merchant,
        name,
        specs=[],
        sku_defaults=None,
        skus=[{"price": 500, "stock": stock_level, "low_stock_threshold": threshold}],
    )
    return Sku.get(Sku.product == product.id)


def assert_ledger_matches(*skus):
    for sku in skus:
        current = Sku.get_by_id(sku.id).stock
        rows = list(
            StockMovement.select().where(StockMovement.sku == sku.id).order_by(StockMovement.id)
        )
        assert sum(r.quantity for r in rows) == current
        assert rows[-1].balance_after == current
        running = 0
        for r in rows:
            running += r.quantity
            assert r.balance_after == running


def test_decrement_and_increment_write_the_ledger(app, merchant):
    sku = one_sku(merchant, 10)
    ref = stock.StockReference("order", "SO-1")
    m = stock.decrement(sku.id, 3, reference=ref)
    assert (m.quantity, m.balance_after, m.reason, m.reference_id) == (-3, 7, "sale", "SO-1")
    stock.increment(sku.id, 2, reason="cancel", reference=ref)
    assert Sku.get_by_id(sku.id).stock == 9
    assert Product.get_by_id(sku.product_id).sales_count == 1  # 3 sold, 2 cancelled
    assert_ledger_matches(sku)


def test_decrement_never_goes_negative_and_refusal_changes_nothing(app, merchant):
    a, b = one_sku(merchant, 5, name="甲"), one_sku(merchant, 1, name="乙")
    before = row_counts()
    with pytest.raises(OutOfStock) as info:
        stock.decrement_many({a.id: 2, b.id: 2})
    assert info.value.code == "out_of_stock" and str(b.id) in info.value.errors
    assert row_counts() == before
    assert (Sku.get_by_id(a.id).stock, Sku.get_by_id(b.id).stock) == (5, 1)
    with pytest.raises(SkuNotFound):
        stock.decrement(999_999, 1)


def test_refusal_inside_a_callers_transaction_rolls_back_only_the_movement(app, merchant):
    a = one_sku(merchant, 5)
    with dbm.transaction():
        stock.decrement(a.id, 1)
        with pytest.raises(OutOfStock):
            stock.decrement_many([(a.id, 1), (a.id, 9)])  # lines of one SKU are summed
    assert Sku.get_by_id(a.id).stock == 4
    assert_ledger_matches(a)


def test_merchant_scope(app, merchant, other_merchant):
    theirs = one_sku(other_merchant, 5)
    with pytest.raises(SkuNotFound):
        stock.decrement(theirs.id, 1, merchant_id=merchant.id)
    assert Sku.get_by_id(theirs.id).stock == 5


def test_many_lines_take_a_bounded_number_of_queries(app, merchant):
    skus = [one_sku(merchant, 50, name=f"品{i}") for i in range(12)]
    counts = []
    for n in (2, 12):
        with QueryCounter() as counter:
            stock.decrement_many(
                {s.id: 1 for s in skus[:n]}, reference=stock.StockReference("order", f"n{n}")
            )
        counts.append(counter.count)
    assert counts[0] == counts[1]
    assert counts[1] <= 8  # lock (PostgreSQL), update, ledger insert, sales, savepoint
    assert_ledger_matches(*skus)


def test_concurrent_decrements_never_oversell_nor_lose_updates(app, merchant):
    sku = one_sku(merchant, 60, threshold=0)
    other = one_sku(merchant, 0, name="补货")
    outcomes = {"sold": 0, "refused": 0, "restocked": 0}
    lock = threading.Lock()
    errors = []

    def worker(n):
        try:
            dbm.database.connect(reuse_if_open=True)
            with app.app_context():
                for i in range(5):
                    try:
                        stock.decrement(sku.id, 1, reference=stock.StockReference("t", n))
                        key = "sold"
                    except OutOfStock:
                        key = "refused"
                    with lock:
                        outcomes[key] += 1
                    if i % 2 == 0:
                        stock.increment(other.id, 1, reason="adjustment")
                        with lock:
                            outcomes["restocked"] += 1
        except Exception as exc:  # pragma: no cover - surfaced below
            errors.append(exc)
        finally:
            dbm.database.close()

    dbm.database.close()  # hand this thread's pooled connection back
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dbm.database.connect(reuse_if_open=True)
    assert errors == []
    assert outcomes["sold"] == 60 and outcomes["refused"] == 40
    assert Sku.get_by_id(sku.id).stock == 0
    assert Sku.get_by_id(other.id).stock == outcomes["restocked"] == 60
    assert_ledger_matches(sku, other)
    # Sold out crosses threshold 0 exactly once, whatever the interleaving.
    assert LowStockAlert.select().where(LowStockAlert.sku == sku.id).count() == 1


def test_low_stock_alert_fires_once_per_crossing_through_a_plugin(
    app, merchant, other_merchant, enable_plugin
):
    seen = stock_notifier.calls
    seen.clear()
    sku = one_sku(merchant, 8, threshold=5, name="热卖")
    theirs = one_sku(other_merchant, 8, threshold=5)
    with enable_plugin(stock_notifier, merchant):
        stock.decrement(sku.id, 2)  # 8 → 6: above
        stock.decrement(sku.id, 1)  # 6 → 5: crossing
        stock.decrement(sku.id, 1)  # 5 → 4: already below, no new alert
        stock.increment(sku.id, 10, reason="adjustment")  # 14
        stock.decrement(sku.id, 10)  # 14 → 4: crossing again
        stock.decrement(theirs.id, 4)  # crossing for a merchant without the plugin
    assert seen == [(merchant.id, sku.id, "热卖", 5, 5), (merchant.id, sku.id, "热卖", 4, 5)]
    alerts = list(
        LowStockAlert.select().where(LowStockAlert.sku == sku.id).order_by(LowStockAlert.id)
    )
    assert [(a.stock, a.threshold) for a in alerts] == [(5, 5), (4, 5)]
    assert LowStockAlert.select().where(LowStockAlert.sku == theirs.id).count() == 1


def test_merchant_default_threshold_is_a_catalog_setting(app, client, merchant, staff):
    sku = one_sku(merchant, 30)  # no own threshold
    r = client.put(
        f"/api/v1/merchants/{merchant.id}/catalog-settings",
        json={"low_stock_threshold": 20},
        headers=staff,
    )
    assert r.status_code == 200 and r.json == {"low_stock_threshold": 20}
    stock.decrement(sku.id, 10)
    alerts = client.get(
        f"/api/v1/merchants/{merchant.id}/stock/alerts?open=true", headers=staff
    ).json
    assert [(a["sku_id"], a["stock"], a["threshold"]) for a in alerts] == [(sku.id, 20, 20)]
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/stock/alerts/{alerts[0]['id']}/acknowledge", headers=staff
    )
    assert r.status_code == 200 and r.json["acknowledged_at"]
    assert (
        client.get(f"/api/v1/merchants/{merchant.id}/stock/alerts?open=true", headers=staff).json
        == []
    )
    low = client.get(f"/api/v1/merchants/{merchant.id}/skus?low=true", headers=staff).json
    assert [s["id"] for s in low] == [sku.id]


def test_a_failing_notifier_never_blocks_a_sale(app, merchant, enable_plugin):
    sku = one_sku(merchant, 2, threshold=1)
    with enable_plugin(broken_notifier, merchant):
        stock.decrement(sku.id, 1)
    assert Sku.get_by_id(sku.id).stock == 1
    assert LowStockAlert.select().count() == 1


def test_default_allocation_uses_sku_stock(app, merchant):
    sku = one_sku(merchant, 10)
    second = one_sku(merchant, 10, name="第二件")
    ref = stock.StockReference("order", "SO-9")
    # The hook itself: the built-in platform plugin answers.
    result = merchant_plugins(merchant.id).hook.allocate_stock(
        merchant=merchant, sku=sku, quantity=2, reference=ref
    )
    assert (result.source, result.sku_id, result.quantity) == ("sku", sku.id, 2)
    assert Sku.get_by_id(sku.id).stock == 8
    # The checkout's entry point, batched while only the default answers.
    allocations = stock.allocate(merchant, [(sku.id, 1), (second.id, 3)], ref)
    assert [(a.sku_id, a.quantity, a.source) for a in allocations] == [
        (sku.id, 1, "sku"),
        (second.id, 3, "sku"),
    ]
    assert (Sku.get_by_id(sku.id).stock, Sku.get_by_id(second.id).stock) == (7, 7)
    assert_ledger_matches(sku, second)


def test_a_warehouse_plugin_takes_over_allocation(app, merchant, other_merchant, enable_plugin):
    taken = warehouse.taken
    taken.clear()
    sku = one_sku(merchant, 10)
    theirs = one_sku(other_merchant, 10)
    with enable_plugin(warehouse, merchant):
        allocations = stock.allocate(merchant, [(sku.id, 4)], stock.StockReference("o", "1"))
        assert allocations[0].source == "warehouse"
        assert taken == [(sku.id, 4, "1")]
        assert Sku.get_by_id(sku.id).stock == 10  # the SKU's own stock was not used
        # A merchant without the plugin keeps the default.
        other = stock.allocate(other_merchant, [(theirs.id, 4)], stock.StockReference("o", "2"))
        assert other[0].source == "sku" and Sku.get_by_id(theirs.id).stock == 6


def test_stocktake_and_adjust_endpoints(app, client, merchant, staff):
    sku = one_sku(merchant, 10)
    url = f"/api/v1/merchants/{merchant.id}"
    r = client.post(
        f"{url}/stock/stocktake", json={"lines": [{"sku_id": sku.id, "counted": 7}]}, headers=staff
    )
    assert r.status_code == 200 and r.json[0]["quantity"] == -3
    r = client.post(
        f"{url}/stock/adjust",
        json={"lines": [{"sku_id": sku.id, "delta": 5}], "reason": "refund", "note": "退货入库"},
        headers=staff,
    )
    assert r.status_code == 200 and r.json[0]["balance_after"] == 12
    before = row_counts()
    r = client.post(
        f"{url}/stock/adjust", json={"lines": [{"sku_id": sku.id, "delta": -13}]}, headers=staff
    )
    assert r.status_code == 409 and r.json["code"] == "out_of_stock"
    assert row_counts() == before
    ledger = client.get(f"{url}/stock/movements?sku_id={sku.id}", headers=staff).json
    assert [m["reason"] for m in ledger] == ["refund", "stocktake", "adjustment"]
    assert_ledger_matches(sku)
    from mallkit.core.audit import AuditLog

    assert {a.action for a in AuditLog.select()} >= {"stock.stocktake", "stock.refund"}


def test_agents_are_read_only(app, client, merchant):
    sku = one_sku(merchant, 10)
    agent = make_account(email="agent@test.mallkit.dev")
    StaffMember.create(merchant=merchant, user=agent.user, role="agent")
    url = f"/api/v1/merchants/{merchant.id}"
    assert client.get(f"{url}/skus", headers=agent.headers).status_code == 200
    r = client.post(
        f"{url}/stock/adjust",
        json={"lines": [{"sku_id": sku.id, "delta": 5}]},
        headers=agent.headers,
    )
    assert r.status_code == 403 and r.json["code"] == "role_required"
    r = client.patch(
        f"{url}/products/{sku.product_id}", json={"skus": [{"price": 1}]}, headers=agent.headers
    )
    assert r.status_code == 403
    assert Sku.get_by_id(sku.id).stock == 10 and Sku.get_by_id(sku.id).price == 500


def test_deleted_sku_still_takes_returned_stock(app, merchant):
    sku = one_sku(merchant, 3)
    service.delete_product(merchant.id, sku.product_id)
    stock.increment(sku.id, 1, reason="refund")
    assert Sku.get_by_id(sku.id).stock == 4
