"""The REST edge shared by the core and plugins: the flask-smorest ``Api``, the one JSON error
shape, pagination of peewee queries and the schema base class."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import Flask, jsonify, request
from flask_smorest import Api, Blueprint, Page
from flask_smorest.pagination import PaginationMetadataSchema
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import IntegerConverter

from mallkit.core.db import as_utc
from mallkit.core.errors import MallkitError, ValidationError

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
        headers = dict(data.get("headers") or {})
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return jsonify(body), status, headers


class UtcDateTime(ma.fields.DateTime):
    """An ISO 8601 date-time loaded as naive UTC (how times are stored): an offset such as
    ``+08:00`` is converted, a time without one is taken as UTC. Use it for every date-time a
    request sends, so nothing downstream ever compares an aware time with a naive one."""

    TIME_ZONE = (
        "UTC, ISO 8601 (`2026-11-26T08:00:00+00:00`); a time sent with another offset is "
        "converted, one sent without an offset is taken as UTC"
    )
    TIME_ZONE_ZH = (
        "UTC 时间，ISO 8601 格式（`2026-11-26T08:00:00+00:00`）；"
        "带其他时区偏移的时间会换算为 UTC，不带偏移的按 UTC 处理"
    )

    # A form in the console takes the time in the browser's own time zone (a date-time
    # input) and sends it as UTC: its hint says that, not the API's wording.
    FORM_TIME_ZONE = "in this computer's time zone"
    FORM_TIME_ZONE_ZH = "按本机时区填写"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        metadata = dict(kwargs.pop("metadata", None) or {})
        described = metadata.get("description")
        metadata["description"] = f"{described} ({self.TIME_ZONE})" if described else self.TIME_ZONE
        # the console's Chinese hint (docs/console.md): a field's own English description
        # without a Chinese twin stays without one, so the console-form test names it
        described_zh = metadata.get("description_zh")
        if described_zh:
            metadata["description_zh"] = f"{described_zh}（{self.TIME_ZONE_ZH}）"
            metadata["form_description"] = {
                "zh": f"{described_zh}（{self.FORM_TIME_ZONE_ZH}）",
                "en": f"{described} ({self.FORM_TIME_ZONE})" if described else "",
            }
        elif not described:
            metadata["description_zh"] = self.TIME_ZONE_ZH
            metadata["form_description"] = {
                "zh": self.FORM_TIME_ZONE_ZH,
                "en": self.FORM_TIME_ZONE[0].upper() + self.FORM_TIME_ZONE[1:],
            }
        super().__init__(*args, metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return as_utc(super()._deserialize(value, attr, data, **kwargs))
        except OverflowError as exc:  # its UTC is before year 1 or after 9999
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from exc

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)  # stored naive UTC: say so
        return super()._serialize(value, attr, obj, **kwargs)


# Integers a request may carry: the database's ``integer`` columns (ids, amounts in fen,
# quantities, pages). Larger ones are refused as field errors before they reach SQL.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _field_problem(field: ma.fields.Field, value: Any) -> str | None:
    """Why ``value`` (as sent) is not acceptable for ``field``, before marshmallow converts
    it: integers must be whole (``1.5`` is refused, not cut to 1), not booleans, and fit the
    ``integer`` columns; text may not hold NUL or other control characters (tab and line
    breaks are fine)."""
    if isinstance(field, ma.fields.List) and isinstance(value, list):
        return next((p for p in (_field_problem(field.inner, v) for v in value) if p), None)
    if isinstance(field, ma.fields.String) and isinstance(value, str):
        return "Control characters are not allowed." if _CONTROL.search(value) else None
    if not isinstance(field, ma.fields.Integer) or value is None:
        return None
    if isinstance(value, bool):
        return "Not a valid integer."
    if isinstance(value, float):
        if not value.is_integer():
            return "Not a whole number."
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _INTEGER_TEXT.fullmatch(text):
            return "Not a valid integer."
        if len(text) > 12:
            return "Too large."
        value = int(text)
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        return f"Between {INT_MIN} and {INT_MAX}."
    return None


class Schema(ma.Schema):
    """Base of every request/response schema: unknown fields are refused, integers must be
    whole and fit the database's integer columns, and text holds no control characters."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _clean_input(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        errors = {}
        for name, field in self.load_fields.items():
            key = field.data_key or name
            if key in data:
                problem = _field_problem(field, data[key])
                if problem:
                    errors[key] = [problem]
        if errors:
            raise ma.ValidationError(errors)
        return data


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
        if self.page_params.page * self.page_params.page_size > INT_MAX:
            raise ValidationError("no such page", errors={"page": ["Too large."]})
        collection = self.collection
        query = collection.query if isinstance(collection, Rendered) else collection
        rows = list(query.paginate(self.page_params.page, self.page_params.page_size))
        return collection.render(rows) if isinstance(collection, Rendered) else rows

    @property
    def item_count(self) -> int:
        collection = self.collection
        return (collection.query if isinstance(collection, Rendered) else collection).count()


# Lists that grow with the catalog count their matches up to this many: an exact COUNT reads
# every match (100,000 visible products: most of a list request's time).
COUNT_CAP = 1000


class CappedCount(int):
    """An item count that stopped at :data:`COUNT_CAP`: there are more items than that."""


def capped_count(query: Any, cap: int | None = None) -> int:
    """The rows of a peewee ``query``, counted up to ``cap`` (default :data:`COUNT_CAP`; a
    :class:`CappedCount` of ``cap`` when there are more): ``SELECT COUNT(*) FROM (... LIMIT
    cap + 1)``."""
    cap = COUNT_CAP if cap is None else cap
    counted = query.order_by().limit(cap + 1).count()
    return CappedCount(cap) if counted > cap else counted


class CappedPaginationMetadataSchema(PaginationMetadataSchema):
    total = ma.fields.Int(
        metadata={
            "description": f"Total number of items, counted up to {COUNT_CAP:,}: when "
            "``capped`` is true there are more (pages past the count are still served)."
        }
    )
    capped = ma.fields.Bool(
        metadata={"description": f"Present and true when more than {COUNT_CAP:,} items match."}
    )


class CappedCountBlueprint(Blueprint):
    """A blueprint whose paginated lists may count up to :data:`COUNT_CAP`
    (:func:`capped_count`): the ``X-Pagination`` header then says ``"capped": true``, its
    ``total`` and pages stop at the cap, and the OpenAPI document says so."""

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        data = Blueprint._make_pagination_metadata(page, page_size, item_count)
        if isinstance(item_count, CappedCount):
            data["capped"] = True
        return data

    def _document_pagination_metadata(self, spec, resp_doc):
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Pagination metadata (the total counted up to a cap)",
            "schema": CappedPaginationMetadataSchema,
        }


class IdConverter(IntegerConverter):
    """``<int:...>`` in routes: a non-negative integer that fits the database's ``integer``
    columns; a longer one is simply not a route (404), never a database error."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


MAX_JSON_DEPTH = 32
_JSON_TOKENS = re.compile(rb'"(?:\\.|[^"\\])*"|[\[\]{}]')


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON body nests arrays/objects deeper than ``limit`` (strings skipped)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(body):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def install_request_guards(app: Flask, api: Api) -> None:
    """Refuse what would otherwise reach the database or the parser badly: route integers
    beyond the ``integer`` columns (404), JSON bodies nested more than 32 deep (400)."""
    app.url_map.converters["int"] = IdConverter
    api.register_converter(
        IdConverter, lambda converter: {"type": "integer", "minimum": 0, "maximum": INT_MAX}
    )

    @app.before_request
    def _json_depth() -> None:
        if request.is_json and request.content_length and json_too_deep(request.get_data()):
            raise MallkitError(
                f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels",
                errors={"_body": ["Nested too deep."]},
            )


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
