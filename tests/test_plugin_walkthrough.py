"""docs/plugins.md walks a stamp-card plugin end to end; this test writes the plugin out of
the page, installs it into an app and runs the story, so the walk-through stays true."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import sys
from pathlib import Path

import pytest

from mallkit.core import plugin_settings
from mallkit.core.db import utcnow
from mallkit.core.orders.models import Order
from mallkit.core.tasks.queue import ScheduledTask
from mallkit.core.testing import (
    cancel_order,
    make_account,
    make_product,
    pay_order,
    place_order,
    refund_order,
    run_tasks,
    skus_of,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
FILE_BLOCK = re.compile(r"```python\n# (mallkit_stampcard/[\w/]+\.py)\n(.*?)```", re.S)


@pytest.fixture
def stampcard(tmp_path, monkeypatch):
    text = DOC.read_text(encoding="utf-8")
    files = FILE_BLOCK.findall(text)
    assert {name for name, _ in files} >= {
        "mallkit_stampcard/__init__.py",
        "mallkit_stampcard/models.py",
        "mallkit_stampcard/service.py",
        "mallkit_stampcard/api.py",
        "mallkit_stampcard/migrations/0001_stamp.py",
    }
    for name, body in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    (tmp_path / "mallkit_stampcard" / "migrations" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("mallkit_stampcard")
    yield module
    for name in [m for m in sys.modules if m.startswith("mallkit_stampcard")]:
        del sys.modules[name]


def test_the_stamp_card_walk_through_runs_as_written(make_app, stampcard):
    app = make_app(plugins=[stampcard])
    client = app.test_client()
    with app.app_context():
        from mallkit.core.testing import make_merchant

        owner, buyer = make_account(email="o@stamp.io"), make_account(email="b@stamp.io")
        merchant = make_merchant("集点小店", owner.user)
        (sku,) = skus_of(make_product(merchant, prices=(5000,), stocks=(50,)))
        card = f"/api/v1/merchants/{merchant.id}/stampcard"
        assert client.get(card, headers=buyer.headers).status_code == 404  # not enabled
        plugin_settings.enable(merchant, "stampcard", {"stamps_needed": 2, "reward": 800})
        from mallkit_stampcard.models import Stamp

        redeem = {"plugins": {"stampcard": {"redeem": True}}}

        # Asking too early: the reward is offered as unusable, the order pays in full.
        early = place_order(buyer, [(sku, 1)], options=redeem)
        assert early.total == 5000
        pay_order(early)
        pay_order(place_order(buyer, [(sku, 1)]))
        assert client.get(card, headers=buyer.headers).json == {
            "stamps": 2,
            "needed": 2,
            "reward": 800,
        }

        # A full card: the reward comes off, apportioned to the lines; the stamps are spent.
        rewarded = place_order(buyer, [(sku, 2)], options=redeem)
        assert rewarded.total == 2 * 5000 - 800
        assert client.get(card, headers=buyer.headers).json["stamps"] == 0
        # Cancelled before payment: the stamps come back.
        cancel_order(rewarded)
        assert client.get(card, headers=buyer.headers).json["stamps"] == 2

        # Bad options are refused before anything is written.
        r = client.post(
            "/api/v1/checkout/place",
            json={
                "items": [{"sku_id": sku.id, "quantity": 1}],
                "address": {
                    "recipient": "张三",
                    "phone": "13800000000",
                    "province": "上海市",
                    "city": "上海市",
                    "district": "浦东新区",
                    "detail": "1 号",
                },
                "merchants": [
                    {"merchant_id": merchant.id, "plugins": {"stampcard": {"redeem": "yes"}}}
                ],
            },
            headers=buyer.headers,
        )
        assert (r.status_code, r.json["code"]) == (422, "invalid_plugin_options")

        # The store switches the plugin off; a refund of an order stamped while it was on
        # still takes the stamp back.
        plugin_settings.disable(merchant, "stampcard")
        assert client.get(card, headers=buyer.headers).status_code == 404
        refund = refund_order(Order.get_by_id(early.id))
        assert refund.status == "succeeded"
        plugin_settings.enable(merchant, "stampcard", {"valid_days": 30})
        assert client.get(card, headers=buyer.headers).json["stamps"] == 1

        # The daily expiry runs at 03:00 store time (Asia/Shanghai = 19:00 UTC the day
        # before): a stamp older than valid_days expires, a fresh one stays.
        stale = Stamp.select().where(Stamp.status == "active").order_by(Stamp.id).first()
        Stamp.update(earned_at=utcnow() - dt.timedelta(days=31)).where(
            Stamp.id == stale.id
        ).execute()
        pay_order(place_order(buyer, [(sku, 1)]))
        assert client.get(card, headers=buyer.headers).json["stamps"] == 2
        (task,) = ScheduledTask.select().where(
            (ScheduledTask.kind == "stampcard.expire") & (ScheduledTask.status == "pending")
        )
        assert (task.run_at.hour, task.run_at.minute) == (19, 0)
        run_tasks(at=task.run_at - dt.timedelta(minutes=1))  # other due work, not the expiry
        assert ScheduledTask.get_by_id(task.id).status == "pending"
        assert Stamp.get_by_id(stale.id).status == "active"
        run_tasks(at=task.run_at)
        assert ScheduledTask.get_by_id(task.id).status == "done"
        assert client.get(card, headers=buyer.headers).json["stamps"] == 1
        assert Stamp.get_by_id(stale.id).status == "expired"
