"""The API edge: one JSON error shape, the OpenAPI document and the docs page."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

ERROR_KEYS = {"code", "status", "message", "errors"}


def test_openapi_document_is_valid_and_documents_errors(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    spec = r.json
    validate(spec)
    assert spec["openapi"].startswith("3.")
    error = spec["components"]["schemas"]["Error"]
    assert set(error["required"]) == ERROR_KEYS
    assert error["properties"]["code"]["type"] == "string"
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert {"200", "401", "422", "429"} <= set(login["responses"])
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_interactive_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/docs-assets/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    asset = client.get("/api/docs-assets/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.get_data()) > 100_000


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status"),
    [
        ("get", "/api/v1/nothing-here", {}, 404),
        ("delete", "/api/v1/auth/login", {}, 405),
        (
            "post",
            "/api/v1/auth/login",
            {"data": "{bad json", "content_type": "application/json"},
            400,
        ),
        ("post", "/api/v1/auth/login", {"json": ["not", "an", "object"]}, 422),
        ("post", "/api/v1/auth/login", {"json": {"login": 5, "password": None}}, 422),
        ("get", "/api/v1/admin/merchants", {}, 401),
    ],
)
def test_errors_are_json_in_one_shape(client, method, url, kwargs, status):
    r = getattr(client, method)(url, **kwargs)
    assert r.status_code == status
    assert r.is_json and set(r.json) == ERROR_KEYS
    assert r.json["status"] == status and isinstance(r.json["code"], str)


def test_bad_pagination_is_a_422(client, admin):
    r = client.get("/api/v1/admin/merchants?page=0", headers=admin.headers)
    assert r.status_code == 422 and "page" in r.json["errors"]


def test_unexpected_errors_are_500_json_without_a_trace(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = app.test_client().get("/boom")
    assert r.status_code == 500 and set(r.json) == ERROR_KEYS
    assert "secret internals" not in r.get_data(as_text=True)
    assert "Traceback" not in r.get_data(as_text=True)


def test_request_times_load_as_naive_utc():
    import datetime as dt

    from mallkit.core.api import Schema, UtcDateTime

    class When(Schema):
        at = UtcDateTime()

    assert When().load({"at": "2026-11-22T08:30:00+08:00"})["at"] == dt.datetime(
        2026, 11, 22, 0, 30
    )
    assert When().load({"at": "2026-11-22T00:30:00"})["at"] == dt.datetime(2026, 11, 22, 0, 30)
    assert When().load({"at": "2026-11-22T00:30:00Z"})["at"] == dt.datetime(2026, 11, 22, 0, 30)
