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
    for name in ("X-Frame-Options", "Content-Security-Policy", "Strict-Transport-Security"):
        assert len(secure.headers.getlist(name)) == 1, name


@pytest.mark.mallkit_fresh_app
def test_a_header_a_view_sets_itself_is_kept(app):
    @app.route("/own-headers-for-test")
    def own():
        return "", 204, {"X-Frame-Options": "SAMEORIGIN", "content-security-policy": "x"}

    r = app.test_client().get("/own-headers-for-test")
    assert r.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert r.headers.getlist("Content-Security-Policy") == ["x"]
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


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


@pytest.mark.mallkit_fresh_app
def test_behind_a_trusted_proxy_the_client_address_and_scheme_come_from_it(make_app):
    def failed_logins(client, forwarded_for: str) -> list[int]:
        headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"}
        return [
            client.post(
                "/api/v1/auth/login",
                json={"login": f"u{i}@x.io", "password": "bad-guess-1"},
                headers=headers,
            ).status_code
            for i in range(3)
        ]

    behind = make_app(TRUSTED_PROXY_HOPS=1, LOGIN_ADDRESS_RATE_LIMIT="2 per minute")
    client = behind.test_client()
    # Each client address has its own limit; the proxy's own address is not everybody's.
    assert failed_logins(client, "203.0.113.7") == [401, 401, 429]
    assert failed_logins(client, "203.0.113.8") == [401, 401, 429]
    secure = client.get("/api/v1/products", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in secure.headers

    direct = make_app(LOGIN_ADDRESS_RATE_LIMIT="2 per minute")  # no proxy: headers ignored
    client = direct.test_client()
    assert failed_logins(client, "203.0.113.7") == [401, 401, 429]
    assert failed_logins(client, "203.0.113.8") == [429, 429, 429]
    plain = client.get("/api/v1/products", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in plain.headers
