"""Share links on the real database: a share followed from visit to sign-up to paid order,
idempotent creation (also under a race), expiry, the merchant's scoped statistics, and bad
input answered with one clear 4xx and nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from mallkit.core.db import utcnow
from mallkit.core.orders.models import Order
from mallkit.core.shares import service
from mallkit.core.shares.models import ShareLink, ShareSignup, ShareVisit
from mallkit.core.testing import concurrently, count_queries
from tests.core.orders.conftest import ADDRESS, make_product, pay_manually, skus_of

ERROR_KEYS = {"code", "status", "message", "errors"}


def counts():
    return (
        ShareLink.select().count(),
        ShareVisit.select().count(),
        ShareSignup.select().count(),
        Order.select().where(Order.share_id.is_null(False)).count(),
    )


@pytest.fixture
def product(merchant):
    return make_product(merchant, prices=(1990, 2990), stocks=(50, 50))


def share(client, account, **body):
    r = client.post("/api/v1/shares", json=body, headers=account.headers)
    assert r.status_code == 201, r.json
    return r.json


def place(client, account, sku, **extra):
    r = client.post(
        "/api/v1/checkout/place",
        json={"items": [{"sku_id": sku.id, "quantity": 1}], "address": ADDRESS, **extra},
        headers=account.headers,
    )
    assert r.status_code == 201, r.json
    (order,) = r.json
    return order


def test_a_share_from_visit_to_signup_to_paid_order(
    client, enable_plugin, merchant, owner, buyer, product
):
    sku = skus_of(product)[0]
    link = share(
        client,
        buyer,
        kind="product",
        target_id=product.id,
        channel="wechat",
        utm_source="wx",
        utm_medium="social",
        utm_campaign="double11",
    )
    assert link["merchant_id"] == merchant.id and link["sharer_id"] == buyer.user.id
    assert link["url"] == f"http://localhost/s/{link['code']}" and not link["expired"]
    assert len(link["code"]) >= 12 and link["code"].replace("-", "").replace("_", "").isalnum()
    code = link["code"]

    # an anonymous visitor opens it: counted, and told where to go
    r = client.post(f"/api/v1/shares/{code}/visits", json={"device_id": "dev-1"})
    assert r.status_code == 201
    assert (r.json["kind"], r.json["target_id"], r.json["merchant_id"]) == (
        "product",
        product.id,
        merchant.id,
    )
    assert ShareVisit.get_by_id(r.json["visit_id"]).device_id == "dev-1"

    # ... signs up with the code
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "friend@share.test", "password": "friend-pass-1", "share_code": code},
    )
    assert r.status_code == 202, r.json
    r = client.post(
        "/api/v1/auth/login", json={"login": "friend@share.test", "password": "friend-pass-1"}
    )
    friend_id = r.json["user"]["id"]
    assert ShareSignup.get(ShareSignup.user == friend_id).share_id == ShareLink.get(code=code).id
    headers = {"Authorization": f"Bearer {r.json['token']}"}
    # signed in now, the visit knows who it is
    r = client.post(f"/api/v1/shares/{code}/visits", json={}, headers=headers)
    assert r.status_code == 201 and ShareVisit.get_by_id(r.json["visit_id"]).user_id == friend_id

    # ... and buys through it: the order carries its source
    friend = type("Acct", (), {"headers": headers})
    with enable_plugin("payment_manual", merchant):
        placed = place(client, friend, sku, share_code=code)
        assert placed["source"] == {
            "share_code": code,
            "channel": "wechat",
            "utm_source": "wx",
            "utm_medium": "social",
            "utm_campaign": "double11",
        }
        order = Order.get_by_id(placed["id"])
        assert order.share_id == ShareLink.get(code=code).id
        assert pay_manually(merchant, order).status == "paid"
        # an order placed without a code has no source
        assert place(client, friend, sku)["source"] is None
    r = client.get(f"/api/v1/orders/{order.id}", headers=headers)
    assert r.json["source"]["share_code"] == code

    # the store's staff see the figures per link and per sharer
    r = client.get(f"/api/v1/merchants/{merchant.id}/shares", headers=owner.headers)
    assert r.status_code == 200
    (row,) = r.json
    figures = {k: row[k] for k in service.FIGURES}
    assert figures == {
        "visits": 2,
        "signups": 1,
        "orders": 1,
        "paid_orders": 1,
        "paid_amount": order.total,
        "refunded_amount": 0,
    }
    assert row["code"] == code and row["utm_campaign"] == "double11"
    r = client.get(f"/api/v1/merchants/{merchant.id}/shares/sharers", headers=owner.headers)
    (sharer,) = r.json
    assert sharer["sharer_id"] == buyer.user.id and sharer["links"] == 1
    assert (sharer["visits"], sharer["signups"], sharer["paid_amount"]) == (2, 1, order.total)
    # the buyer lists their own links
    r = client.get("/api/v1/shares", headers=buyer.headers)
    assert [s["code"] for s in r.json] == [code]
    assert client.get("/api/v1/shares", headers=headers).json == []


def test_creation_is_idempotent_per_target_and_channel(app, client, merchant, buyer, product):
    first = share(client, buyer, kind="product", target_id=product.id, channel="moments")
    again = share(client, buyer, kind="product", target_id=product.id, channel="moments")
    assert again["code"] == first["code"]
    other_channel = share(client, buyer, kind="product", target_id=product.id, channel="qq")
    store = share(client, buyer, kind="store", target_id=merchant.id, channel="moments")
    assert len({first["code"], other_channel["code"], store["code"]}) == 3
    assert ShareLink.select().count() == 3

    # racing creations get one link
    results = concurrently(
        app,
        lambda i: service.create_share(
            buyer.user.id, merchant.id, "product", product.id, channel="poster"
        ),
        8,
    )
    assert all(isinstance(r, ShareLink) for r in results), results
    assert len({r.code for r in results}) == 1

    # an expired link is followed by a new one
    ShareLink.update(expires_at=utcnow() - dt.timedelta(minutes=1)).where(
        ShareLink.code == first["code"]
    ).execute()
    renewed = share(client, buyer, kind="product", target_id=product.id, channel="moments")
    assert renewed["code"] != first["code"] and not renewed["expired"]
    assert ShareLink.get(code=renewed["code"]).generation == 1
    assert client.get(f"/api/v1/shares/{first['code']}").json["expired"] is True


def test_expired_and_unknown_codes(client, enable_plugin, merchant, buyer, product):
    sku = skus_of(product)[0]
    soon = (utcnow() + dt.timedelta(hours=1)).isoformat()
    link = share(client, buyer, kind="store", target_id=merchant.id, expires_at=soon)
    assert link["expires_at"] is not None
    ShareLink.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    before = counts()

    r = client.post(f"/api/v1/shares/{link['code']}/visits", json={"device_id": "d"})
    assert r.status_code == 410 and r.json["code"] == "share_expired"
    assert set(r.json) == ERROR_KEYS
    r = client.post("/api/v1/shares/no-such-code/visits", json={})
    assert r.status_code == 404 and r.json["code"] == "share_not_found"
    assert client.get("/api/v1/shares/no-such-code").status_code == 404
    assert client.get("/api/v1/shares/no-such-code/qr.svg").json["code"] == "share_not_found"
    assert counts() == before

    # a stale code never costs an account or an order: it is ignored
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "late@share.test", "password": "late-pass-1", "share_code": link["code"]},
    )
    assert r.status_code == 202
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "later@share.test", "password": "late-pass-1", "share_code": "zzz"},
    )
    assert r.status_code == 202
    with enable_plugin("payment_manual", merchant):
        for code in (link["code"], "unknown-code"):
            assert place(client, buyer, sku, share_code=code)["source"] is None
    assert counts() == before


def test_qr_code(client, buyer, product):
    link = share(client, buyer, kind="product", target_id=product.id, channel="qrcode")
    r = client.get(f"/api/v1/shares/{link['code']}/qr.svg")
    assert r.status_code == 200 and r.content_type.startswith("image/svg+xml")
    assert b"<svg" in r.data


def test_statistics_are_scoped_to_the_merchant(
    client, enable_plugin, merchant, other_merchant, owner, buyer, other_buyer, product
):
    other_product = make_product(other_merchant, prices=(500,), stocks=(10,))
    mine = share(client, buyer, kind="product", target_id=product.id)
    theirs = share(client, other_buyer, kind="product", target_id=other_product.id)
    assert theirs["merchant_id"] == other_merchant.id
    client.post(f"/api/v1/shares/{theirs['code']}/visits", json={"device_id": "x"})

    # an order at this store placed with the other store's code is not attributed to it
    with enable_plugin("payment_manual", merchant):
        sku = skus_of(product)[0]
        assert place(client, other_buyer, sku, share_code=theirs["code"])["source"] is None
        assert place(client, other_buyer, sku, share_code=mine["code"])["source"]

    base = f"/api/v1/merchants/{merchant.id}/shares"
    (row,) = client.get(base, headers=owner.headers).json
    assert row["code"] == mine["code"] and (row["visits"], row["orders"]) == (0, 1)
    (sharer,) = client.get(f"{base}/sharers", headers=owner.headers).json
    assert sharer["sharer_id"] == buyer.user.id
    other_owner = other_merchant.owner_account
    theirs_base = f"/api/v1/merchants/{other_merchant.id}/shares"
    (row,) = client.get(theirs_base, headers=other_owner.headers).json
    assert row["code"] == theirs["code"] and (row["visits"], row["orders"]) == (1, 0)
    # nobody reads another store's figures
    for url, who in ((base, other_owner), (theirs_base, owner), (base, buyer)):
        r = client.get(url, headers=who.headers)
        assert r.status_code == 403 and set(r.json) == ERROR_KEYS
        assert client.get(f"{url}/sharers", headers=who.headers).status_code == 403
    assert client.get(base).status_code == 401
    # a page of links costs the same queries whatever its size
    with count_queries() as one:
        assert len(client.get(base, headers=owner.headers).json) == 1
    for channel in ("qq", "poster", "sms"):
        share(client, other_buyer, kind="store", target_id=merchant.id, channel=channel)
    with count_queries() as four:
        assert len(client.get(base, headers=owner.headers).json) == 4
    assert four.count == one.count
    # filters
    assert len(client.get(f"{base}?kind=store", headers=owner.headers).json) == 3
    assert client.get(f"{base}?kind=group", headers=owner.headers).json == []
    assert client.get(f"{base}?kind=BAD!", headers=owner.headers).status_code == 422


def test_bad_input_is_a_clear_4xx_and_writes_nothing(client, merchant, buyer, product):
    hidden = make_product(merchant, name="下架")
    from mallkit.core.catalog.models import Product

    Product.update(is_on_shelf=False).where(Product.id == hidden.id).execute()
    good = {"kind": "product", "target_id": product.id}
    past = (utcnow() - dt.timedelta(hours=1)).isoformat()
    bad = [
        ({**good, "kind": "group"}, 422),  # plugin kinds come from their plugins
        ({**good, "kind": "nope"}, 422),
        ({**good, "target_id": 999999}, 422),
        ({**good, "target_id": hidden.id}, 422),
        ({"kind": "store", "target_id": 999999}, 422),
        ({**good, "channel": "fax"}, 422),
        ({**good, "utm_source": "x" * 101}, 422),
        ({**good, "expires_at": past}, 422),
        ({**good, "surprise": 1}, 422),
        ({"kind": "product"}, 422),
        ([], 422),
    ]
    for body, status in bad:
        r = client.post("/api/v1/shares", json=body, headers=buyer.headers)
        assert r.status_code == status, (body, r.json)
        assert set(r.json) == ERROR_KEYS
    r = client.post("/api/v1/shares", json=good)
    assert r.status_code == 401 and set(r.json) == ERROR_KEYS
    assert counts() == (0, 0, 0, 0)

    code = share(client, buyer, **good)["code"]
    for body in ({"device_id": "a b"}, {"device_id": "x" * 65}, {"other": 1}, "text"):
        r = client.post(f"/api/v1/shares/{code}/visits", json=body)
        assert r.status_code == 422 and set(r.json) == ERROR_KEYS, body
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "x@share.test", "password": "x-pass-123", "share_code": "x" * 33},
    )
    assert r.status_code == 422
    assert counts() == (1, 0, 0, 0)


def test_plugin_api_creates_links_to_plugin_kinds(app, merchant, buyer):
    from mallkit.core import plugin_api

    link = plugin_api.create_share(buyer.user.id, merchant.id, "groupbuy.group", 7)
    assert plugin_api.get_share(link.code, merchant_id=merchant.id).id == link.id
    with pytest.raises(plugin_api.NotFound):
        plugin_api.get_share(link.code, merchant_id=merchant.id + 1)
    assert plugin_api.share_url(link).endswith(f"/s/{link.code}")
    with pytest.raises(plugin_api.ValidationError) as err:
        plugin_api.create_share(buyer.user.id, merchant.id, "Bad Kind", 7)
    assert err.value.code == "invalid_share"


def test_plugins_see_the_share_code_a_buyer_signed_up_with(app, client, buyer, product):
    from tests.sample_plugins import referrals

    code = share(client, buyer, kind="product", target_id=product.id)["code"]
    host = app.extensions["mallkit"].plugins
    host.register(referrals)
    host.finalize()
    referrals.BOUND.clear()
    try:
        for email, sent in (
            ("a@ref.test", code),
            ("b@ref.test", "no-such-code"),
            ("c@ref.test", None),
        ):
            body = {"email": email, "password": "friend-pass-1"}
            if sent:
                body["share_code"] = sent
            assert client.post("/api/v1/auth/register", json=body).status_code == 202
    finally:
        host.unregister("referrals")
    assert [(c, s) for _, c, s in referrals.BOUND] == [
        (code, buyer.user.id),
        ("no-such-code", None),
        (None, None),
    ]
    assert ShareSignup.select().count() == 1
