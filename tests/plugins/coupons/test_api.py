"""Coupon endpoints: who may do what, and bad input refused with nothing written."""

from __future__ import annotations

import pytest

from mallkit.plugins.coupons.models import CouponTemplate, RedeemCode, UserCoupon
from tests.plugins.coupons.conftest import template


def rows():
    return (
        CouponTemplate.select().count(),
        UserCoupon.select().count(),
        RedeemCode.select().count(),
    )


@pytest.fixture
def both_on(app, merchant, other_merchant, enable_plugin):
    with enable_plugin("coupons", merchant, {}), enable_plugin("coupons", other_merchant, {}):
        yield


GOOD = {
    "name": "满100减20",
    "type": "full_reduction",
    "threshold": 10000,
    "amount": 2000,
    "total": 10,
    "ends_at": "2099-01-01T00:00:00+08:00",
}


def test_staff_manage_templates_buyers_claim_redeem_and_list(
    client, merchant, owner, buyer, other_buyer, shirt, both_on
):
    base = f"/api/v1/merchants/{merchant.id}"
    r = client.post(f"{base}/coupon-templates", json=GOOD, headers=owner.headers)
    assert r.status_code == 201, r.json
    tid = r.json["id"]
    assert r.json["ends_at"].startswith("2098-12-31T16:00")  # stored in UTC
    listed = client.get(f"{base}/coupon-templates", headers=owner.headers).json
    assert [t["id"] for t in listed] == [tid]
    centre = client.get(f"{base}/coupon-centre").json
    assert [t["id"] for t in centre] == [tid]
    by_product = client.get(f"{base}/coupon-centre?product_id={shirt[0].product_id}").json
    assert [t["id"] for t in by_product] == [tid]
    r = client.post(f"{base}/coupon-centre/{tid}/claim", headers=buyer.headers)
    assert r.status_code == 201 and r.json["rules"]["amount"] == 2000
    r = client.post(f"{base}/coupon-centre/{tid}/claim", headers=buyer.headers)
    assert r.status_code == 409 and r.json["code"] == "coupon_limit_reached"
    assert client.post(f"{base}/coupon-centre/{tid}/claim").status_code == 401
    r = client.post(
        f"{base}/coupon-templates/{tid}/issue",
        json={"user_ids": [other_buyer.user.id]},
        headers=owner.headers,
    )
    assert r.status_code == 201 and r.json[0]["channel"] == "issue"
    codes = client.post(
        f"{base}/coupon-templates/{tid}/codes", json={"count": 2}, headers=owner.headers
    ).json["codes"]
    r = client.post(f"{base}/coupons/redeem", json={"code": codes[0]}, headers=other_buyer.headers)
    assert r.status_code == 201 and r.json["channel"] == "code"
    r = client.post(f"{base}/coupons/redeem", json={"code": codes[0]}, headers=buyer.headers)
    assert r.status_code == 409 and r.json["code"] == "redeem_code_used"
    mine = client.get("/api/v1/me/coupons?status=unused", headers=other_buyer.headers).json
    assert sorted(c["channel"] for c in mine) == ["code", "issue"]
    r = client.patch(
        f"{base}/coupon-templates/{tid}", json={"status": "stopped"}, headers=owner.headers
    )
    assert r.status_code == 200 and client.get(f"{base}/coupon-centre").json == []
    stats = client.get(f"{base}/coupon-templates/{tid}/stats", headers=owner.headers).json
    assert (stats["issued"], stats["claimed"], stats["used"]) == (3, 1, 0)


def test_who_may_and_bad_input_writes_nothing(
    client, merchant, other_merchant, owner, buyer, both_on
):
    mine = template(merchant)
    theirs = template(other_merchant)
    base = f"/api/v1/merchants/{merchant.id}"
    # Buyers are not staff; another merchant's template answers 404 under this merchant.
    assert (
        client.post(f"{base}/coupon-templates", json=GOOD, headers=buyer.headers).status_code == 403
    )
    assert (
        client.get(f"{base}/coupon-templates/{theirs.id}", headers=owner.headers).status_code == 404
    )
    r = client.post(f"{base}/coupon-centre/{theirs.id}/claim", headers=buyer.headers)
    assert r.status_code == 404
    r = client.get(f"/api/v1/merchants/{other_merchant.id}/coupon-templates", headers=owner.headers)
    assert r.status_code == 403
    before = rows()
    bad = [
        {**GOOD, "type": "nope"},
        {**GOOD, "amount": 20000},  # above the threshold
        {**GOOD, "type": "discount", "rate": 100},
        {**GOOD, "type": "no_threshold", "threshold": 100},
        {**GOOD, "scope": "products"},
        {**GOOD, "ends_at": None},
        {**GOOD, "starts_at": "2099-02-01T00:00:00Z"},
        {**GOOD, "validity": "relative", "valid_days": 0},
        {**GOOD, "total": 0},
        {**GOOD, "price": 1},
        {**GOOD, "amount": "x"},
    ]
    for body in bad:
        r = client.post(f"{base}/coupon-templates", json=body, headers=owner.headers)
        assert r.status_code == 422, body
        assert set(r.json) == {"code", "status", "message", "errors"}
    for url, body in (
        (f"{base}/coupon-templates/{mine.id}/issue", {"user_ids": [999999]}),
        (f"{base}/coupon-templates/{mine.id}/issue", {"user_ids": []}),
        (f"{base}/coupon-templates/{mine.id}/codes", {"count": 0}),
        (f"{base}/coupon-templates/{mine.id}/codes", {"count": 100000}),
        (f"{base}/coupons/redeem", {"code": "x"}),
    ):
        r = client.post(url, json=body, headers=owner.headers)
        assert r.status_code == 422, (url, body)
    r = client.patch(f"{base}/coupon-templates/{mine.id}", json={"total": 1}, headers=owner.headers)
    assert r.status_code == 200
    from mallkit.plugins.coupons import service

    service.claim(merchant.id, mine.id, buyer.user.id)
    r = client.patch(f"{base}/coupon-templates/{mine.id}", json={"total": 0}, headers=owner.headers)
    assert r.status_code == 422
    assert (
        client.post(
            f"{base}/coupons/redeem", json={"code": "NOSUCHCODE"}, headers=buyer.headers
        ).status_code
        == 404
    )
    assert rows() == (before[0], before[1] + 1, before[2])
    assert CouponTemplate.get_by_id(mine.id).total == 1
    assert client.get("/api/v1/me/coupons").status_code == 401
    assert client.get("/api/v1/me/coupons?status=bogus", headers=buyer.headers).status_code == 422
