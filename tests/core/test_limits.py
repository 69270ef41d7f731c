"""The limiter's check before each request runs only where a default, application or
blueprint limit could apply; a view's own limits are checked by their decorator."""

from __future__ import annotations

from flask import Blueprint

from mallkit.core.limits import limiter


def test_a_default_limit_still_applies_to_every_route(make_app):
    app = make_app(RATELIMIT_DEFAULT="3 per minute")
    try:
        client = app.test_client()
        statuses = [client.get("/api/v1/cart").status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
    finally:  # the limiter is one object for every app of the process
        limiter.limit_manager.set_default_limits([])
        limiter.reset()


def test_no_default_limit_means_no_check_before_unlimited_routes(app, client):
    statuses = {client.get("/api/v1/cart").status_code for _ in range(30)}
    assert statuses == {401}


def test_a_blueprint_limit_still_applies_and_other_blueprints_stay_free(make_app):
    app = make_app()
    limited = Blueprint("limited_for_test", __name__)

    @limited.route("/limited-for-test")
    def limited_view():
        return {"ok": True}

    free = Blueprint("free_for_test", __name__)

    @free.route("/free-for-test")
    def free_view():
        return {"ok": True}

    limiter.limit("2 per minute")(limited)
    app.register_blueprint(limited)
    app.register_blueprint(free)
    try:
        client = app.test_client()
        assert [client.get("/limited-for-test").status_code for _ in range(3)] == [200, 200, 429]
        assert {client.get("/free-for-test").status_code for _ in range(5)} == {200}
    finally:
        limiter.limit_manager._blueprint_limits.pop("limited_for_test", None)
        limiter.reset()
