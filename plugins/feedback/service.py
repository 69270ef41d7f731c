"""Feedback rules: buyers send, staff tag, answer and close; counts by category. ``owner``
is the store's merchant id, or None for the platform (its staff are the platform admins)."""

from __future__ import annotations

from typing import Any

import peewee as pw

from mallkit.core.plugin_api import Conflict, NotFound, ValidationError, transaction, utcnow
from mallkit.plugins.feedback.models import ANSWERED, CATEGORIES, CLOSED, NEW, Feedback

Owner = int | None
PLATFORM_MEDIA = 0  # the media store's folder number for photos sent to the platform


def photo_prefix(owner: Owner) -> str:
    return f"/api/v1/media/feedback/{PLATFORM_MEDIA if owner is None else owner}/"


def addressed_to(owner: Owner) -> pw.Expression:
    """Feedback sent to ``owner`` (a store, or None: the platform)."""
    return Feedback.merchant_id.is_null() if owner is None else Feedback.merchant_id == owner


def send(owner: Owner, user_id: int, data: dict[str, Any]) -> Feedback:
    prefix = photo_prefix(owner)
    bad = [i for i, url in enumerate(data.get("photos", [])) if not url.startswith(prefix)]
    if bad or any(".." in url for url in data.get("photos", [])):
        raise ValidationError(
            "photos must be uploaded with this feedback's photo upload first",
            code="invalid_photo",
            errors={"photos": {str(i): [f"Not an upload under {prefix}."] for i in bad}},
        )
    return Feedback.create(merchant_id=owner, user_id=user_id, **data)


def get(owner: Owner, feedback_id: int) -> Feedback:
    row = Feedback.get_or_none((Feedback.id == feedback_id) & addressed_to(owner))
    if row is None:
        raise NotFound("feedback not found", code="feedback_not_found")
    return row


def _move(row: Feedback, sources: tuple[str, ...], changes: dict[str, Any], action: str):
    won = (
        Feedback.update(**changes)
        .where((Feedback.id == row.id) & Feedback.status.in_(sources))
        .execute()
    )
    if not won:
        current = Feedback.get_by_id(row.id).status
        raise Conflict(
            f"{current} feedback cannot be {action}",
            code="invalid_state",
            errors={"status": [current]},
        )
    return Feedback.get_by_id(row.id)


def answer(owner: Owner, feedback_id: int, text: str, staff_id: int) -> Feedback:
    """Answer new feedback (once); the buyer sees the answer with their feedback."""
    with transaction():
        row = get(owner, feedback_id)
        changes = {"status": ANSWERED, "answer": text, "answered_by": staff_id}
        return _move(row, (NEW,), {**changes, "answered_at": utcnow()}, "answered")


def close(owner: Owner, feedback_id: int) -> Feedback:
    with transaction():
        row = get(owner, feedback_id)
        return _move(row, (NEW, ANSWERED), {"status": CLOSED, "closed_at": utcnow()}, "closed")


def tag(owner: Owner, feedback_id: int, tags: list[str]) -> Feedback:
    """Replace the staff's labels (any state)."""
    row = get(owner, feedback_id)
    Feedback.update(tags=list(dict.fromkeys(tags))).where(Feedback.id == row.id).execute()
    return Feedback.get_by_id(row.id)


def stats(owner: Owner) -> dict[str, Any]:
    """Counts by category and by status."""
    rows = (
        Feedback.select(Feedback.category, Feedback.status, pw.fn.COUNT(Feedback.id))
        .where(addressed_to(owner))
        .group_by(Feedback.category, Feedback.status)
        .tuples()
    )
    by_category = {c: 0 for c in CATEGORIES}
    by_status = {s: 0 for s in (NEW, ANSWERED, CLOSED)}
    for category, status, n in rows:
        by_category[category] = by_category.get(category, 0) + n
        by_status[status] = by_status.get(status, 0) + n
    return {"by_category": by_category, "by_status": by_status, "total": sum(by_status.values())}
