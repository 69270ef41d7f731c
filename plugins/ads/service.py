"""Ads rules: creatives (checks, changes) and serving a placement to a visitor."""

from __future__ import annotations

from typing import Any

from mallkit.core.plugin_api import (
    Merchant,
    NotFound,
    Order,
    User,
    ValidationError,
    foreign_catalog_ids,
    merchant_plugins,
    utcnow,
)
from mallkit.plugins.ads.models import PLACEMENTS, Creative

PLUGIN = "ads"
# How many creatives one placement shows at most (the home banner is a carousel).
SLOTS = {"home_banner": 5, "list_slot": 2, "product_detail": 1, "search_top": 1}
MAX_ID = 2**31 - 1


def _check(merchant_id: int, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    kind, target = data.get("link_type"), str(data.get("link_target", ""))
    if kind in ("product", "category"):
        # ASCII digits within the id columns' integer (str.isdigit() also takes "²")
        if not (target.isascii() and target.isdigit()) or int(target) > MAX_ID:
            errors["link_target"] = [f"A {kind} id."]
        elif foreign_catalog_ids(
            merchant_id, f"{kind}s" if kind == "product" else "categories", [int(target)]
        ):
            errors["link_target"] = [f"Not one of the store's {kind}s."]
    elif kind == "url" and not target.startswith(("https://", "http://")):
        errors["link_target"] = ["An http(s) URL."]
    ends = data.get("ends_at")
    if ends is not None and data.get("starts_at") and ends <= data["starts_at"]:
        errors["ends_at"] = ["After starts_at."]
    if errors:
        raise ValidationError("the ad does not add up", code="invalid_ad", errors=errors)


def get(merchant_id: int, creative_id: int) -> Creative:
    creative = Creative.get_or_none(
        (Creative.id == creative_id) & (Creative.merchant_id == merchant_id)
    )
    if creative is None:
        raise NotFound("no such ad", code="ad_not_found")
    return creative


def create(merchant_id: int, data: dict[str, Any]) -> Creative:
    """A new creative of the store."""
    data = {"starts_at": utcnow(), **data}
    _check(merchant_id, data)
    return Creative.create(merchant_id=merchant_id, **data)


def update(merchant_id: int, creative_id: int, changes: dict[str, Any]) -> Creative:
    """Change a creative; the result is checked as a whole."""
    creative = get(merchant_id, creative_id)
    merged = {f: getattr(creative, f) for f in ("link_type", "link_target", "starts_at", "ends_at")}
    merged |= changes
    _check(merchant_id, merged)
    if changes:
        Creative.update(**changes, updated_at=utcnow()).where(Creative.id == creative.id).execute()
    return Creative.get_by_id(creative.id)


def own_ids(merchant_id: int, creative_ids: list[int]) -> list[int]:
    """Which of ``creative_ids`` are the store's creatives (for the analytics collector, which
    takes ad events only for the store's own ads)."""
    return [
        c.id
        for c in Creative.select(Creative.id).where(
            Creative.id.in_(creative_ids) & (Creative.merchant_id == merchant_id)
        )
    ]


def delete(merchant_id: int, creative_id: int) -> None:
    Creative.delete().where(Creative.id == get(merchant_id, creative_id).id).execute()


def _region(user: User | None, asked: str) -> str:
    """The visitor's region: what the storefront says (the delivery region picked), else the
    province of the buyer's last paid order at any store."""
    if asked or user is None:
        return asked
    last = (
        Order.select(Order.address)
        .where((Order.buyer == user.id) & Order.paid_at.is_null(False))
        .order_by(Order.paid_at.desc())
        .first()
    )
    return str(((last.address if last else None) or {}).get("province") or "")


def serve(merchant_id: int, placement: str, user: User | None, region: str = "") -> list[dict]:
    """The placement's creatives for this visitor now: enabled, inside their schedule, whose
    targeting the visitor matches, highest priority first, at most the placement's slots."""
    now = utcnow()
    candidates = (
        Creative.select()
        .where(
            (Creative.merchant_id == merchant_id)
            & (Creative.placement == placement)
            & (Creative.enabled == True)  # noqa: E712
            & (Creative.starts_at <= now)
            & (Creative.ends_at.is_null() | (Creative.ends_at > now))
        )
        .order_by(Creative.priority.desc(), Creative.id.desc())
    )
    merchant = Merchant.get_by_id(merchant_id)
    hooks = merchant_plugins(merchant_id).hook
    level: str | None = None
    where: str | None = None
    out = []
    for c in candidates:
        if c.segments or c.levels:
            if user is None:
                continue
            if c.levels:
                if level is None:
                    perks = [p for p in hooks.buyer_perks(merchant=merchant, buyer=user) if p]
                    level = str(perks[0].get("level") or "") if perks else ""
                if level not in c.levels:
                    continue
            if c.segments and not any(
                hooks.buyer_in_segment(merchant=merchant, buyer=user, segment_id=s)
                for s in c.segments
            ):
                continue
        if c.regions:
            if where is None:
                where = _region(user, region)
            if where not in c.regions:
                continue
        out.append(view(c))
        if len(out) >= SLOTS[placement]:
            break
    return out


def link_path(creative: Creative) -> str:
    """Where a click goes, for a storefront: an API path for products and categories."""
    if creative.link_type == "product":
        return f"/api/v1/products/{creative.link_target}"
    if creative.link_type == "category":
        return f"/api/v1/products?category_id={creative.link_target}"
    return creative.link_target


def view(c: Creative) -> dict[str, Any]:
    """A creative as a storefront shows it, with what its impression and click events carry."""
    return {
        "id": c.id,
        "placement": c.placement,
        "placement_name": PLACEMENTS[c.placement],
        "title": c.title,
        "image_url": c.image_url,
        "link": {"type": c.link_type, "target": c.link_target, "path": link_path(c)},
        "track": {"ad_id": c.id, "placement": c.placement},
    }
