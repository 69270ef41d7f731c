"""Every documented operation, fed junk: never a 500, always the one JSON error shape, and
nothing written by a refused request."""

from __future__ import annotations

import re

import pytest

from mallkit.core import db as dbm

# Every one of these is invalid for every operation ({} is not: it is a valid cancel).
JUNK_BODIES = [
    {"unknown_field": 1},
    [],
    "text",
    {"id": "x", "name": None, "quantity": -1, "amount": 1.5, "sku_id": "1", "items": "x"},
]


def _row_counts() -> dict[str, int]:
    database = dbm.database
    return {
        t: database.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
        for t in database.get_tables()
        if not t.startswith(("migrations_", "product_search"))
        and t not in ("audit_log", "payment_log", "idempotency_key", "access_token")
    }


def _operations(spec):
    for path, item in spec["paths"].items():
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                yield method, path


@pytest.fixture
def callers(app, admin, owner, buyer, merchant):
    """Real rows behind id 1 (merchant, product, SKU, address, order, cart line), so junk
    reaches the validation of existing objects, not only their 404s."""
    from mallkit.core.accounts.service import save_address
    from mallkit.core.checkout import service as checkout
    from mallkit.core.checkout.cart import add
    from tests.core.orders.conftest import ADDRESS, make_product, skus_of

    sku = skus_of(make_product(merchant))[0]
    address = save_address(buyer.user, ADDRESS)
    checkout.place(
        buyer.user, {"items": [{"sku_id": sku.id, "quantity": 1}], "address_id": address.id}
    )
    add(buyer.user, sku.id, 1)
    return {"admin": admin.headers, "owner": owner.headers, "buyer": buyer.headers, "anonymous": {}}


def test_junk_never_gets_a_500_and_writes_nothing(client, callers, merchant):
    spec = client.get("/api/openapi.json").json
    before = _row_counts()
    seen = 0
    for method, path in _operations(spec):
        if path.startswith("/api/v1/auth/logout"):
            continue  # would revoke the callers' tokens for the rest of the test
        url = re.sub(r"\{[^}]+\}", str(merchant.id), path)
        for who, headers in callers.items():
            if method in ("get", "delete"):
                if method == "delete" and who != "anonymous":
                    continue  # a delete by someone allowed to is not junk
                responses = [getattr(client, method)(url + "?page=-1&bogus=%00", headers=headers)]
            else:
                responses = [
                    getattr(client, method)(url, json=body, headers=headers) for body in JUNK_BODIES
                ]
            for r in responses:
                seen += 1
                assert r.status_code < 500, (method, url, who, r.status_code, r.data[:300])
                if r.status_code >= 400 and r.is_json:
                    assert set(r.json) == {"code", "status", "message", "errors"}, (method, url)
    assert seen > 200
    assert _row_counts() == before
