"""The REST edge shared by the core and plugins: the flask-smorest ``Api``, the one JSON error
shape, pagination of peewee queries and the schema base class."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import Flask, jsonify
from flask_smorest import Api, Page
from werkzeug.exceptions import HTTPException

from mallkit.core.db import as_utc
from mallkit.core.errors import MallkitError

log = logging.getLogger("mallkit.api")


class ErrorSchema(ma.Schema):
    """The one error shape (documentation only; errors are rendered by the handlers)."""

    code = ma.fields.String(
        required=True, metadata={"description": "Stable error code", "example": "out_of_stock"}
    )
    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status"})
    message = ma.fields.String(required=True, metadata={"description": "For people"})
    errors = ma.fields.Dict(
        required=True, metadata={"description": "Field errors: field name to messages"}
    )


def _snake(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


class MallkitApi(Api):
    """flask-smorest's Api with mallkit's error shape for every HTTP error."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("messages", {})
        # webargs nests field errors under the location ("json", "query"); flatten one level.
        if isinstance(errors, dict) and len(errors) == 1:
            ((location, inner),) = errors.items()
            if location in ("json", "query", "form", "headers", "files", "view_args"):
                errors = inner
        if isinstance(errors, list):
            errors = {"_body": errors}
        status = error.code or 500
        code = {400: "bad_request", 422: "validation_error", 429: "rate_limited"}.get(
            status, _snake(error.name)
        )
        message = data.get("message") or error.description or error.name
        if status == 422 and not data.get("message"):
            message = "the request does not validate"
        body = {"code": code, "status": status, "message": message, "errors": errors}
        return jsonify(body), status, data.get("headers", {})


class UtcDateTime(ma.fields.DateTime):
    """An ISO 8601 date-time loaded as naive UTC (how times are stored): an offset such as
    ``+08:00`` is converted, a time without one is taken as UTC. Use it for every date-time a
    request sends, so nothing downstream ever compares an aware time with a naive one."""

    def _deserialize(self, value, attr, data, **kwargs):
        return as_utc(super()._deserialize(value, attr, data, **kwargs))


class Schema(ma.Schema):
    """Base of every request/response schema: unknown fields are refused."""

    class Meta:
        unknown = ma.RAISE
        ordered = True


@dataclass(frozen=True)
class Rendered:
    """A query to page and what turns one page of its rows into the response's items (figures
    for the page read in one go): return it from a view paginated with ``PeeweePage``."""

    query: Any
    render: Callable[[list[Any]], list[Any]]


class PeeweePage(Page):
    """flask-smorest pagination over a peewee query (``@blp.paginate(PeeweePage)``), or over a
    :class:`Rendered` query."""

    @property
    def items(self):
        collection = self.collection
        query = collection.query if isinstance(collection, Rendered) else collection
        rows = list(query.paginate(self.page_params.page, self.page_params.page_size))
        return collection.render(rows) if isinstance(collection, Rendered) else rows

    @property
    def item_count(self) -> int:
        collection = self.collection
        return (collection.query if isinstance(collection, Rendered) else collection).count()


def install_error_handlers(app: Flask) -> None:
    """Render mallkit errors, and any unexpected exception, as JSON (never a stack trace)."""

    @app.errorhandler(MallkitError)
    def _mallkit_error(exc: MallkitError):
        return jsonify(exc.to_dict()), exc.status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):
            return app.extensions["mallkit"].api.handle_http_exception(exc)
        log.exception("unhandled error")
        body = {
            "code": "internal_error",
            "status": 500,
            "message": "an unexpected error occurred; it has been logged",
            "errors": {},
        }
        return jsonify(body), 500
