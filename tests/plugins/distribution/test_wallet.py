"""The promoter's money: withdrawals and their races, the ledger property, refunds racing
settlement."""

from __future__ import annotations

import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mallkit.core.errors import Conflict, ValidationError
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.plugins import PluginMeta
from mallkit.core.testing import concurrently, refund_order
from mallkit.hookspecs import hookimpl
from mallkit.plugins.distribution import commission, promoters, wallet
from mallkit.plugins.distribution.models import Commission, LedgerEntry, Promoter, Withdrawal
from mallkit.plugins.distribution.payouts import PayoutResult
from tests.plugins.distribution.conftest import (
    buy,
    complete,
    fund,
    ledger_sum,
    listener,
    promote,
    reload,
    settle_all,
)

ACCOUNT = {"bank": "招商银行", "account_name": "张三", "account_no": "6225000000000000"}


def withdraw(promoter, amount, key=None, **extra):
    data = {"amount": amount, "channel": "manual_bank", "account": ACCOUNT, **extra}
    return wallet.request_withdrawal(reload(promoter), data, key)


@pytest.fixture
def promoter(dist, merchant, people):
    (account,) = people(1)
    return promote(merchant, account)


def test_withdrawal_rules_minimum_fee_daily_limit(dist, merchant, promoter):
    dist(withdraw_min=1000, withdraw_fee_bp=60, withdraw_daily_limit=5000)
    fund(merchant, promoter, 20000)
    with pytest.raises(ValidationError) as refused:
        withdraw(promoter, 999)
    assert refused.value.code == "below_minimum"
    w, new = withdraw(promoter, 3333)
    assert new and (w.fee, w.net) == (3333 * 60 // 10_000, 3333 - 19)
    with pytest.raises(Conflict) as refused:
        withdraw(promoter, 2000)  # 3333 + 2000 > 5000 today
    assert refused.value.code == "daily_limit"
    with pytest.raises(Conflict) as refused:
        withdraw(promoter, 30000)
    assert refused.value.code in ("insufficient_balance", "daily_limit")
    with pytest.raises(ValidationError):
        wallet.request_withdrawal(
            reload(promoter), {"amount": 1000, "channel": "manual_bank", "account": {}}, None
        )
    assert reload(promoter).balance == 20000 - 3333 == ledger_sum(promoter.id)


def test_reject_and_failed_payout_return_the_money_paid_keeps_it(dist, merchant, promoter):
    fund(merchant, promoter, 10000)
    a, _ = withdraw(promoter, 3000)
    b, _ = withdraw(promoter, 3000)
    c, _ = withdraw(promoter, 3000)
    assert reload(promoter).balance == 1000
    wallet.reject(merchant.id, a.id, "信息有误", 1)
    with pytest.raises(Conflict):
        wallet.reject(merchant.id, a.id, "again", 1)  # once
    assert wallet.approve(merchant.id, b.id, 1).status == "paying"  # bank transfer: by staff
    wallet.staff_finish(merchant.id, b.id, True, "BANK-REF-1", 1)
    wallet.approve(merchant.id, c.id, 1)
    wallet.staff_finish(merchant.id, c.id, False, "账户不存在", 1)
    with pytest.raises(Conflict):
        wallet.staff_finish(merchant.id, c.id, True, "late", 1)
    assert reload(promoter).balance == 1000 + 3000 + 3000 == ledger_sum(promoter.id)
    statuses = [e[2] for e in listener.EVENTS if e[0] == "withdrawal"]
    assert statuses == ["rejected", "paid", "failed"]
    assert Withdrawal.get_by_id(b.id).reference == "BANK-REF-1"


def test_an_idempotency_key_makes_a_retry_answer_the_first_withdrawal(dist, merchant, promoter):
    fund(merchant, promoter, 10000)
    first, new = withdraw(promoter, 4000, key="k-1")
    again, new_again = withdraw(promoter, 4000, key="k-1")
    assert new and not new_again and again.id == first.id
    with pytest.raises(Conflict) as refused:
        withdraw(promoter, 5000, key="k-1")
    assert refused.value.code == "idempotency_key_reused"
    assert reload(promoter).balance == 6000


def test_twenty_concurrent_withdrawals_never_exceed_the_balance(app, dist, merchant, promoter):
    fund(merchant, promoter, 10000)
    results = concurrently(app, lambda i: withdraw(promoter, 1500), 20)
    made = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(made) == 6  # 6 × 1500 = 9000 ≤ 10000 < 7 × 1500
    assert all(isinstance(r, Conflict) and r.code == "insufficient_balance" for r in refused)
    p = reload(promoter)
    assert p.balance == 1000 == ledger_sum(p.id)


def test_concurrent_retries_with_one_key_make_one_withdrawal(app, dist, merchant, promoter):
    fund(merchant, promoter, 10000)
    results = concurrently(app, lambda i: withdraw(promoter, 1500, key="same"), 8)
    assert not [r for r in results if isinstance(r, Exception)]
    assert len({w.id for w, _ in results}) == 1
    assert reload(promoter).balance == 8500


def test_a_refund_racing_settlement_never_settles_and_reverses_twice(
    app, dist, merchant, people, sku
):
    top, buyer = people(2)
    p = promote(merchant, top)
    promoters.bind(merchant.id, buyer.user.id, p, "code")
    for _ in range(3):
        order = complete(buy(buyer, sku, quantity=2))
        line = OrderLine.get(OrderLine.order == order.id)

        def work(i, order=order, line=line):
            if i == 0:
                return commission.settle(Order.get_by_id(order.id))
            return refund_order(Order.get_by_id(order.id), {line: 1})

        concurrently(app, work, 2)
        record = Commission.get(Commission.order_id == order.id)
        # whichever came first, 1000 of the 2000 stays and 1000 went back, once
        assert record.cancelled == 1000
        if record.status == "settled":
            assert record.settled in (1000, 2000)
    settle_all(days=10)  # what waited for a pending refund settles now
    p = reload(p)
    assert all(c.status == "settled" for c in Commission.select())
    assert (p.balance, p.debt) == (3 * 1000, 0) and ledger_sum(p.id) == 3000


def test_a_payout_channel_from_a_plugin_pays_at_once(app, dist, merchant, promoter, enable_plugin):
    wallet_plugin = types.ModuleType("instant_payout")
    wallet_plugin.meta = PluginMeta(name="instant_payout", version="1.0.0", title="Instant")
    paid = []

    class Instant:
        name, title, account_fields = "instant", "Instant", ("openid",)

        def pay(self, withdrawal):
            paid.append(withdrawal.number)
            return PayoutResult("paid", reference="TX-" + withdrawal.number)

    @hookimpl
    def register_payout_channels():
        return [Instant()]

    wallet_plugin.register_payout_channels = register_payout_channels
    fund(merchant, promoter, 5000)
    with pytest.raises(ValidationError):  # not offered while its plugin is off
        withdraw(promoter, 1000, channel="instant", account={"openid": "o-1"})
    with enable_plugin(wallet_plugin, merchant):
        w, _ = withdraw(promoter, 1000, channel="instant", account={"openid": "o-1"})
        done = wallet.approve(merchant.id, w.id, 1)
    assert done.status == "paid" and done.reference == "TX-" + w.number and paid == [w.number]
    assert reload(promoter).balance == 4000


# -- the ledger property -----------------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["buy", "complete", "refund", "settle", "withdraw", "reject", "fail"]),
        st.integers(min_value=1, max_value=3),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=STEPS)
def test_the_balance_always_equals_the_sum_of_the_ledger(app, dist, merchant, people, sku, steps):
    top, buyer = people(2)
    p = promote(merchant, top)
    promoters.bind(merchant.id, buyer.user.id, p, "code")
    placed: list[Order] = []
    for action, n in steps:
        try:
            if action == "buy":
                placed.append(buy(buyer, sku, quantity=n))
            elif action == "complete" and placed:
                order = Order.get_by_id(placed[n % len(placed)].id)
                if order.status == "paid":
                    complete(order)
            elif action == "refund" and placed:
                order = Order.get_by_id(placed[n % len(placed)].id)
                line = OrderLine.get(OrderLine.order == order.id)
                if line.quantity > line.refunded_quantity:
                    refund_order(order, {line: 1})
            elif action == "settle":
                settle_all(days=8 * n)
            elif action == "withdraw":
                withdraw(p, 100 * n * n)
            elif action in ("reject", "fail"):
                w = Withdrawal.select().where(Withdrawal.status == "requested").first()
                if w is not None and action == "reject":
                    wallet.reject(merchant.id, w.id, "no", 1)
                elif w is not None:
                    wallet.approve(merchant.id, w.id, 1)
                    wallet.staff_finish(merchant.id, w.id, False, "bank said no", 1)
        except Conflict:
            pass  # a withdrawal over the balance: refused, nothing written
        current = reload(p)
        assert current.balance == ledger_sum(p.id) >= 0
        assert (
            current.debt
            == sum(
                e.debt_delta for e in LedgerEntry.select().where(LedgerEntry.promoter_id == p.id)
            )
            >= 0
        )
    # clean up for the next example (hypothesis reuses the function-scoped fixtures)
    for model in (LedgerEntry, Withdrawal, Commission):
        model.delete().execute()
    Promoter.delete().execute()


def test_the_console_shows_each_withdrawal_the_buttons_its_state_allows(
    client, dist, merchant, promoter, owner
):
    """The withdrawals page as the console reads it: a requested withdrawal shows 通过 and
    驳回, one being paid 已打款 and 打款失败, a paid one none — pressing them moves it."""
    pages = client.get(f"/api/v1/merchants/{merchant.id}/console", headers=owner.headers).json
    (page,) = [p for p in pages["pages"] if p["id"] == "distribution/withdrawals"]

    def url(path, row=None):
        path = path.replace("{merchant_id}", str(merchant.id))
        return "/api/v1" + path.replace("{id}", str(row["id"])) if row else "/api/v1" + path

    def buttons():
        (row,) = client.get(url(page["path"]), headers=owner.headers).json
        shown = {
            a["key"]: a
            for a in page["actions"]
            if all(row.get(field) in values for field, values in a["when"].items())
        }
        return row, shown

    fund(merchant, promoter, 10000)
    withdraw(promoter, 3000)
    row, shown = buttons()
    assert (row["status"], sorted(shown)) == ("requested", ["approve", "reject"])
    assert client.post(url(shown["approve"]["path"], row), headers=owner.headers).status_code == 200
    row, shown = buttons()
    assert (row["status"], sorted(shown)) == ("paying", ["failed", "paid"])
    paid = client.post(
        url(shown["paid"]["path"], row), json={"reference": "BANK-1"}, headers=owner.headers
    )
    assert paid.status_code == 200
    row, shown = buttons()
    assert (row["status"], shown) == ("paid", {})
