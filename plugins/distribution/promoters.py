"""Promoters and bindings: who becomes a promoter (by the store's mode), who a buyer belongs
to (share link, promoter code, registration, staff), and who earns on an order.

Rules (docs/plugins/distribution.md):

- A buyer is bound to at most one promoter per store (a unique row; racing binds keep one).
  ``binding_rule``: ``first`` keeps a live binding, ``latest`` moves it to the newest sharer,
  ``registration`` binds only at sign-up. ``binding_days`` > 0 makes a binding lapse.
- Nobody binds to themselves, to a frozen promoter, or so that the chain of uplines loops.
- A promoter's upline (``parent_id``) is their live binding when they become a promoter and is
  fixed from then on: only staff re-bind it (audited), never a share.
- On an order: level 1 is the buyer themselves when they are a promoter and
  ``self_commission`` is on; otherwise a promoter buyer's upline, or a buyer's live binding.
  Level 2 is level 1's upline (with ``levels`` = 2). Frozen promoters earn nothing new; the
  other level still earns.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import peewee as pw

from mallkit.core.plugin_api import (
    Conflict,
    Merchant,
    NotFound,
    Order,
    ShareLink,
    User,
    ValidationError,
    database,
    get_share,
    merchant_plugins,
    record_audit,
    transaction,
    utcnow,
)
from mallkit.plugins.distribution.models import (
    ACTIVE,
    APPROVED,
    PENDING,
    REJECTED,
    Application,
    Binding,
    Promoter,
    PromoterGroup,
)
from mallkit.plugins.distribution.schemas import DistributionConfig

PLUGIN = "distribution"
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_DEFAULTS = DistributionConfig().load({})


def settings(merchant_id: int) -> dict[str, Any]:
    """The store's settings (the defaults for what it never set, or once switched off: an
    order placed before still settles)."""
    return {**_DEFAULTS, **merchant_plugins(merchant_id).config(PLUGIN)}


def enabled(merchant_id: int) -> bool:
    return merchant_plugins(merchant_id).is_enabled(PLUGIN)


def store_day(merchant_id: int, at: dt.datetime | None = None) -> dt.date:
    tz = Merchant.select(Merchant.timezone).where(Merchant.id == merchant_id).scalar()
    at = at or utcnow()
    return at.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(tz or "UTC")).date()


def day_start_utc(merchant_id: int, day: dt.date) -> dt.datetime:
    tz = Merchant.select(Merchant.timezone).where(Merchant.id == merchant_id).scalar()
    local = dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(tz or "UTC"))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


# -- promoters -------------------------------------------------------------------------------


def promoter_of(merchant_id: int, user_id: int) -> Promoter | None:
    return Promoter.get_or_none(
        (Promoter.merchant_id == merchant_id) & (Promoter.user_id == user_id)
    )


def get_promoter(merchant_id: int, promoter_id: int) -> Promoter:
    row = Promoter.get_or_none((Promoter.id == promoter_id) & (Promoter.merchant_id == merchant_id))
    if row is None:
        raise NotFound("no such promoter", code="promoter_not_found")
    return row


def require_promoter(merchant_id: int, user_id: int) -> Promoter:
    row = promoter_of(merchant_id, user_id)
    if row is None:
        raise NotFound("you are not a promoter of this store", code="not_a_promoter")
    return row


def _check_group(merchant_id: int, group_id: int | None) -> None:
    if group_id is None:
        return
    if (
        not PromoterGroup.select()
        .where((PromoterGroup.id == group_id) & (PromoterGroup.merchant_id == merchant_id))
        .exists()
    ):
        raise ValidationError(
            "no such promoter group", code="group_not_found", errors={"group_id": ["Unknown."]}
        )


def make_promoter(
    merchant_id: int, user_id: int, source: str, *, group_id: int | None = None
) -> Promoter:
    """Make the buyer a promoter of the store (or return them when they already are). Their
    live binding becomes their fixed upline."""
    existing = promoter_of(merchant_id, user_id)
    if existing is not None:
        return existing
    _check_group(merchant_id, group_id)
    binding = live_binding(merchant_id, user_id)
    for _ in range(5):
        try:
            with transaction():  # a savepoint: the unique (store, user) decides a race
                return Promoter.create(
                    merchant_id=merchant_id,
                    user_id=user_id,
                    code="".join(secrets.choice(_CODE_ALPHABET) for _ in range(8)),
                    group_id=group_id,
                    parent_id=binding.promoter_id if binding else None,
                    source=source,
                )
        except pw.IntegrityError:
            existing = promoter_of(merchant_id, user_id)
            if existing is not None:
                return existing  # another request made them a promoter
            # else the random code clashed: try another
    raise RuntimeError("could not create a promoter")  # pragma: no cover


def join(merchant_id: int, user_id: int) -> Promoter:
    """A buyer becomes a promoter themselves: in mode ``everyone`` always, in mode ``spend``
    once their paid spend at the store reaches the threshold."""
    config = settings(merchant_id)
    mode = config["promoter_mode"]
    with transaction():
        if mode == "everyone":
            return make_promoter(merchant_id, user_id, "everyone")
        if mode == "spend":
            spent = paid_spend(merchant_id, user_id)
            if spent >= config["spend_threshold"]:
                return make_promoter(merchant_id, user_id, "spend")
            raise Conflict(
                f"spend {config['spend_threshold'] - spent} fen more at this store to become a "
                "promoter",
                code="spend_threshold_not_reached",
                errors={"spent": spent, "threshold": config["spend_threshold"]},
            )
    code = "apply_to_join" if mode == "apply" else "promoters_appointed"
    raise Conflict(
        "this store's promoters apply and are approved"
        if mode == "apply"
        else "this store's promoters are appointed by its staff",
        code=code,
    )


def paid_spend(merchant_id: int, user_id: int) -> int:
    """What the buyer paid the store, refunds taken off (fen)."""
    total = (
        Order.select(pw.fn.COALESCE(pw.fn.SUM(Order.paid_amount - Order.refunded_amount), 0))
        .where(
            (Order.merchant_id == merchant_id)
            & (Order.buyer_id == user_id)
            & Order.paid_at.is_null(False)
        )
        .scalar()
    )
    return int(total or 0)


def after_payment(order: Order) -> None:
    """Mode ``spend``: the buyer becomes a promoter once their paid spend reaches the
    threshold."""
    config = settings(order.merchant_id)
    if config["promoter_mode"] != "spend" or not enabled(order.merchant_id):
        return
    if promoter_of(order.merchant_id, order.buyer_id) is not None:
        return
    if paid_spend(order.merchant_id, order.buyer_id) >= config["spend_threshold"]:
        make_promoter(order.merchant_id, order.buyer_id, "spend")


def appoint(merchant_id: int, user_id: int, group_id: int | None, actor_id: int) -> Promoter:
    if User.get_or_none(User.id == user_id) is None:
        raise ValidationError(
            "no such user", code="user_not_found", errors={"user_id": ["Unknown."]}
        )
    with transaction():
        if promoter_of(merchant_id, user_id) is not None:
            raise Conflict("already a promoter", code="already_promoter")
        promoter = make_promoter(merchant_id, user_id, "appointed", group_id=group_id)
        record_audit(
            "distribution.promoter_appointed",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="distribution_promoter",
            target_id=promoter.id,
            after={"user_id": user_id, "group_id": group_id},
        )
    return promoter


def update_promoter(
    merchant_id: int, promoter_id: int, changes: dict[str, Any], actor_id: int
) -> Promoter:
    """Freeze/unfreeze (a frozen promoter earns nothing new; what they earned still settles)
    or move them to another group."""
    with transaction():
        promoter = get_promoter(merchant_id, promoter_id)
        if "group_id" in changes:
            _check_group(merchant_id, changes["group_id"])
        before = {k: getattr(promoter, k) for k in changes}
        if changes:
            Promoter.update(**changes).where(Promoter.id == promoter.id).execute()
        record_audit(
            "distribution.promoter_updated",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="distribution_promoter",
            target_id=promoter.id,
            before=before,
            after=changes,
        )
    return Promoter.get_by_id(promoter.id)


# -- applications ----------------------------------------------------------------------------


def apply(merchant_id: int, user_id: int, answers: dict[str, str]) -> Application:
    config = settings(merchant_id)
    if config["promoter_mode"] != "apply":
        raise Conflict("this store does not take applications", code="applications_closed")
    if promoter_of(merchant_id, user_id) is not None:
        raise Conflict("already a promoter", code="already_promoter")
    form = config["application_fields"]
    names = {f["name"] for f in form}
    errors = {k: ["Not a field of this form."] for k in answers if k not in names}
    errors.update(
        {
            f["name"]: ["Required."]
            for f in form
            if f["required"] and not (answers.get(f["name"]) or "").strip()
        }
    )
    if errors:
        raise ValidationError("the application is incomplete", errors={"fields": errors})
    try:
        with transaction():
            return Application.create(
                merchant_id=merchant_id,
                user_id=user_id,
                fields={k: v.strip() for k, v in answers.items()},
                open_key=f"{merchant_id}:{user_id}",
            )
    except pw.IntegrityError:
        raise Conflict(
            "you have an application waiting for review", code="application_pending"
        ) from None


def review(
    merchant_id: int, application_id: int, approve: bool, reason: str, actor_id: int
) -> Application:
    with transaction():
        app = Application.get_or_none(
            (Application.id == application_id) & (Application.merchant_id == merchant_id)
        )
        if app is None:
            raise NotFound("no such application", code="application_not_found")
        won = (
            Application.update(
                status=APPROVED if approve else REJECTED,
                reason=reason,
                open_key=None,
                reviewed_by=actor_id,
                reviewed_at=utcnow(),
            )
            .where((Application.id == app.id) & (Application.status == PENDING))
            .execute()
        )
        if not won:
            raise Conflict(
                f"the application is {Application.get_by_id(app.id).status}",
                code="application_reviewed",
                errors={"status": Application.get_by_id(app.id).status},
            )
        if approve:
            make_promoter(merchant_id, app.user_id, "application")
        record_audit(
            "distribution.application_" + ("approved" if approve else "rejected"),
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="distribution_application",
            target_id=app.id,
            after={"reason": reason},
        )
    return Application.get_by_id(app.id)


def latest_application(merchant_id: int, user_id: int) -> Application | None:
    return (
        Application.select()
        .where((Application.merchant_id == merchant_id) & (Application.user_id == user_id))
        .order_by(Application.id.desc())
        .first()
    )


# -- binding ---------------------------------------------------------------------------------


def live_binding(merchant_id: int, user_id: int, at: dt.datetime | None = None) -> Binding | None:
    row = Binding.get_or_none((Binding.merchant_id == merchant_id) & (Binding.user_id == user_id))
    if row is None or (row.expires_at is not None and row.expires_at <= (at or utcnow())):
        return None
    return row


def _chain_has(promoter: Promoter, user_id: int) -> bool:
    """Whether ``user_id`` is ``promoter`` or one of its uplines."""
    seen: set[int] = set()
    current: Promoter | None = promoter
    while current is not None and current.id not in seen:
        if current.user_id == user_id:
            return True
        seen.add(current.id)
        current = (
            Promoter.get_or_none(Promoter.id == current.parent_id) if current.parent_id else None
        )
    return False


def _refuse(message: str, code: str) -> None:
    raise Conflict(message, code=code)


def bind(
    merchant_id: int,
    user_id: int,
    promoter: Promoter,
    source: str,
    *,
    share_code: str = "",
) -> Binding | None:
    """Bind the buyer to ``promoter`` by the store's rule; returns the binding made, or None
    when the rule keeps the buyer where they are. Refusals (self, loop, frozen, fixed upline,
    registration-only) raise ``Conflict`` with a code."""
    config = settings(merchant_id)
    if promoter.merchant_id != merchant_id:
        raise NotFound("no such promoter", code="promoter_not_found")
    if promoter.user_id == user_id:
        _refuse("a buyer cannot bind to themselves", "self_binding")
    if promoter.status != ACTIVE:
        _refuse("this promoter is frozen", "promoter_frozen")
    if _chain_has(promoter, user_id):
        _refuse("the binding would make a loop of uplines", "binding_loop")
    if promoter_of(merchant_id, user_id) is not None:
        _refuse("a promoter's upline is fixed", "binding_fixed")
    if config["binding_rule"] == "registration" and source != "registration":
        _refuse("this store binds buyers only when they sign up", "binding_at_registration_only")
    now = utcnow()
    days = config["binding_days"]
    expires = now + dt.timedelta(days=days) if days else None
    fields = dict(
        promoter_id=promoter.id,
        source=source,
        share_code=share_code,
        bound_at=now,
        expires_at=expires,
    )
    with transaction():
        try:
            with transaction():  # a savepoint: the unique (store, user) keeps one binding
                return Binding.create(merchant_id=merchant_id, user_id=user_id, **fields)
        except pw.IntegrityError:
            pass
        current = Binding.get((Binding.merchant_id == merchant_id) & (Binding.user_id == user_id))
        lapsed = current.expires_at is not None and current.expires_at <= now
        if current.promoter_id == promoter.id and not lapsed:
            return None
        if not lapsed and config["binding_rule"] != "latest":
            return None  # first share wins (or registration only): the live binding stays
        won = (
            Binding.update(**fields)
            .where((Binding.id == current.id) & (Binding.bound_at == current.bound_at))
            .execute()
        )
        return Binding.get_by_id(current.id) if won else None


def sharer_promoter(merchant_id: int, share: ShareLink) -> Promoter | None:
    """The promoter behind a share of the store; in mode ``everyone`` a sharer who is not a
    promoter yet becomes one."""
    if share.merchant_id != merchant_id:
        return None
    promoter = promoter_of(merchant_id, share.sharer_id)
    if promoter is None and settings(merchant_id)["promoter_mode"] == "everyone":
        promoter = make_promoter(merchant_id, share.sharer_id, "everyone")
    return promoter


def bind_by_request(merchant_id: int, user_id: int, data: dict[str, Any]) -> Binding:
    """A signed-in buyer opened a share link or entered a promoter code."""
    with transaction():
        if data.get("share_code"):
            try:
                share = get_share(data["share_code"], merchant_id=merchant_id)
            except NotFound:
                raise NotFound("no such share code", code="share_not_found") from None
            if share.is_expired():
                raise Conflict("the share link has expired", code="share_expired")
            promoter = sharer_promoter(merchant_id, share)
            source, code = "share", share.code
        else:
            promoter = Promoter.get_or_none(
                (Promoter.code == data["promoter_code"].strip().upper())
                & (Promoter.merchant_id == merchant_id)
            )
            source, code = "code", ""
        if promoter is None:
            raise NotFound("no such promoter", code="promoter_not_found")
        bind(merchant_id, user_id, promoter, source, share_code=code)
        binding = live_binding(merchant_id, user_id)
    if binding is None:  # pragma: no cover - bind refuses or a live binding exists
        raise Conflict("not bound", code="not_bound")
    return binding


def quietly_bind(merchant_id: int, user_id: int, share: ShareLink, source: str) -> None:
    """Bind through a share seen at sign-up or checkout; a refusal changes nothing and never
    refuses the sign-up or the order."""
    try:
        with transaction():
            promoter = sharer_promoter(merchant_id, share)
            if promoter is not None:
                bind(merchant_id, user_id, promoter, source, share_code=share.code)
    except (Conflict, NotFound):
        pass


def on_registered(user: User, share_code: str | None) -> None:
    if not share_code:
        return
    try:
        share = get_share(share_code)
    except NotFound:
        return
    if share.is_expired() or not enabled(share.merchant_id):
        return
    quietly_bind(share.merchant_id, user.id, share, "registration")


def rebind(merchant_id: int, data: dict[str, Any], actor_id: int) -> Binding:
    """Staff move a buyer (or a promoter's fixed upline) to another promoter, audited."""
    user_id = data["user_id"]
    with transaction():
        target = get_promoter(merchant_id, data["promoter_id"])
        if target.user_id == user_id:
            _refuse("a buyer cannot bind to themselves", "self_binding")
        if _chain_has(target, user_id):
            _refuse("the binding would make a loop of uplines", "binding_loop")
        if User.get_or_none(User.id == user_id) is None:
            raise ValidationError("no such user", errors={"user_id": ["Unknown."]})
        before = Binding.get_or_none(
            (Binding.merchant_id == merchant_id) & (Binding.user_id == user_id)
        )
        fields = dict(promoter_id=target.id, source="staff", share_code="", bound_at=utcnow())
        fields["expires_at"] = None
        if before is None:
            Binding.create(merchant_id=merchant_id, user_id=user_id, **fields)
        else:
            Binding.update(**fields).where(Binding.id == before.id).execute()
        promoter = promoter_of(merchant_id, user_id)
        if promoter is not None:
            Promoter.update(parent_id=target.id).where(Promoter.id == promoter.id).execute()
        record_audit(
            "distribution.rebound",
            actor_id=actor_id,
            merchant_id=merchant_id,
            target_type="user",
            target_id=user_id,
            before={"promoter_id": before.promoter_id if before else None},
            after={"promoter_id": target.id, "reason": data["reason"]},
        )
    return Binding.get((Binding.merchant_id == merchant_id) & (Binding.user_id == user_id))


# -- who earns on an order -------------------------------------------------------------------


class Earner(NamedTuple):
    """A promoter as commission needs it: with its group's rates (None: no group)."""

    id: int
    user_id: int
    status: str
    parent_id: int | None
    g1: int | None
    g2: int | None
    is_bound: bool


# Plain SQL, built once: building this query with peewee costs ~20x running it, and it runs
# in every payment's transaction. The buyer's own promoter row, their bound promoter and the
# uplines of both, with their groups' rates.
_EARNERS_SQL = """
WITH bound AS (
    SELECT promoter_id FROM distribution_binding
    WHERE merchant_id = {p} AND user_id = {p} AND (expires_at IS NULL OR expires_at > {p})
), near AS (
    SELECT id, parent_id FROM distribution_promoter
    WHERE merchant_id = {p} AND (user_id = {p} OR id IN (SELECT promoter_id FROM bound))
)
SELECT p.id, p.user_id, p.status, p.parent_id, g.level1_bp, g.level2_bp,
       CASE WHEN p.id IN (SELECT promoter_id FROM bound) THEN 1 ELSE 0 END
FROM distribution_promoter p LEFT JOIN distribution_group g ON g.id = p.group_id
WHERE p.id IN (SELECT id FROM near) OR p.id IN (SELECT parent_id FROM near)
"""
_ONE_SQL = """
SELECT p.id, p.user_id, p.status, p.parent_id, g.level1_bp, g.level2_bp, 0
FROM distribution_promoter p LEFT JOIN distribution_group g ON g.id = p.group_id
WHERE p.id = {p}
"""


def _earners(sql: str, params: tuple) -> dict[int, Earner]:
    rows = database.execute_sql(sql.format(p=database.param), params).fetchall()
    return {row[0]: Earner(*row[:6], bool(row[6])) for row in rows}


def order_promoters(merchant_id: int, buyer_id: int) -> tuple[Earner | None, Earner | None]:
    """The promoters earning level 1 and level 2 on the buyer's order now (None: nobody),
    with their groups' rates. Frozen promoters are left out; the other level still earns.
    Usually one query."""
    config = settings(merchant_id)
    now = Binding.expires_at.db_value(utcnow())
    rows = _earners(_EARNERS_SQL, (merchant_id, buyer_id, now, merchant_id, buyer_id))

    def get(promoter_id: int | None) -> Earner | None:
        if promoter_id is None:
            return None
        if promoter_id not in rows:
            rows.update(_earners(_ONE_SQL, (promoter_id,)))
        return rows.get(promoter_id)

    own = next((p for p in rows.values() if p.user_id == buyer_id), None)
    if own is not None and config["self_commission"]:
        level1 = own
    elif own is not None:  # a promoter's purchase goes to their fixed upline
        level1 = get(own.parent_id)
    else:
        level1 = next((p for p in rows.values() if p.is_bound), None)
    level2 = None
    if level1 is not None and config["levels"] >= 2:
        level2 = get(level1.parent_id)
        if level2 is not None and level2.user_id == buyer_id:
            level2 = None  # never earn on your own purchase at level 2
    return (
        level1 if level1 is not None and level1.status == ACTIVE else None,
        level2 if level2 is not None and level2.status == ACTIVE else None,
    )


def on_placed(order: Order) -> None:
    """At checkout: a share link the order came through binds the buyer (by the store's rule)
    before the order is paid (who earns is decided at payment)."""
    if order.share_id:
        share = ShareLink.get_or_none(ShareLink.id == order.share_id)
        if share is not None and share.sharer_id != order.buyer_id:
            quietly_bind(order.merchant_id, order.buyer_id, share, "order")
