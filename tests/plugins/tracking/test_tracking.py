"""Tracking: shipments subscribed with the carrier, the simulator's signed pushes (with
retries) building the trail shown to buyer and staff, and "delivered" starting the
auto-confirm countdown."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest

from mallkit.core.orders.machine import Actor
from mallkit.core.orders.models import Order, OrderEvent
from mallkit.core.orders.service import ship
from mallkit.core.simkit import LoopbackServer, allow_gateway
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.testing import (
    concurrently,
    make_product,
    pay_order,
    place_order,
    run_tasks,
    skus_of,
)
from mallkit.plugins.tracking import service
from mallkit.plugins.tracking.models import TrackedShipment, TrackingEvent
from mallkit.plugins.tracking.simcarrier import SIM
from mallkit.plugins.tracking.simulator import TrackingSimulator

KEY = "k" * 32


def client_sender(app):
    """Deliver the simulator's pushes through the Flask test client."""

    def send(url, headers, body):
        with app.test_client() as c:
            r = c.post(urlsplit(url).path, data=body, headers=headers)
            return r.status_code, r.get_data()

    return send


@pytest.fixture(scope="module")
def simulator_server():
    sim = TrackingSimulator()
    server = LoopbackServer(sim)
    sim.public_url = server.url
    yield sim, server
    server.stop()


@pytest.fixture
def sim(app, simulator_server, monkeypatch):
    sim, server = simulator_server
    assert server.wait_idle()
    allow_gateway(app, sim.public_url)
    sim.parcels.clear()
    sim.faults.clear()
    sim.outbox.queue.clear()
    sim.clock.offset = 0
    sim.outbox.sender = client_sender(app)
    sim.add_customer("store-1", KEY)
    monkeypatch.setattr(SIM, "clock", sim.clock.now)  # the receiver's clock is the sim's
    return sim


@pytest.fixture
def tracking(app, merchant, enable_plugin, sim):
    config = {
        "gateway_url": sim.public_url,
        "customer": "store-1",
        "key": KEY,
        "callback_base_url": "http://shop.test",
    }
    with enable_plugin("tracking", merchant, config) as plugin:
        yield plugin


def shipped_order(buyer, merchant, owner, number="SF1234567890", lines=None, quantity=1):
    sku = skus_of(make_product(merchant, prices=(1000,)))[0]
    order = pay_order(place_order(buyer, [(sku, quantity)]))
    ship(order, Actor("staff", owner.user.id), carrier="SF", tracking_number=number, lines=lines)
    return Order.get_by_id(order.id)


def confirm_at(order):
    task = ScheduledTask.get(
        (ScheduledTask.dedupe_key == f"order.auto_confirm:{order.id}")
        & (ScheduledTask.status == "pending")
    )
    return task.run_at


def test_a_parcel_is_subscribed_and_its_trail_built_from_signed_pushes(
    client, merchant, owner, buyer, tracking, sim
):
    order = shipped_order(buyer, merchant, owner)
    tracked = TrackedShipment.get(TrackedShipment.order_id == order.id)
    assert tracked.status == "pending" and tracked.subscribed_at is None
    assert tracked.callback_url == f"http://shop.test/api/v1/tracking/push/sim/{merchant.id}"
    run_tasks()
    assert TrackedShipment.get_by_id(tracked.id).subscribed_at is not None
    assert ("SF", "SF1234567890") in sim.parcels
    for expected in ("collected", "in_transit", "out_for_delivery"):
        sim.advance("SF1234567890")
        assert sim.outbox.deliver_due() == 1
        assert TrackedShipment.get_by_id(tracked.id).status == expected
    r = client.get(f"/api/v1/orders/{order.id}/tracking", headers=buyer.headers)
    assert r.status_code == 200
    (parcel,) = r.json
    assert parcel["tracking_number"] == "SF1234567890" and parcel["status"] == "out_for_delivery"
    assert [e["status"] for e in parcel["events"]] == [
        "out_for_delivery",
        "in_transit",
        "collected",
    ]
    assert parcel["events"][-1]["description"] == "快件已揽收"
    staff = client.get(
        f"/api/v1/merchants/{merchant.id}/tracking/orders/{order.id}", headers=owner.headers
    )
    assert staff.json == r.json
    assert TrackingEvent.select().count() == 3  # each push carried the whole trail


def test_delivered_starts_the_auto_confirm_countdown_from_the_delivery(
    client, merchant, owner, buyer, tracking, sim
):
    order = shipped_order(buyer, merchant, owner)
    shipped_countdown = confirm_at(order)
    run_tasks()
    for _ in range(3):
        sim.advance("SF1234567890")
    sim.clock.advance(3 * 86400)  # the parcel arrives three days after shipping
    sim.advance("SF1234567890")
    sim.outbox.run_ladder()
    tracked = TrackedShipment.get(TrackedShipment.order_id == order.id)
    assert tracked.status == "delivered"
    delivered = tracked.delivered_at
    assert delivered > dt.datetime.utcnow() + dt.timedelta(days=2)
    assert confirm_at(order) == delivered + dt.timedelta(days=10)  # the store's default
    assert confirm_at(order) > shipped_countdown
    run_tasks(at=shipped_countdown + dt.timedelta(hours=1))
    assert Order.get_by_id(order.id).status == "shipped"  # the old countdown no longer runs
    run_tasks(at=confirm_at(order) + dt.timedelta(minutes=1))
    assert Order.get_by_id(order.id).status == "completed"


def test_a_bad_signature_is_refused_and_the_push_retried(
    client, merchant, owner, buyer, tracking, sim
):
    order = shipped_order(buyer, merchant, owner)
    run_tasks()
    sim.faults[:] = ["bad_signature", "stale_timestamp"]
    sim.advance("SF1234567890")
    sim.outbox.deliver_due()
    assert TrackingEvent.select().count() == 0  # refused, nothing stored
    assert sim.outbox.queue and sim.outbox.queue[0].replies[-1][0] == 401
    (delivery,) = sim.outbox.run_ladder()  # the stale one refused too; the third accepted
    assert [status for status, _ in delivery.replies] == [401, 401, 200]
    assert not sim.outbox.queue
    tracked = TrackedShipment.get(TrackedShipment.order_id == order.id)
    assert tracked.status == "collected"
    assert TrackingEvent.select().count() == 1
    # The same push again (a retry whose answer was lost) stores nothing new.
    headers, body = _signed({"lastResult": sim._trail(sim.parcels[("SF", "SF1234567890")])}, sim)
    r = client.post(f"/api/v1/tracking/push/sim/{merchant.id}", data=body, headers=headers)
    assert r.status_code == 200 and r.json == {"result": True}
    assert TrackingEvent.select().count() == 1


def _signed(payload, sim):
    from mallkit.plugins.tracking.simcarrier import signature

    body = json.dumps({"status": "polling", **payload}).encode()
    ts = str(int(sim.clock.now()))
    return {"X-Track-Timestamp": ts, "X-Track-Signature": signature(KEY, ts, body)}, body


def test_an_exception_does_not_deliver(client, merchant, owner, buyer, tracking, sim):
    order = shipped_order(buyer, merchant, owner, number="YT0001EX")
    before = confirm_at(order)
    run_tasks()
    for _ in range(5):
        sim.advance("YT0001EX")
    sim.outbox.run_ladder()
    tracked = TrackedShipment.get(TrackedShipment.order_id == order.id)
    assert tracked.status == "exception" and tracked.delivered_at is None
    assert confirm_at(order) == before


def test_every_parcel_of_the_order_must_arrive(client, merchant, owner, buyer, tracking, sim):
    sku = skus_of(make_product(merchant, prices=(1000,)))[0]
    order = pay_order(place_order(buyer, [(sku, 2)]))
    staff = Actor("staff", owner.user.id)
    from mallkit.core.orders.models import OrderLine

    line = OrderLine.get(OrderLine.order == order.id)
    ship(order, staff, carrier="SF", tracking_number="SF-A", lines={line.id: 1})
    ship(order, staff, carrier="YTO", tracking_number="YT-B", lines={line.id: 1})
    run_tasks()
    for _ in range(4):
        sim.advance("SF-A")
    sim.outbox.run_ladder()
    before = confirm_at(order)
    assert not OrderEvent.select().where(OrderEvent.action == "auto_confirm_restarted").exists()
    sim.clock.advance(86400)
    for _ in range(4):
        sim.advance("YT-B")
    sim.outbox.run_ladder()
    assert confirm_at(order) > before
    assert OrderEvent.select().where(OrderEvent.action == "auto_confirm_restarted").count() == 1


def test_racing_deliveries_restart_the_countdown_once(app, merchant, owner, buyer, tracking, sim):
    order = shipped_order(buyer, merchant, owner)
    run_tasks()
    for _ in range(4):
        sim.advance("SF1234567890")
    sim.outbox.queue.clear()  # delivered by hand below, four at once
    headers, body = _signed({"lastResult": sim._trail(sim.parcels[("SF", "SF1234567890")])}, sim)
    results = concurrently(
        app, lambda i: service.receive_push("sim", merchant.id, headers, body), 4
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert TrackingEvent.select().count() == 4
    restarted = OrderEvent.select().where(
        (OrderEvent.order == order.id) & (OrderEvent.action == "auto_confirm_restarted")
    )
    assert restarted.count() == 1


def test_staff_refresh_queries_the_carrier(client, merchant, owner, buyer, tracking, sim):
    order = shipped_order(buyer, merchant, owner)
    run_tasks()
    sim.advance("SF1234567890")
    sim.advance("SF1234567890")
    sim.outbox.queue.clear()  # the pushes were lost
    shipment_id = TrackedShipment.get(TrackedShipment.order_id == order.id).shipment_id
    r = client.post(
        f"/api/v1/merchants/{merchant.id}/tracking/shipments/{shipment_id}/refresh",
        headers=owner.headers,
    )
    assert r.status_code == 200 and r.json["status"] == "in_transit"
    assert TrackingEvent.select().count() == 2


def test_trails_are_kept_to_their_buyer_and_store(
    client, merchant, other_merchant, owner, buyer, other_buyer, tracking, sim
):
    order = shipped_order(buyer, merchant, owner)
    assert (
        client.get(f"/api/v1/orders/{order.id}/tracking", headers=other_buyer.headers).status_code
        == 404
    )
    stranger = other_merchant.owner_account.headers
    r = client.get(f"/api/v1/merchants/{merchant.id}/tracking/orders/{order.id}", headers=stranger)
    assert r.status_code == 404
    r = client.post(f"/api/v1/tracking/push/sim/{other_merchant.id}", data=b"{}")
    assert r.status_code == 404  # the plugin is off there
    r = client.post(f"/api/v1/tracking/push/sim/{merchant.id}", data=b"{}")
    assert r.status_code == 401


def test_the_gateway_must_be_allowed(app, merchant, enable_plugin):
    from mallkit.core.errors import ValidationError

    with pytest.raises(ValidationError):
        with enable_plugin(
            "tracking",
            merchant,
            {"gateway_url": "http://169.254.169.254", "customer": "x", "key": KEY},
        ):
            pass


def test_a_push_with_a_signature_or_timestamp_outside_ascii_is_refused(
    client, merchant, tracking, sim
):
    headers, body = _signed({"lastResult": {"com": "SF", "nu": "SF0", "data": []}}, sim)
    url = f"/api/v1/tracking/push/sim/{merchant.id}"
    for bad in (
        {**headers, "X-Track-Signature": "é" * 64},  # a header's bytes read as Latin-1
        {**headers, "X-Track-Timestamp": "²"},  # str.isdigit() says yes, int() says no
    ):
        r = client.post(url, data=body, headers=bad)
        assert r.status_code == 401 and r.json == {"result": False, "message": "invalid push"}
    assert TrackingEvent.select().count() == 0


def test_the_last_two_parcels_delivered_at_once_still_restart_the_countdown(
    app, merchant, owner, buyer, tracking, sim
):
    from mallkit.core.orders.models import OrderLine

    sku = skus_of(make_product(merchant, prices=(1000,), stocks=(100,)))[0]
    staff = Actor("staff", owner.user.id)
    orders = []
    for n in range(6):
        order = pay_order(place_order(buyer, [(sku, 2)]))
        line = OrderLine.get(OrderLine.order == order.id)
        ship(order, staff, carrier="SF", tracking_number=f"SF-{n}A", lines={line.id: 1})
        ship(order, staff, carrier="SF", tracking_number=f"SF-{n}B", lines={line.id: 1})
        orders.append(order)
    run_tasks()
    pushes = []
    for n in range(6):
        for number in (f"SF-{n}A", f"SF-{n}B"):
            for _ in range(4):
                sim.advance(number)
            trail = sim._trail(sim.parcels[("SF", number)])
            pushes.append(_signed({"lastResult": trail}, sim))
    sim.outbox.queue.clear()  # delivered by hand below: both parcels of an order at once
    for n in range(6):
        pair = pushes[2 * n : 2 * n + 2]
        results = concurrently(
            app, lambda i, pair=pair: service.receive_push("sim", merchant.id, *pair[i]), 2
        )
        assert not [r for r in results if isinstance(r, Exception)], results
    for order in orders:
        restarted = OrderEvent.select().where(
            (OrderEvent.order == order.id) & (OrderEvent.action == "auto_confirm_restarted")
        )
        assert restarted.count() == 1, order.id
