"""The OpenAPI document tells a generated client and a fuzzer the truth: which operations
need a token, that date-times are UTC, and which methods a path allows."""

from __future__ import annotations

import re

PUBLIC_GETS = [
    "/api/v1/products",
    "/api/v1/products/suggest",
    "/api/v1/categories",
    "/api/v1/stores/{merchant_id}",
]


def spec(app):
    return app.extensions["mallkit"].api.spec.to_dict()


def test_storefront_routes_are_documented_as_public(app):
    doc = spec(app)
    for path in PUBLIC_GETS:
        assert doc["paths"][path]["get"].get("security") == [], path
    assert doc["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert doc["paths"]["/api/v1/me"]["get"].get("security", doc["security"]) == [{"bearer": []}]


def test_operations_declared_public_answer_without_a_token(app, client, merchant):
    doc = spec(app)
    checked = 0
    for path, ops in doc["paths"].items():
        op = ops.get("get")
        if not op or op.get("security") != [] or "{" in path.replace("{merchant_id}", ""):
            continue
        url = path.replace("{merchant_id}", str(merchant.id))
        r = client.get(url)
        assert r.status_code != 401, (path, r.json)
        checked += 1
    assert checked >= 5


def test_operations_that_need_a_token_say_so(app, client, merchant):
    doc = spec(app)
    checked = 0
    for path, ops in doc["paths"].items():
        op = ops.get("get")
        if not op or re.search(r"\{(?!merchant_id)", path):
            continue
        url = path.replace("{merchant_id}", str(merchant.id))
        r = client.get(url)
        if r.status_code == 401:
            assert op.get("security", doc["security"]) != [], path
            checked += 1
    assert checked >= 5


def test_date_times_are_documented_and_sent_as_utc(app, client, buyer):
    doc = spec(app)
    token = doc["components"]["schemas"]["TokenOut"]["properties"]["expires_at"]
    assert token["format"] == "date-time" and "UTC" in token["description"]
    r = client.post(
        "/api/v1/auth/login", json={"login": buyer.user.email, "password": buyer.password}
    )
    assert r.json["expires_at"].endswith("+00:00")


def test_405_answers_say_which_methods_are_allowed(client):
    r = client.delete("/api/v1/products")
    assert r.status_code == 405 and r.json["code"] == "method_not_allowed"
    assert "GET" in r.headers["Allow"]


def test_what_answers_without_a_token_is_declared_public(app, client, merchant):
    """Every GET a stranger can read (with every plugin that needs no settings on for the
    store) says so in the document, so a generated client does not send a token it lacks."""
    from mallkit.core import plugin_settings
    from mallkit.core.errors import MallkitError
    from mallkit.core.testing import make_product

    host = app.extensions["mallkit"].plugins
    for name in host.dependency_order():
        if host.plugins[name].meta.level == "merchant":
            try:
                plugin_settings.enable(merchant, name, None)
            except MallkitError:
                pass  # needs settings (a payment channel): its routes stay 404 here
    product = make_product(merchant)
    doc = spec(app)
    answered = []
    for path, ops in doc["paths"].items():
        op = ops.get("get")
        if not op or op.get("security", doc["security"]) == []:
            continue
        url = path.replace("{merchant_id}", str(merchant.id))
        url = url.replace("{product_id}", str(product.id))
        url = re.sub(r"\{[^}]+\}", "1", url)
        if client.get(url).status_code < 300:
            answered.append(path)
    assert not answered, f"answer without a token but declare one: {answered}"
