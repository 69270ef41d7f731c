"""The audit log: who changed money, stock, plugin settings or permissions, when, from what
to what."""

from __future__ import annotations

from typing import Any

import peewee as pw
from flask import has_request_context, request

from mallkit.core.db import BaseModel, JSONField, utcnow


class AuditLog(BaseModel):
    """One audited action."""

    at = pw.DateTimeField(default=utcnow, index=True)
    actor_id = pw.IntegerField(null=True)  # user id; None for the system or the CLI
    merchant_id = pw.IntegerField(null=True, index=True)
    action = pw.CharField(max_length=64)
    target_type = pw.CharField(max_length=64, default="")
    target_id = pw.CharField(max_length=64, default="")
    before = JSONField(null=True)
    after = JSONField(null=True)
    ip = pw.CharField(max_length=45, default="")


def record(
    action: str,
    *,
    actor_id: int | None,
    merchant_id: int | None = None,
    target_type: str = "",
    target_id: Any = "",
    before: Any = None,
    after: Any = None,
) -> AuditLog:
    """Write an audit row (call it inside the transaction of the change it describes)."""
    ip = (request.remote_addr or "") if has_request_context() else ""
    return AuditLog.create(
        actor_id=actor_id,
        merchant_id=merchant_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
        ip=ip,
    )
