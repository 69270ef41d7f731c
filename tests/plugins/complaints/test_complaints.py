"""Complaints: the whole dispute through the API, the merchant's deadline with two workers,
decisions carried out once through aftersales, who sees what, statistics."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from mallkit.core.audit import AuditLog
from mallkit.core.db import utcnow
from mallkit.core.errors import Conflict
from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderLine
from mallkit.core.payments.models import Refund
from mallkit.core.plugins import order_hooks
from mallkit.core.tasks.runner import run_due
from mallkit.core.testing import concurrently, make_product, run_tasks, skus_of
from mallkit.plugins.aftersales import service as aftersales
from mallkit.plugins.aftersales.models import Case
from mallkit.plugins.complaints import service
from mallkit.plugins.complaints.models import Complaint
from tests.plugins.aftersales.conftest import completed, lines_of, paid, shipped

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ADMIN = Actor("admin", 1)


@pytest.fixture
def sku(merchant):
    return skus_of(make_product(merchant, prices=(1000,), stocks=(50,)))[0]


def base(merchant):
    return f"/api/v1/merchants/{merchant.id}/complaints"


def filed(order, line=None, **extra):
    data = {"type": "quality", "description": "坏了", "order_line_id": line.id if line else None}
    return service.file(order, {**data, **extra}, Actor("buyer", order.buyer_id))


def to_arbitration(complaint):
    complaint = service.forward(complaint, ADMIN)
    complaint = service.appeal(complaint, Actor("staff", 1), "货没问题", [])
    return service.escalate(complaint, Actor("buyer", complaint.buyer_id))


def held(order):
    return sorted(
        x for answer in order_hooks(order).order_lines_on_hold(order=order) for x in answer
    )


def test_a_dispute_through_the_api_ends_in_a_partial_refund(
    app, client, store, owner, buyer, admin, sku, tmp_path
):
    app.config["MEDIA_ROOT"] = str(tmp_path)
    order = completed(paid(buyer, [(sku, 2)]))
    (line,) = lines_of(order)
    r = client.post(
        f"{base(store)}/uploads",
        data={"file": (io.BytesIO(PNG), "p.png")},
        headers=buyer.headers,
        content_type="multipart/form-data",
    )
    photo = r.json["url"]
    assert photo.startswith(f"/api/v1/media/complaints/{store.id}/")
    body = {
        "order_id": order.id,
        "order_line_id": line.id,
        "type": "not_as_described",
        "description": "颜色不对",
        "evidence": [photo],
    }
    r = client.post(base(store), json=body, headers=buyer.headers)
    assert r.status_code == 201, r.json
    complaint = r.json
    assert complaint["status"] == "new" and complaint["due_at"]
    assert client.post(base(store), json=body, headers=buyer.headers).json["code"] == (
        "complaint_open"
    )
    assert held(order) == [line.id]
    url = f"{base(store)}/{complaint['id']}"
    # only the platform forwards and decides
    assert client.post(f"{url}/forward", headers=owner.headers).status_code == 404
    r = client.post(f"{url}/forward", headers=admin.headers)
    assert r.json["status"] == "awaiting_appeal" and r.json["appeal_due_at"]
    r = client.post(f"{url}/escalate", headers=buyer.headers)
    assert r.status_code == 409 and r.json["errors"] == {"status": ["awaiting_appeal"]}
    r = client.post(f"{url}/appeal", json={"text": "按图发货"}, headers=owner.headers)
    assert r.json["status"] == "in_conversation" and r.json["appeal_text"] == "按图发货"
    for account, who in ((buyer, "buyer"), (owner, "staff"), (admin, "admin")):
        r = client.post(f"{url}/messages", json={"text": f"{who} says"}, headers=account.headers)
        assert r.status_code == 201 and r.json["author_type"] == who
    r = client.post(f"{url}/escalate", headers=owner.headers)
    assert r.json["status"] == "awaiting_arbitration" and r.json["arbitration_due_at"]
    r = client.get("/api/v1/platform/complaints", headers=admin.headers)
    assert [c["id"] for c in r.json] == [complaint["id"]]
    assert client.get("/api/v1/platform/complaints", headers=owner.headers).status_code == 404
    r = client.post(
        f"{url}/decide", json={"decision": "refund_partial", "amount": 5000}, headers=admin.headers
    )
    assert r.status_code == 422 and "amount" in r.json["errors"]
    r = client.post(
        f"{url}/decide",
        json={"decision": "refund_partial", "amount": 300, "note": "补偿差价"},
        headers=admin.headers,
    )
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["execution"]) == ("closed", "pending")
    assert held(order) == [line.id]  # until it is carried out
    later = utcnow() + dt.timedelta(seconds=1)
    results = concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=later), 2)
    assert not [x for x in results if isinstance(x, Exception)]
    run_tasks()
    done = Complaint.get_by_id(complaint["id"])
    assert done.execution == "done" and done.case_id
    case = Case.get_by_id(done.case_id)
    assert (case.status, case.amount, case.quantity, case.decided_by) == (
        "completed",
        300,
        0,
        "admin",
    )
    assert (case.reason, case.source_key) == ("complaint", f"complaint:{done.id}")
    assert [(r.amount, r.status) for r in Refund.select()] == [(300, "succeeded")]
    assert OrderLine.get_by_id(line.id).refunded_quantity == 0  # the buyer keeps the goods
    assert held(order) == []
    r = client.get(url, headers=buyer.headers)
    events = [m["event"] for m in r.json["messages"] if m["event"]]
    assert events == [
        "new",
        "awaiting_appeal",
        "appealed",
        "awaiting_arbitration",
        "decided:refund_partial",
        "executed",
    ]
    mine = client.get("/api/v1/me/complaints", headers=buyer.headers).json
    assert [(c["id"], c["decision"]) for c in mine] == [(complaint["id"], "refund_partial")]
    assert client.get("/api/v1/me/complaints", headers=owner.headers).json == []
    r = client.get(f"{base(store)}/stats", headers=owner.headers)
    assert r.json["complaints"] == 1 and r.json["by_decision"] == {"refund_partial": 1}
    assert r.json["rate"] == 1.0


def test_a_decision_carried_out_twice_refunds_once(app, store, buyer, sku):
    order = shipped(paid(buyer, [(sku, 3)]))
    (line,) = lines_of(order)
    complaint = service.decide(
        to_arbitration(filed(order, line)), ADMIN, {"decision": "refund_full", "note": ""}
    )
    assert complaint.decision_amount == 3000
    results = concurrently(app, lambda i: service.execute(complaint.id), 4)
    assert sorted(str(x) for x in results).count("done") == 1, results
    run_tasks()  # the task finds it done
    assert service.execute(complaint.id) == "nothing"
    assert Case.select().count() == 1
    assert [r.amount for r in Refund.select()] == [3000]
    assert Order.get_by_id(order.id).status == "closed"


def test_the_merchant_missing_its_deadline_sends_it_to_arbitration_once(app, store, buyer, sku):
    order = paid(buyer, [(sku, 1)])
    first = service.forward(filed(order), ADMIN)
    other = filed(paid(buyer, [(sku, 1)]))
    later = utcnow() + dt.timedelta(hours=73)
    results = concurrently(app, lambda i: run_due(worker_id=f"w{i}", now=later), 2)
    assert not [x for x in results if isinstance(x, Exception)]
    first = Complaint.get_by_id(first.id)
    assert first.status == "awaiting_arbitration" and first.arbitration_due_at
    assert Complaint.get_by_id(other.id).status == "new"
    assert held(order) == [lines_of(order)[0].id]  # a whole-order complaint holds every line
    # most urgent first: the new one's forward is due before the arbitration just started
    assert [c.id for c in service.inbox({})] == [other.id, first.id]
    Complaint.update(due_at=utcnow() - dt.timedelta(hours=1)).where(
        Complaint.id == first.id
    ).execute()
    assert [c.id for c in service.inbox({"overdue": True})] == [first.id]


def test_an_exchange_decision_opens_an_approved_exchange(store, buyer, sku):
    order = completed(paid(buyer, [(sku, 2)]))
    (line,) = lines_of(order)
    complaint = service.decide(to_arbitration(filed(order, line)), ADMIN, {"decision": "exchange"})
    assert service.execute(complaint.id) == "done"
    case = Case.get_by_id(Complaint.get_by_id(complaint.id).case_id)
    assert (case.type, case.status, case.quantity) == ("exchange", "approved", 2)


def test_decisions_without_money_and_withdrawals(store, owner, buyer, sku):
    order = paid(buyer, [(sku, 1)])
    warned = service.decide(to_arbitration(filed(order)), ADMIN, {"decision": "warning"})
    assert (warned.status, warned.execution) == ("closed", "")
    audit = AuditLog.get(AuditLog.action == "complaints.decide")
    assert (audit.target_id, audit.after["decision"]) == (warned.number, "warning")
    again = filed(order)  # the order may be complained about again once closed
    withdrawn = service.withdraw(again, Actor("buyer", order.buyer_id))
    assert withdrawn.status == "withdrawn"
    with pytest.raises(Conflict) as exc:
        service.withdraw(withdrawn, Actor("buyer", order.buyer_id))
    assert exc.value.errors == {"status": ["withdrawn"]}
    assert Case.select().count() == 0 and Refund.select().count() == 0
    stats = service.stats(store.id, utcnow() - dt.timedelta(days=1), utcnow())
    assert stats["warnings"] == 1 and stats["complaints"] == 2 and stats["paid_orders"] == 1


def test_a_money_decision_waits_for_an_open_after_sale_case(store, buyer, sku):
    order = paid(buyer, [(sku, 1)])
    (line,) = lines_of(order)
    aftersales.apply(
        order,
        {"order_line_id": line.id, "type": "refund", "quantity": 1, "reason": "其他"},
        Actor("buyer", order.buyer_id),
    )
    complaint = to_arbitration(filed(order, line))
    with pytest.raises(Conflict) as exc:
        service.decide(complaint, ADMIN, {"decision": "refund_full"})
    assert exc.value.code == "case_open"
    assert Complaint.get_by_id(complaint.id).status == "awaiting_arbitration"


def test_others_get_404_and_bad_input_is_refused(
    client, store, owner, buyer, other_buyer, other_merchant, admin, sku
):
    order = completed(paid(buyer, [(sku, 1)]))
    body = {"order_id": order.id, "type": "service", "description": "态度差"}
    assert client.post(base(store), json=body, headers=other_buyer.headers).status_code == 404
    for bad in ({**body, "type": "angry"}, {**body, "description": ""}, {"type": "service"}):
        r = client.post(base(store), json=bad, headers=buyer.headers)
        assert r.status_code == 422 and r.json["errors"], bad
    r = client.post(
        base(store), json={**body, "evidence": ["http://x.test/a.png"]}, headers=buyer.headers
    )
    assert r.status_code == 422 and r.json["code"] == "invalid_evidence"
    Order.update(completed_at=utcnow() - dt.timedelta(days=16)).where(
        Order.id == order.id
    ).execute()
    r = client.post(base(store), json=body, headers=buyer.headers)
    assert r.status_code == 409 and r.json["code"] == "complaint_window_closed"
    Order.update(completed_at=utcnow()).where(Order.id == order.id).execute()
    r = client.post(base(store), json=body, headers=buyer.headers)
    assert r.status_code == 201
    url = f"{base(store)}/{r.json['id']}"
    stranger = other_merchant.owner_account
    for account in (other_buyer, stranger):
        assert client.get(url, headers=account.headers).status_code == 404
        assert client.post(f"{url}/withdraw", headers=account.headers).status_code == 404
    assert client.get(f"{base(store)}/staff", headers=stranger.headers).status_code == 404
    assert (
        client.post(f"{url}/appeal", json={"text": "x"}, headers=stranger.headers).status_code
        == 404
    )
    assert client.post(f"{url}/withdraw", headers=owner.headers).status_code == 404
    assert client.get(base(other_merchant), headers=buyer.headers).status_code == 404
    r = client.get(f"{base(store)}/staff?status=new", headers=owner.headers)
    assert [c["status"] for c in r.json] == ["new"]
    r = client.post(f"{url}/decide", json={"decision": "refund_full"}, headers=admin.headers)
    assert r.status_code == 409 and r.json["errors"] == {"status": ["new"]}


def test_two_filings_racing_for_one_order_make_one_complaint(app, store, buyer, sku):
    order = paid(buyer, [(sku, 1)])
    results = concurrently(app, lambda i: filed(Order.get_by_id(order.id)), 4)
    made = [r for r in results if isinstance(r, Complaint)]
    assert len(made) == 1, results
    assert all(getattr(r, "code", "") == "complaint_open" for r in results if r not in made)
    assert Complaint.select().count() == 1


def test_complaints_need_aftersales_and_valid_settings(client, merchant, admin):
    url = f"/api/v1/admin/merchants/{merchant.id}/plugins"
    r = client.post(f"{url}/complaints/enable", json={"config": {}}, headers=admin.headers)
    assert r.status_code in (409, 422) and "aftersales" in r.json["message"], r.json
    assert (
        client.post(f"{url}/aftersales/enable", json={}, headers=admin.headers).status_code == 200
    )
    r = client.post(
        f"{url}/complaints/enable",
        json={"config": {"appeal_hours": 0, "window_days": 400}},
        headers=admin.headers,
    )
    assert r.status_code == 422 and {"appeal_hours", "window_days"} <= set(r.json["errors"])
    r = client.post(f"{url}/complaints/enable", json={"config": {}}, headers=admin.headers)
    assert r.status_code == 200, r.json
