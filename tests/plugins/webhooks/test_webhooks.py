"""Outgoing webhooks: signed deliveries checked by a receiver written here, retries after a
receiver error, auto-disable, redelivery, secret rotation, and addresses that are refused."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import time

import pytest
from werkzeug.wrappers import Request, Response

from mallkit.core import db as dbm
from mallkit.core import simkit
from mallkit.core.testing import (
    make_product,
    pay_order,
    place_order,
    refund_order,
    run_tasks,
    skus_of,
)
from mallkit.plugins.webhooks import retention
from mallkit.plugins.webhooks.models import Delivery, Endpoint

STORE = "/api/v1/merchants/{}/webhooks"


class TestReceiver:
    """An integrator's endpoint: checks the Standard Webhooks signature itself."""

    def __init__(self) -> None:
        self.secrets: list[str] = []
        self.calls: list[dict] = []
        self.fail = 0
        self.lock = threading.Lock()

    def verified(self, headers, body: bytes) -> bool:
        message_id = headers["webhook-id"]
        timestamp = headers["webhook-timestamp"]
        if abs(time.time() - int(timestamp)) > 300:
            return False
        for secret in self.secrets:
            key = base64.b64decode(secret[len("whsec_") :])
            mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
            expected = "v1," + base64.b64encode(mac.digest()).decode()
            if any(
                hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split(" ")
            ):
                return True
        return False

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        with self.lock:
            record = {
                "id": request.headers.get("webhook-id"),
                "signature": request.headers.get("webhook-signature"),
                "verified": self.verified(request.headers, body),
                "body": json.loads(body),
            }
            self.calls.append(record)
            failing = self.fail > 0
            if failing:
                self.fail -= 1
        status = 500 if failing else (204 if record["verified"] else 401)
        return Response("", status)(environ, start_response)


@pytest.fixture(scope="module")
def receiver_server():
    receiver = TestReceiver()
    server = simkit.LoopbackServer(receiver)
    yield server, receiver
    server.stop()


@pytest.fixture
def receiver(app, receiver_server):
    server, receiver = receiver_server
    receiver.secrets.clear()
    receiver.calls.clear()
    receiver.fail = 0
    receiver.url = f"{server.url}/hooks"
    app.config["WEBHOOK_ALLOWED_TARGETS"] = [receiver.url]
    return receiver


def register(client, merchant, owner, url, types=("order.paid",)):
    r = client.post(
        STORE.format(merchant.id) + "/endpoints",
        json={"url": url, "event_types": list(types)},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.json
    return r.json


def test_a_paid_order_is_posted_signed_and_the_receiver_verifies_it(
    client, merchant, owner, buyer, receiver
):
    endpoint = register(client, merchant, owner, receiver.url, ("order.paid", "order.refunded"))
    assert endpoint["secret"].startswith("whsec_")
    receiver.secrets.append(endpoint["secret"])
    listed = client.get(STORE.format(merchant.id) + "/endpoints", headers=owner.headers).json
    assert "secret" not in listed[0]  # shown once
    (sku,) = skus_of(make_product(merchant, prices=(19900,)))
    order = pay_order(place_order(buyer, [(sku, 2)]))
    refund_order(order, {order.lines[0]: 1})
    run_tasks()
    assert [c["verified"] for c in receiver.calls] == [True, True]
    paid, refunded = sorted(receiver.calls, key=lambda c: c["body"]["type"])
    assert paid["body"]["type"] == "order.paid"
    assert paid["body"]["data"]["number"] == order.number
    assert paid["body"]["data"]["paid_amount"] == 39800
    assert refunded["body"]["data"]["refund"]["amount"] == 19900
    assert {d.status for d in Delivery.select()} == {"succeeded"}
    log = client.get(
        STORE.format(merchant.id) + f"/endpoints/{endpoint['id']}/deliveries", headers=owner.headers
    ).json
    assert {d["response_status"] for d in log} == {204}


def test_a_wrong_secret_is_caught_by_the_receiver(client, merchant, owner, buyer, receiver):
    register(client, merchant, owner, receiver.url)
    receiver.secrets.append("whsec_" + base64.b64encode(b"x" * 32).decode())
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    assert receiver.calls and not receiver.calls[0]["verified"]
    (delivery,) = Delivery.select()
    assert delivery.status == "pending" and delivery.response_status == 401


def test_a_receiver_error_is_retried_with_the_same_webhook_id(
    client, merchant, owner, buyer, receiver
):
    endpoint = register(client, merchant, owner, receiver.url)
    receiver.secrets.append(endpoint["secret"])
    receiver.fail = 2
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    (delivery,) = Delivery.select()
    assert delivery.status == "pending" and delivery.response_status == 500
    assert delivery.attempts == 1
    for hours in (1, 2):
        run_tasks(at=dbm.utcnow() + dt.timedelta(hours=hours))
    delivery = Delivery.get_by_id(delivery.id)
    assert delivery.status == "succeeded" and delivery.attempts == 3
    assert len({c["id"] for c in receiver.calls}) == 1 and len(receiver.calls) == 3
    assert Endpoint.get_by_id(endpoint["id"]).failures == 0


def test_an_endpoint_that_keeps_failing_is_disabled_and_can_be_redelivered_to(
    app, client, merchant, owner, buyer, receiver
):
    app.config["WEBHOOK_DISABLE_AFTER"] = 3
    endpoint = register(client, merchant, owner, receiver.url)
    receiver.secrets.append(endpoint["secret"])
    receiver.fail = 10
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    at = dbm.utcnow()
    for _ in range(5):
        run_tasks(at=at)
        at += dt.timedelta(hours=2)
    assert len(receiver.calls) == 3
    state = client.get(
        STORE.format(merchant.id) + f"/endpoints/{endpoint['id']}", headers=owner.headers
    ).json
    assert state["enabled"] is False and "3 deliveries" in state["disabled_reason"]
    (delivery,) = Delivery.select()
    assert delivery.status == "failed"
    url = STORE.format(merchant.id) + f"/deliveries/{delivery.id}/redeliver"
    assert client.post(url, headers=owner.headers).status_code == 409  # switch it on first
    client.patch(
        STORE.format(merchant.id) + f"/endpoints/{endpoint['id']}",
        json={"enabled": True},
        headers=owner.headers,
    )
    receiver.fail = 0
    assert client.post(url, headers=owner.headers).json["status"] == "pending"
    run_tasks(at=at)
    assert Delivery.get_by_id(delivery.id).status == "succeeded"
    assert receiver.calls[-1]["verified"] and receiver.calls[-1]["id"] == receiver.calls[0]["id"]


def test_a_rotated_secret_signs_beside_the_old_one_for_a_day(
    client, merchant, owner, buyer, receiver
):
    endpoint = register(client, merchant, owner, receiver.url)
    rotated = client.post(
        STORE.format(merchant.id) + f"/endpoints/{endpoint['id']}/rotate-secret",
        headers=owner.headers,
    ).json
    assert rotated["secret"] != endpoint["secret"] and rotated["previous_until"]
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    for secret in (endpoint["secret"], rotated["secret"]):  # the receiver has either one
        receiver.secrets[:] = [secret]
        pay_order(place_order(buyer, [(sku, 1)]))
        run_tasks()
        assert receiver.calls[-1]["verified"]
        assert len(receiver.calls[-1]["signature"].split(" ")) == 2
    assert len(receiver.calls) == 2


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.9/hook",
        "https://192.168.1.20/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "http://93.184.216.34/hook",
        "https://user:pw@93.184.216.34/hook",
        "ftp://93.184.216.34/hook",
    ],
)
def test_private_loopback_link_local_and_plain_http_targets_are_refused(
    client, merchant, owner, url
):
    r = client.post(
        STORE.format(merchant.id) + "/endpoints",
        json={"url": url, "event_types": ["order.paid"]},
        headers=owner.headers,
    )
    assert r.status_code == 422 and r.json["code"] == "webhook_target_refused", (url, r.json)
    assert Endpoint.select().count() == 0


def test_a_public_https_address_is_accepted(client, merchant, owner):
    r = client.post(
        STORE.format(merchant.id) + "/endpoints",
        json={"url": "https://93.184.216.34/hooks", "event_types": ["order.paid"]},
        headers=owner.headers,
    )
    assert r.status_code == 201
    bad = client.post(
        STORE.format(merchant.id) + "/endpoints",
        json={"url": "https://93.184.216.34/hooks", "event_types": ["order.eaten"]},
        headers=owner.headers,
    )
    assert bad.status_code == 422


def test_an_address_no_longer_allowed_is_refused_at_delivery(
    app, client, merchant, owner, buyer, receiver
):
    register(client, merchant, owner, receiver.url)
    app.config["WEBHOOK_ALLOWED_TARGETS"] = []  # now the loopback address is not allowed
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    assert not receiver.calls
    (delivery,) = Delivery.select()
    assert delivery.last_error.startswith("refused:")


def test_platform_endpoints_hear_every_store_and_only_admins_manage_them(
    client, admin, merchant, other_merchant, owner, buyer, receiver
):
    r = client.post(
        "/api/v1/admin/webhooks/endpoints",
        json={"url": receiver.url, "event_types": ["order.placed"]},
        headers=admin.headers,
    )
    assert r.status_code == 201
    receiver.secrets.append(r.json["secret"])
    assert client.get("/api/v1/admin/webhooks/endpoints", headers=owner.headers).status_code == 403
    for store in (merchant, other_merchant):
        (sku,) = skus_of(make_product(store, prices=(1000,)))
        place_order(buyer, [(sku, 1)])
    run_tasks()
    assert sorted(c["body"]["data"]["merchant_id"] for c in receiver.calls) == sorted(
        [merchant.id, other_merchant.id]
    )
    assert all(c["verified"] for c in receiver.calls)
    # a store's staff see only their own endpoints
    assert client.get(STORE.format(merchant.id) + "/endpoints", headers=owner.headers).json == []
    assert (
        client.get(STORE.format(merchant.id) + "/endpoints", headers=buyer.headers).status_code
        == 404
    )
    other = client.get(
        STORE.format(merchant.id) + f"/endpoints/{r.json['id']}", headers=owner.headers
    )
    assert other.status_code == 404


def test_the_event_catalog_lists_every_type_and_its_payload_schema(client, app):
    events = client.get("/api/v1/webhooks/events").json
    assert {t["type"] for t in events["types"]} >= {"order.paid", "order.refunded", "stock.low"}
    schemas = app.extensions["mallkit"].api.spec.to_dict()["components"]["schemas"]
    assert {"WebhookOrderEvent", "WebhookRefundEvent", "WebhookLowStockEvent"} <= set(schemas)


def test_webhook_verdicts_are_counted_in_the_metrics(client, merchant, owner, buyer, receiver):
    from tests.core.test_observability import _sample

    endpoint = register(client, merchant, owner, receiver.url)
    receiver.secrets.append(endpoint["secret"])
    receiver.fail = 1
    before = client.get("/metrics").get_data(as_text=True)
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    run_tasks(at=dbm.utcnow() + dt.timedelta(hours=1))
    after = client.get("/metrics").get_data(as_text=True)
    for verdict in ("retrying", "sent"):
        labels = {"channel": "webhook", "verdict": verdict}
        assert (
            _sample(after, "mallkit_notifications_total", **labels)
            - _sample(before, "mallkit_notifications_total", **labels)
            == 1
        )


def test_the_demo_posts_order_events_to_its_own_receiver(app, client):
    from mallkit.core.accounts.merchants.models import Merchant
    from mallkit.core.accounts.models import User
    from mallkit.core.cli import demo_store as demo

    server = simkit.LoopbackServer(app)  # the demo server
    try:
        demo.seed(app)
        lines = demo.attach_services(app, server.url, [])
        assert any(line.startswith("webhooks") for line in lines), lines
        merchant = Merchant.get(Merchant.name == demo.STORE)
        (endpoint,) = Endpoint.select().where(Endpoint.merchant_id == merchant.id)
        assert endpoint.url == f"{server.url}/_sim/webhook-receiver"
        (sku,) = skus_of(make_product(merchant, prices=(1000,)))
        order = place_order(User.get(User.email == demo.BUYER[0]), [(sku, 1)])
        run_tasks()
        delivery = Delivery.get(Delivery.event_key == f"order.placed:{order.id}")
        assert delivery.status == "succeeded" and delivery.response_status == 204
        listed = client.get("/_sim/webhook-receiver").json
        mine = [r for r in listed if r["webhook_id"] == delivery.message_id]
        assert mine and mine[0]["verified"] is True and mine[0]["type"] == "order.placed"
    finally:
        server.stop()


def test_an_allowed_prefix_without_a_slash_allows_its_own_host_and_port_only(app):
    from mallkit.plugins.webhooks import targets

    app.config["WEBHOOK_ALLOWED_TARGETS"] = ["http://127.0.0.1:80", "https://erp.internal"]
    with app.app_context():
        assert targets.resolve("http://127.0.0.1:80/hooks").addresses == ("127.0.0.1",)
        for url in (
            "http://127.0.0.1:8080/hooks",  # another port: "http://127.0.0.1:80" + "80/hooks"
            "http://127.0.0.1:800/",
        ):
            with pytest.raises(targets.TargetRefused):
                targets.resolve(url)
        assert not targets._allowed_prefix("https://erp.internal.example.com/hooks")
        assert targets._allowed_prefix("https://ERP.internal/hooks")


# -- the console's pages (plugins/webhooks/console.py) ---------------------------------------


def console_pages(client, path, account):
    answer = client.get(path, headers=account.headers)
    assert answer.status_code == 200, answer.json
    return {p["key"]: p for p in answer.json["pages"] if p["plugin"] == "webhooks"}


def test_the_store_pages_are_for_owners_and_managers_and_the_platform_pages_for_admins(
    client, merchant, other_merchant, owner, admin
):
    from mallkit.core.accounts.merchants.service import add_staff
    from mallkit.core.testing import make_account

    console = f"/api/v1/merchants/{merchant.id}/console"
    pages = console_pages(client, console, owner)
    assert list(pages) == ["endpoints", "deliveries"]
    assert pages["endpoints"]["title"] == {"zh": "Webhook 推送", "en": "Webhooks"}
    assert pages["endpoints"]["path"] == "/merchants/{merchant_id}/webhooks/endpoints"
    assert [a["key"] for a in pages["endpoints"]["actions"]] == [
        "edit",
        "switch",
        "rotate",
        "delete",
    ]
    assert pages["deliveries"]["actions"][0]["when"] == {"status": ["failed", "succeeded"]}
    columns = {c["field"]: c for c in pages["deliveries"]["columns"]}
    assert columns["event_type"]["choices"]["stock.low"] == {"zh": "库存不足", "en": "Low stock"}
    assert columns["status"]["choices"]["pending"] == {"zh": "待推送", "en": "Pending"}
    manager = make_account(email="manager@webhooks.test")
    add_staff(merchant, manager.user.email, "manager")
    assert list(console_pages(client, console, manager)) == ["endpoints", "deliveries"]
    agent = make_account(email="agent@webhooks.test")
    add_staff(merchant, agent.user.email, "agent")
    assert console_pages(client, console, agent) == {}
    # another store's owner reads no console of this store, and the routes behind agree
    assert client.get(console, headers=other_merchant.owner_account.headers).status_code == 403
    # (the agent is refused, 403; another store's staff do not learn the store has any, 404)
    for who, status in ((agent, 403), (other_merchant.owner_account, 404)):
        for page in pages.values():
            path = "/api/v1" + page["path"].replace("{merchant_id}", str(merchant.id))
            assert client.get(path, headers=who.headers).status_code == status, path
    platform = console_pages(client, "/api/v1/admin/console", admin)
    assert list(platform) == ["platform-endpoints", "platform-deliveries"]
    assert {p["scope"] for p in platform.values()} == {"platform"}
    assert {p["group"] for p in platform.values()} == {"platform"}
    assert platform["platform-endpoints"]["path"] == "/admin/webhooks/endpoints"
    assert client.get("/api/v1/admin/console", headers=owner.headers).status_code == 403
    assert client.get("/api/v1/admin/webhooks/deliveries", headers=owner.headers).status_code == 403


def fill(path, merchant, row=None):
    out = path.replace("{merchant_id}", str(merchant.id) if merchant else "")
    for name, value in (row or {}).items():
        out = out.replace("{" + name + "}", str(value))
    return "/api/v1" + out


def test_the_store_pages_routes_answer_as_the_console_calls_them(
    client, merchant, other_merchant, owner, buyer, receiver
):
    pages = console_pages(client, f"/api/v1/merchants/{merchant.id}/console", owner)
    endpoints, deliveries = pages["endpoints"], pages["deliveries"]
    actions = {a["key"]: a for a in endpoints["actions"]}
    created = client.post(
        fill(endpoints["create_path"], merchant),
        json={"url": receiver.url, "event_types": ["order.paid"], "description": "ERP"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.json
    receiver.secrets.append(created.json["secret"])
    # the answer holds what the page shows once; the rotate button's route answers a new one
    assert [c["field"] for c in endpoints["create_reveal"]] == ["secret"]
    rotate = actions["rotate"]
    assert rotate["confirm"] and [c["field"] for c in rotate["reveal"]] == ["secret"]
    rotated = client.post(fill(rotate["path"], merchant, created.json), headers=owner.headers)
    assert rotated.status_code == 200 and rotated.json["secret"] != created.json["secret"]
    receiver.secrets.append(rotated.json["secret"])
    # another store's endpoint and deliveries stay out of this store's pages
    theirs = register(client, other_merchant, other_merchant.owner_account, receiver.url)
    receiver.secrets.append(theirs["secret"])
    (row,) = client.get(fill(endpoints["path"], merchant), headers=owner.headers).json
    assert row["id"] == created.json["id"] and "secret" not in row
    assert {c["field"] for c in endpoints["columns"]} <= set(row)
    for store in (merchant, other_merchant):
        (sku,) = skus_of(make_product(store, prices=(1000,)))
        pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    listed = client.get(fill(deliveries["path"], merchant), headers=owner.headers)
    assert listed.status_code == 200
    (delivery,) = listed.json
    assert delivery["endpoint_id"] == row["id"] and delivery["status"] == "succeeded"
    assert {c["field"] for c in deliveries["columns"]} <= set(delivery)
    assert listed.headers["X-Pagination"]  # the console pages through it
    # the filters are the query the route takes; bad values are clear 422s
    for query, count in (
        (f"?endpoint_id={row['id']}", 1),
        (f"?endpoint_id={theirs['id']}", 0),
        ("?status=succeeded", 1),
        ("?status=failed", 0),
    ):
        answer = client.get(fill(deliveries["path"], merchant) + query, headers=owner.headers)
        assert len(answer.json) == count, query
    for query in ("?status=lost", "?endpoint_id=abc", "?endpoint_id=0"):
        answer = client.get(fill(deliveries["path"], merchant) + query, headers=owner.headers)
        assert answer.status_code == 422 and answer.json["errors"], query
    # redeliver: this store's delivery, not the other store's
    redeliver = fill(deliveries["actions"][0]["path"], merchant, delivery)
    again = client.post(redeliver, headers=owner.headers)
    assert again.status_code == 200 and again.json["status"] == "pending"
    (their_delivery,) = Delivery.select().where(Delivery.endpoint_id == theirs["id"])
    stolen = fill(deliveries["actions"][0]["path"], merchant, {"id": their_delivery.id})
    assert client.post(stolen, headers=owner.headers).status_code == 404
    run_tasks()
    assert Delivery.get_by_id(delivery["id"]).attempts == 2
    # edit (only what was typed), on/off, delete
    edited = client.patch(
        fill(actions["edit"]["path"], merchant, row),
        json={"event_types": ["order.paid", "stock.low"]},
        headers=owner.headers,
    ).json
    assert edited["event_types"] == ["order.paid", "stock.low"] and edited["enabled"]
    assert edited["description"] == "ERP"
    assert list(actions["switch"]["form"]["schema"]["properties"]) == ["enabled"]
    assert actions["switch"]["prefill"] and actions["edit"]["prefill"]  # open with the row's
    switched = client.patch(
        fill(actions["switch"]["path"], merchant, row),
        json={"enabled": False},
        headers=owner.headers,
    ).json
    assert switched["enabled"] is False
    assert client.post(redeliver, headers=owner.headers).status_code == 409  # off: say so
    delete = fill(actions["delete"]["path"], merchant, row)
    assert actions["delete"]["method"] == "DELETE"
    assert client.delete(delete, headers=owner.headers).status_code == 204
    assert client.get(fill(endpoints["path"], merchant), headers=owner.headers).json == []
    assert client.get(fill(deliveries["path"], merchant), headers=owner.headers).json == []


def test_the_platform_pages_routes_answer_as_the_console_calls_them(
    client, admin, merchant, other_merchant, buyer, receiver
):
    pages = console_pages(client, "/api/v1/admin/console", admin)
    endpoints, deliveries = pages["platform-endpoints"], pages["platform-deliveries"]
    created = client.post(
        fill(endpoints["create_path"], None),
        json={"url": receiver.url, "event_types": ["order.placed"]},
        headers=admin.headers,
    )
    assert created.status_code == 201 and created.json["merchant_id"] is None
    receiver.secrets.append(created.json["secret"])
    for store in (merchant, other_merchant):
        (sku,) = skus_of(make_product(store, prices=(1000,)))
        place_order(buyer, [(sku, 1)])
    run_tasks()
    rows = client.get(fill(deliveries["path"], None), headers=admin.headers).json
    assert sorted(r["merchant_id"] for r in rows) == sorted([merchant.id, other_merchant.id])
    assert {c["field"] for c in deliveries["columns"]} <= set(rows[0])
    assert {r["status"] for r in rows} == {"succeeded"}
    # a store's page does not list the platform's deliveries (a platform admin reads it)
    store = client.get(
        f"/api/v1/merchants/{merchant.id}/webhooks/deliveries", headers=admin.headers
    ).json
    assert store == []
    redeliver = fill(deliveries["actions"][0]["path"], None, rows[0])
    assert client.post(redeliver, headers=admin.headers).json["status"] == "pending"


def test_every_event_type_is_named_in_the_console_and_its_hint():
    from mallkit.plugins.webhooks import service
    from mallkit.plugins.webhooks.schemas import EVENT_NAMES, TYPES_HINT

    assert set(EVENT_NAMES) == set(service.EVENT_TYPES)
    for text in TYPES_HINT.values():
        assert all(t in text for t in service.EVENT_TYPES), text


def test_a_delivered_order_event_is_purged_a_month_later(
    app, client, merchant, owner, buyer, receiver
):
    endpoint = register(client, merchant, owner, receiver.url)
    receiver.secrets.append(endpoint["secret"])
    (sku,) = skus_of(make_product(merchant, prices=(1000,)))
    pay_order(place_order(buyer, [(sku, 1)]))
    run_tasks()
    (delivery,) = Delivery.select()
    assert delivery.status == "succeeded"
    assert retention.purge(now=dbm.utcnow() + dt.timedelta(days=29)) == 0
    assert retention.purge(now=dbm.utcnow() + dt.timedelta(days=31)) == 1
    assert not Delivery.select().exists()
