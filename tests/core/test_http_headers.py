"""Security headers on every answer, CORS only for configured origins, a body size limit."""

from __future__ import annotations

import pytest


def test_every_answer_carries_the_security_headers(client):
    for r in (client.get("/api/v1/products"), client.get("/api/v1/nope"), client.get("/")):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        assert "Strict-Transport-Security" not in r.headers  # plain HTTP
    docs = client.get("/api/docs")
    assert "script-src 'self'" in docs.headers["Content-Security-Policy"]
    secure = client.get("/api/v1/products", base_url="https://shop.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_cors_is_off_by_default(client):
    r = client.get("/api/v1/products", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers


@pytest.mark.mallkit_fresh_app
def test_cors_allows_only_the_configured_origins(make_app):
    app = make_app(CORS_ORIGINS=["https://shop.example"])
    client = app.test_client()
    ok = client.options(
        "/api/v1/cart",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Idempotency-Key",
        },
    )
    assert ok.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "idempotency-key" in ok.headers["Access-Control-Allow-Headers"].lower()
    other = client.get("/api/v1/products", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_body_over_the_limit_is_413(app, client, buyer):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    r = client.post(
        "/api/v1/cart/lines",
        data=b'{"x": "' + b"a" * 4096 + b'"}',
        content_type="application/json",
        headers=buyer.headers,
    )
    assert r.status_code == 413 and r.json["status"] == 413
