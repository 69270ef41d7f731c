"""Share-link rules: creating (idempotent), resolving, visits, sign-ups, order attribution and
the merchant's statistics. No HTTP here (``share_url`` reads the request host when there is
one).

Attribution rules (docs/shares.md):

- a *visit* needs a live code: an unknown code is 404 ``share_not_found``, an expired one
  410 ``share_expired``, and nothing is written;
- a *sign-up* or an *order* with an unknown or expired code is not refused: the code is
  ignored and nothing is attributed (nobody loses an account or an order over a stale link);
- an order is attributed to a share of its own merchant only (one share per order, set when
  it is placed and never changed); a user to one share (the one they registered with).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

import peewee as pw
import segno
from flask import current_app, has_request_context, request

from mallkit.core.accounts.merchants.models import Merchant
from mallkit.core.accounts.models import User
from mallkit.core.catalog.browse import visible_products
from mallkit.core.catalog.models import Product
from mallkit.core.db import transaction, utcnow
from mallkit.core.errors import NotFound, ValidationError
from mallkit.core.orders.models import Order
from mallkit.core.plugins import call_isolated, merchant_plugins
from mallkit.core.shares.models import CHANNELS, CORE_KINDS, ShareLink, ShareSignup, ShareVisit

KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}(\.[a-z][a-z0-9_]{0,30})?$")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


def new_code() -> str:
    """12 URL-safe characters from 72 random bits: unguessable, short enough for a link."""
    return secrets.token_urlsafe(9)


# -- creating --------------------------------------------------------------------------------


def _check(kind: str, channel: str, utm: dict[str, str]) -> None:
    errors: dict[str, list[str]] = {}
    if not isinstance(kind, str) or not KIND_RE.match(kind):
        errors["kind"] = ['A kind such as "product", "group" or "myplugin.thing".']
    if channel not in CHANNELS:
        errors["channel"] = [f"One of {', '.join(CHANNELS)}."]
    for name, value in utm.items():
        if name not in UTM_FIELDS:
            errors[name] = ["Unknown field."]
        elif not isinstance(value, str) or len(value) > 100:
            errors[name] = ["Text of at most 100 characters."]
    if errors:
        raise ValidationError("the share link is not valid", code="invalid_share", errors=errors)


def _latest(sharer_id: int, merchant_id: int, kind: str, target_id: int, channel: str):
    return (
        ShareLink.select()
        .where(
            (ShareLink.sharer == sharer_id)
            & (ShareLink.merchant == merchant_id)
            & (ShareLink.kind == kind)
            & (ShareLink.target_id == target_id)
            & (ShareLink.channel == channel)
        )
        .order_by(ShareLink.generation.desc())
        .first()
    )


def create_share(
    sharer_id: int,
    merchant_id: int,
    kind: str,
    target_id: int,
    *,
    channel: str = "link",
    utm: dict[str, str] | None = None,
    expires_at: dt.datetime | None = None,
) -> ShareLink:
    """The sharer's live link to ``kind``/``target_id`` of ``merchant_id`` through
    ``channel``: the existing one while it has not expired (its UTM fields and expiry are
    kept), else a new one. Safe under concurrency: racing calls get the same link.

    The core checks its own kinds (``product``, ``store``); a plugin creating a link to its
    own object (``group``, ``bargain``, ``myplugin.thing``) checks the target itself first.
    """
    utm = {k: v for k, v in (utm or {}).items() if v is not None}
    _check(kind, channel, utm)
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationError(
            "the expiry is in the past",
            code="invalid_share",
            errors={"expires_at": ["In the future."]},
        )
    for _ in range(3):
        latest = _latest(sharer_id, merchant_id, kind, target_id, channel)
        if latest is not None and not latest.is_expired():
            return latest
        try:
            with transaction():  # a savepoint: the unique generation decides a race
                return ShareLink.create(
                    code=new_code(),
                    merchant=merchant_id,
                    sharer=sharer_id,
                    kind=kind,
                    target_id=target_id,
                    channel=channel,
                    generation=latest.generation + 1 if latest is not None else 0,
                    expires_at=expires_at,
                    **utm,
                )
        except pw.IntegrityError:
            continue  # another request created it: read it again
    raise RuntimeError("could not create a share link")  # pragma: no cover


def check_core_target(kind: str, target_id: int) -> int:
    """The merchant of a core target a buyer may share (a product buyers can see, an active
    store); 422 ``invalid_share_target`` otherwise. Other kinds are created by their plugin."""
    if kind == "product":
        row = visible_products().where(Product.id == target_id).first()
        if row is not None:
            return row.merchant_id
    elif kind == "store":
        store = Merchant.get_or_none((Merchant.id == target_id) & (Merchant.is_active == True))  # noqa: E712
        if store is not None:
            return store.id
    else:
        raise ValidationError(
            f"share links to {kind!r} are created by the plugin that owns them",
            code="invalid_share_target",
            errors={"kind": [f"One of {', '.join(CORE_KINDS)} here."]},
        )
    raise ValidationError(
        f"no such {kind}", code="invalid_share_target", errors={"target_id": [f"Unknown {kind}."]}
    )


# -- reading ---------------------------------------------------------------------------------


def get_share(code: str, *, merchant_id: int | None = None) -> ShareLink:
    """The share link with ``code`` (of ``merchant_id`` when given), expired or not; 404
    ``share_not_found`` otherwise."""
    share = None
    if isinstance(code, str) and CODE_RE.match(code):
        query = ShareLink.code == code
        if merchant_id is not None:
            query &= ShareLink.merchant == merchant_id
        share = ShareLink.get_or_none(query)
    if share is None:
        raise NotFound("no such share code", code="share_not_found")
    return share


def live_share(code: str, *, merchant_id: int | None = None) -> ShareLink:
    """Like :func:`get_share`, and 410 ``share_expired`` for an expired link."""
    share = get_share(code, merchant_id=merchant_id)
    if share.is_expired():
        raise NotFound("the share link has expired", code="share_expired", status=410)
    return share


def find_live_share(code: Any) -> ShareLink | None:
    """The live share link with ``code``, or None (unknown, expired, not a code at all)."""
    try:
        return live_share(code) if code else None
    except NotFound:
        return None


def share_url(share: ShareLink) -> str:
    """The public link: ``<SHARE_BASE_URL>/s/<code>`` (else ``PUBLIC_BASE_URL``, else the
    request host). The storefront page there resolves the code with
    ``GET /api/v1/shares/<code>`` and routes by ``kind``."""
    config = current_app.config
    base = config.get("SHARE_BASE_URL") or config.get("PUBLIC_BASE_URL") or ""
    if not base and has_request_context():
        base = request.host_url
    return f"{base.rstrip('/')}/s/{share.code}"


def qr_svg(share: ShareLink) -> str:
    """The link as a QR code (SVG document)."""
    return segno.make(share_url(share), error="m").svg_inline(scale=4)


def share_view(share: ShareLink) -> dict[str, Any]:
    return {
        "code": share.code,
        "url": share_url(share),
        "merchant_id": share.merchant_id,
        "sharer_id": share.sharer_id,
        "kind": share.kind,
        "target_id": share.target_id,
        "channel": share.channel,
        "utm_source": share.utm_source,
        "utm_medium": share.utm_medium,
        "utm_campaign": share.utm_campaign,
        "expires_at": share.expires_at,
        "expired": share.is_expired(),
        "created_at": share.created_at,
    }


# -- attribution -----------------------------------------------------------------------------


def record_visit(code: str, *, user_id: int | None = None, device_id: str = "") -> ShareVisit:
    """Count a visit through a live link (anonymous visits carry a device id), and tell the
    store's plugins (``on_share_visited``, isolated: a failing plugin never loses the visit)."""
    share = live_share(code)
    with transaction():
        visit = ShareVisit.create(
            share=share.id, merchant_id=share.merchant_id, user_id=user_id, device_id=device_id
        )
        call_isolated(
            merchant_plugins(share.merchant_id).hook.on_share_visited, share=share, visit=visit
        )
    return visit


def record_signup(user: User, code: Any) -> ShareSignup | None:
    """Attribute a new account to the live share ``code``; an unknown or expired code is
    ignored (None). Call inside the registration transaction."""
    share = find_live_share(code)
    if share is None:
        return None
    return ShareSignup.create(share=share.id, merchant_id=share.merchant_id, user=user.id)


def source_fields(share: ShareLink | None, merchant_id: int) -> dict[str, Any]:
    """The order columns recording ``share`` as an order's source; empty unless the share
    belongs to the order's merchant ``merchant_id``."""
    if share is None or share.merchant_id != merchant_id:
        return {}
    return {
        "share_id": share.id,
        "share_code": share.code,
        "source_channel": share.channel,
        "utm_source": share.utm_source,
        "utm_medium": share.utm_medium,
        "utm_campaign": share.utm_campaign,
    }


def attribute_order(order: Order, share: ShareLink | None) -> bool:
    """Record ``share`` as the source of ``order`` (a plugin calls it from
    ``on_order_placed``, inside the checkout transaction). Only a share of the order's own
    merchant counts, and only once: an order placed with a ``share_code``, or attributed
    before, keeps its source. Returns whether the order was attributed."""
    changes = source_fields(share, order.merchant_id)
    if not changes:
        return False
    won = Order.update(**changes).where((Order.id == order.id) & Order.share_id.is_null()).execute()
    if won:
        for name, value in changes.items():
            setattr(order, name, value)
    return bool(won)


def order_source(order: Order) -> dict[str, Any] | None:
    """Where ``order`` came from: ``{"share_code", "channel", "utm_source", "utm_medium",
    "utm_campaign"}``, or None when it was not placed through a share link."""
    return order.source


# -- statistics ------------------------------------------------------------------------------


def _counts(merchant_id: int, key, share_ids: pw.Node) -> dict[Any, dict[str, int]]:
    """Visits, sign-ups, orders, paid orders and paid amount of the links ``share_ids``
    (a subquery of this merchant's links), grouped by ``key`` (a ShareLink column)."""
    out: dict[Any, dict[str, int]] = {}

    def put(rows, *names):
        for row in rows:
            entry = out.setdefault(row[0], {})
            for name, value in zip(names, row[1:], strict=True):
                entry[name] = int(value or 0)

    put(
        ShareVisit.select(key, pw.fn.COUNT(ShareVisit.id))
        .join(ShareLink)
        .where(ShareVisit.share.in_(share_ids) & (ShareVisit.merchant_id == merchant_id))
        .group_by(key)
        .tuples(),
        "visits",
    )
    put(
        ShareSignup.select(key, pw.fn.COUNT(ShareSignup.id))
        .join(ShareLink)
        .where(ShareSignup.share.in_(share_ids) & (ShareSignup.merchant_id == merchant_id))
        .group_by(key)
        .tuples(),
        "signups",
    )
    paid = Order.paid_at.is_null(False)
    put(
        Order.select(
            key,
            pw.fn.COUNT(Order.id),
            pw.fn.SUM(pw.Case(None, [(paid, 1)], 0)),
            pw.fn.SUM(pw.Case(None, [(paid, Order.paid_amount)], 0)),
            pw.fn.SUM(Order.refunded_amount),
        )
        .join(ShareLink, on=(Order.share_id == ShareLink.id))
        .where(Order.share_id.in_(share_ids) & (Order.merchant == merchant_id))
        .group_by(key)
        .tuples(),
        "orders",
        "paid_orders",
        "paid_amount",
        "refunded_amount",
    )
    return out


FIGURES = ("visits", "signups", "orders", "paid_orders", "paid_amount", "refunded_amount")


def _with_figures(row: dict[str, Any], counts: dict[str, int] | None) -> dict[str, Any]:
    return {**row, **{name: (counts or {}).get(name, 0) for name in FIGURES}}


def merchant_links(merchant_id: int, filters: dict[str, Any]) -> pw.ModelSelect:
    """The merchant's share links, newest first (filters: ``kind``, ``sharer_id``,
    ``channel``, ``utm_campaign``)."""
    query = ShareLink.select().where(ShareLink.merchant == merchant_id)
    if filters.get("kind"):
        query = query.where(ShareLink.kind == filters["kind"])
    if filters.get("sharer_id"):
        query = query.where(ShareLink.sharer == filters["sharer_id"])
    if filters.get("channel"):
        query = query.where(ShareLink.channel == filters["channel"])
    if filters.get("utm_campaign"):
        query = query.where(ShareLink.utm_campaign == filters["utm_campaign"])
    return query.order_by(ShareLink.id.desc())


def link_stats(merchant_id: int, links: list[ShareLink]) -> list[dict[str, Any]]:
    """Each link (of ``merchant_id``) with its figures; five queries for a page of links."""
    ids = [s.id for s in links if s.merchant_id == merchant_id]
    counts = _counts(merchant_id, ShareLink.id, ids) if ids else {}
    return [_with_figures(share_view(s), counts.get(s.id)) for s in links]


def merchant_sharers(merchant_id: int, filters: dict[str, Any]) -> pw.ModelSelect:
    """One row per sharer of the merchant's links (``sharer_id``, ``links``), most links
    first (filter: ``kind``)."""
    query = ShareLink.select(ShareLink.sharer, pw.fn.COUNT(ShareLink.id).alias("links")).where(
        ShareLink.merchant == merchant_id
    )
    if filters.get("kind"):
        query = query.where(ShareLink.kind == filters["kind"])
    return query.group_by(ShareLink.sharer).order_by(
        pw.fn.COUNT(ShareLink.id).desc(), ShareLink.sharer
    )


def sharer_stats(merchant_id: int, rows: list[ShareLink], kind: str | None = None):
    """The figures per sharer for a page of :func:`merchant_sharers` rows."""
    sharer_ids = [r.sharer_id for r in rows]
    if not sharer_ids:
        return []
    links = ShareLink.select(ShareLink.id).where(
        (ShareLink.merchant == merchant_id) & ShareLink.sharer.in_(sharer_ids)
    )
    if kind:
        links = links.where(ShareLink.kind == kind)
    counts = _counts(merchant_id, ShareLink.sharer, links)
    names = {u.id: u.name for u in User.select(User.id, User.name).where(User.id.in_(sharer_ids))}
    return [
        _with_figures(
            {"sharer_id": r.sharer_id, "name": names.get(r.sharer_id, ""), "links": r.links},
            counts.get(r.sharer_id),
        )
        for r in rows
    ]
