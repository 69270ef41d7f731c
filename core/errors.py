"""The one mallkit error hierarchy.

Business code raises these; the API edge renders every one of them — and every HTTP error
Flask or flask-smorest raises — as ``{"code", "status", "message", "errors"}``, where ``code``
is a stable machine-readable string (``out_of_stock``) and ``status`` the HTTP status.
"""

from __future__ import annotations

from typing import Any


class MallkitError(Exception):
    """Base class. Subclasses set ``status`` and a default ``code``."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.errors = errors or {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "status": self.status,
            "message": self.message,
            "errors": self.errors,
        }


class ValidationError(MallkitError):
    """Input that breaks a rule (field errors in ``errors``)."""

    status = 422
    code = "validation_error"


class Unauthorized(MallkitError):
    status = 401
    code = "unauthorized"


class Forbidden(MallkitError):
    status = 403
    code = "forbidden"


class NotFound(MallkitError):
    status = 404
    code = "not_found"


class Conflict(MallkitError):
    """The request conflicts with the current state (a state change lost a race, a duplicate)."""

    status = 409
    code = "conflict"


class RateLimited(MallkitError):
    status = 429
    code = "rate_limited"


class PluginError(MallkitError):
    """A plugin cannot be loaded, enabled or configured."""

    status = 422
    code = "plugin_error"


class PluginLoadError(RuntimeError):
    """An installed plugin is broken or incompatible; start-up stops with this message."""
