"""``Idempotency-Key`` for money-moving POSTs (checkout, payment, refund).

The first request with a key runs and its answer is stored in the same transaction as the
work; a retry with the same key and body gets the stored answer; the same key with another
body is refused. Two concurrent requests with one key: the unique index makes the second wait
for the first and then answer what the first answered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import peewee as pw
from flask import request

from mallkit.core.db import BaseModel, JSONField, transaction, utcnow
from mallkit.core.errors import Conflict, ValidationError

HEADER = "Idempotency-Key"


class IdempotencyKey(BaseModel):
    """A request seen with an ``Idempotency-Key`` and the answer it got."""

    user_id = pw.IntegerField()
    scope = pw.CharField(max_length=32)
    key = pw.CharField(max_length=128)
    request_hash = pw.CharField(max_length=64)
    status = pw.IntegerField(default=0)
    response = JSONField(null=True)
    created_at = pw.DateTimeField(default=utcnow, index=True)  # the retention purge's range

    class Meta:
        indexes = ((("user_id", "scope", "key"), True),)


def request_key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not (1 <= len(key) <= 128) or not key.isprintable():
        raise ValidationError(
            "Idempotency-Key must be 1-128 printable characters",
            errors={HEADER: ["1-128 printable characters."]},
        )
    return key


def _hash(body: Any) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def replay(user_id: int, scope: str, key: str | None, body: Any) -> tuple[Any, int] | None:
    """The stored answer for this key, or ``None`` when the key is new (a cheap look-up done
    before any work, so a retry costs nothing)."""
    if key is None:
        return None
    seen = IdempotencyKey.get_or_none(
        (IdempotencyKey.user_id == user_id)
        & (IdempotencyKey.scope == scope)
        & (IdempotencyKey.key == key)
    )
    if seen is None:
        return None
    if seen.request_hash != _hash(body):
        raise Conflict(
            "this Idempotency-Key was used with another request", code="idempotency_key_reused"
        )
    return seen.response, seen.status


def remember(
    user_id: int, scope: str, key: str | None, body: Any, response: Any, status: int
) -> tuple[Any, int]:
    """Store the answer of work done outside ``run_once`` (work that must not hold a
    transaction, like a gateway call, and is idempotent by itself). When another request with
    the key got there first, its answer wins and is returned."""
    if key is None:
        return response, status
    try:
        with transaction():
            IdempotencyKey.create(
                user_id=user_id,
                scope=scope,
                key=key,
                request_hash=_hash(body),
                response=response,
                status=status,
            )
        return response, status
    except pw.IntegrityError:
        seen = replay(user_id, scope, key, body)
        assert seen is not None
        return seen


def run_once(
    user_id: int, scope: str, key: str | None, body: Any, work: Callable[[], tuple[Any, int]]
) -> tuple[Any, int]:
    """Run ``work`` (returning a JSON-able body and a status) at most once per key.

    ``work`` runs inside the transaction that stores the key, so the work and its recorded
    answer commit together or not at all.
    """
    if key is None:
        with transaction():
            return work()
    digest = _hash(body)
    where = (
        (IdempotencyKey.user_id == user_id)
        & (IdempotencyKey.scope == scope)
        & (IdempotencyKey.key == key)
    )
    with transaction():
        try:
            with transaction():  # a savepoint: only the key insert is undone on a clash
                row = IdempotencyKey.create(
                    user_id=user_id, scope=scope, key=key, request_hash=digest
                )
        except pw.IntegrityError:
            row = None
        if row is not None:
            result, status = work()
            IdempotencyKey.update(response=result, status=status).where(
                IdempotencyKey.id == row.id
            ).execute()
            return result, status
        seen = IdempotencyKey.get(where)
    if seen.request_hash != digest:
        raise Conflict(
            "this Idempotency-Key was used with another request", code="idempotency_key_reused"
        )
    return seen.response, seen.status
