"""Membership REST routes, all under ``/merchants/<id>/membership/...`` (404 while the store
has membership off). Buyer routes (``/me``, sign-in, recharges) read and change the caller's
own member row only; staff routes need the store's staff (changes: owner or manager) and
are audited."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields
from peewee import fn

from mallkit.core.plugin_api import (
    Actor,
    Forbidden,
    Merchant,
    NotFound,
    Order,
    PeeweePage,
    Rendered,
    User,
    UtcDateTime,
    configure_plugin,
    plugin_blueprint,
    record_audit,
    require_staff,
    require_user,
    transaction,
    utcnow,
)
from mallkit.core.plugin_api import Schema as ApiSchema
from mallkit.plugins.membership import members, points, segments, signin, wallet
from mallkit.plugins.membership.models import (
    BalanceEntry,
    LevelChange,
    Member,
    PointEntry,
    PointsEvent,
    PriorityOrder,
    Recharge,
    RechargePackage,
    SignIn,
)
from mallkit.plugins.membership.schemas import (
    BalanceEntryOut,
    CouponBoughtOut,
    CouponOfferOut,
    LevelsIn,
    LevelsOut,
    MemberAdjustIn,
    MemberMeOut,
    MemberOut,
    MemberQuery,
    MembershipStatsOut,
    PackageIn,
    PackageOut,
    PackagePatch,
    PointEntryOut,
    PointsEventIn,
    PointsEventOut,
    PointsGoodsOut,
    RechargeIn,
    RechargeOut,
    SegmentIn,
    SegmentOut,
    SignInOut,
    TagsIn,
)

blp = plugin_blueprint("membership", __name__, description="Membership")
BASE = "/merchants/<int:merchant_id>/membership"
MANAGERS = ("owner", "manager")


def _me(merchant_id: int, user_id: int) -> dict:
    member = members.find(merchant_id, user_id) or Member(merchant_id=merchant_id, user_id=user_id)
    table = members.levels(merchant_id)
    level = table[min(member.level, len(table) - 1)]
    nxt = table[level["rank"] + 1] if level["rank"] + 1 < len(table) else None
    today = members.local_date(merchant_id).isoformat()
    return {
        "level": level,
        "next_level": nxt,
        "growth": member.growth,
        "growth_to_next": max(nxt["threshold"] - member.growth, 0) if nxt else None,
        "points": member.points,
        "balance": member.balance,
        "frozen": member.frozen,
        "currency": Merchant.get_by_id(merchant_id).currency,
        "sign_streak": member.sign_streak if member.last_sign_date else 0,
        "signed_today": member.last_sign_date == today,
    }


# -- buyer -----------------------------------------------------------------------------------


@blp.route(f"{BASE}/me")
class Me(MethodView):
    @blp.response(200, MemberMeOut)
    def get(self, merchant_id):
        """My level, progress to the next one, points, balance and sign-in streak."""
        return _me(merchant_id, require_user().id)


@blp.route(f"{BASE}/me/points")
class MyPoints(MethodView):
    @blp.response(200, PointEntryOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """My points ledger, newest first."""
        user = require_user()
        return (
            PointEntry.select()
            .where((PointEntry.merchant_id == merchant_id) & (PointEntry.user_id == user.id))
            .order_by(PointEntry.id.desc())
        )


@blp.route(f"{BASE}/me/balance")
class MyBalance(MethodView):
    @blp.response(200, BalanceEntryOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """My stored-value ledger, newest first."""
        user = require_user()
        return (
            BalanceEntry.select()
            .where((BalanceEntry.merchant_id == merchant_id) & (BalanceEntry.user_id == user.id))
            .order_by(BalanceEntry.id.desc())
        )


@blp.route(f"{BASE}/me/sign-in")
class MySignIn(MethodView):
    @blp.response(201, SignInOut)
    def post(self, merchant_id):
        """Sign in for today (store time); 409 ``already_signed_in`` the second time."""
        user = require_user()
        row = signin.sign_in(merchant_id, user.id)
        return {
            "local_date": row.local_date,
            "streak": row.streak,
            "points": row.points,
            "balance": members.find(merchant_id, user.id).points,
        }


@blp.route(f"{BASE}/coupon-offers")
class CouponOffers(MethodView):
    @blp.doc(security=[])
    @blp.response(200, CouponOfferOut(many=True))
    def get(self, merchant_id):
        """Coupons buyers may buy with points (set in the store's ``coupon_offers``)."""
        return members.config(merchant_id).get("coupon_offers") or []


@blp.route(f"{BASE}/coupon-offers/<int:template_id>/buy")
class BuyCoupon(MethodView):
    @blp.response(201, CouponBoughtOut)
    def post(self, merchant_id, template_id):
        """Buy a coupon with points; 409 ``points_insufficient``, ``coupons_unavailable`` or
        the coupon's own refusal (``coupon_exhausted`` ...), with no points taken."""
        user = require_user()
        return points.buy_coupon(Merchant.get_by_id(merchant_id), user, template_id)


@blp.route(f"{BASE}/points-goods")
class PointsGoodsList(MethodView):
    @blp.doc(security=[])
    @blp.response(200, PointsGoodsOut(many=True))
    def get(self, merchant_id):
        """SKUs sold for points (plus cash ``price``); buy one with the item's
        ``activity: {"type": "points_goods", "id": <sku_id>}``."""
        return members.config(merchant_id).get("points_goods") or []


@blp.route(f"{BASE}/recharge-packages")
class Packages(MethodView):
    @blp.doc(security=[])
    @blp.response(200, PackageOut(many=True))
    def get(self, merchant_id):
        """The recharge packages on offer."""
        return wallet.packages(merchant_id)

    @blp.arguments(PackageIn)
    @blp.response(201, PackageOut)
    def post(self, data, merchant_id):
        """Offer a package (staff)."""
        user = require_staff(merchant_id, *MANAGERS)
        with transaction():
            row = RechargePackage.create(merchant_id=merchant_id, **data)
            record_audit(
                "membership.package_created",
                actor_id=user.id,
                merchant_id=merchant_id,
                target_type="recharge_package",
                target_id=row.id,
                after=data,
            )
        return row


@blp.route(f"{BASE}/recharge-packages/<int:package_id>")
class Package(MethodView):
    @blp.arguments(PackagePatch)
    @blp.response(200, PackageOut)
    def patch(self, data, merchant_id, package_id):
        """Change a package's title, bonus or whether it is offered (staff)."""
        user = require_staff(merchant_id, *MANAGERS)
        row = wallet.get_package(merchant_id, package_id)
        with transaction():
            before = {k: getattr(row, k) for k in data}
            RechargePackage.update(**data).where(RechargePackage.id == row.id).execute()
            record_audit(
                "membership.package_changed",
                actor_id=user.id,
                merchant_id=merchant_id,
                target_type="recharge_package",
                target_id=row.id,
                before=before,
                after=data,
            )
        return RechargePackage.get_by_id(row.id)


@blp.route(f"{BASE}/recharges")
class Recharges(MethodView):
    @blp.arguments(RechargeIn)
    @blp.response(201, RechargeOut)
    def post(self, data, merchant_id):
        """Start a recharge: answers with its ``order_id``; pay that order with
        ``POST /orders/{order_id}/payments`` through any channel but ``balance``."""
        user = require_user()
        return wallet.start_recharge(merchant_id, user, data["package_id"])

    @blp.response(200, RechargeOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """My recharges — or, for the store's staff, everyone's."""
        user = require_user()
        query = Recharge.select().where(Recharge.merchant_id == merchant_id)
        try:
            require_staff(merchant_id)
        except Forbidden:
            query = query.where(Recharge.user_id == user.id)
        return query.order_by(Recharge.id.desc())


@blp.route(f"{BASE}/recharges/<int:recharge_id>/refund")
class RefundRecharge(MethodView):
    @blp.response(200, RechargeOut)
    def post(self, merchant_id, recharge_id):
        """Refund a recharge (staff): its amount and bonus are frozen, then the order is
        refunded through its channel; 409 ``balance_insufficient`` when spent meanwhile."""
        user = require_staff(merchant_id, *MANAGERS)
        recharge = wallet.refund_recharge(merchant_id, recharge_id, Actor("staff", user.id))
        with transaction():
            record_audit(
                "membership.recharge_refunded",
                actor_id=user.id,
                merchant_id=merchant_id,
                target_type="recharge",
                target_id=recharge.id,
                after={"amount": recharge.amount, "bonus": recharge.bonus},
            )
        return recharge


# -- staff -----------------------------------------------------------------------------------


@blp.route(f"{BASE}/levels")
class Levels(MethodView):
    @blp.doc(security=[])
    @blp.response(200, LevelsOut)
    def get(self, merchant_id):
        """The store's levels (anyone may read them: they are shown to buyers)."""
        return {"levels": members.levels(merchant_id)}

    @blp.arguments(LevelsIn)
    @blp.response(200, LevelsOut)
    def put(self, data, merchant_id):
        """Replace the levels (thresholds from 0, strictly increasing); every member moves
        to the level their growth reaches."""
        user = require_staff(merchant_id, *MANAGERS)
        merchant = Merchant.get_by_id(merchant_id)
        cfg = {**members.config(merchant_id), "levels": data["levels"]}
        configure_plugin(merchant, "membership", cfg, actor_id=user.id)  # members move too
        return {"levels": [{"rank": n, **lv} for n, lv in enumerate(cfg["levels"])]}


def _member_rows(rows):
    table = members.levels(rows[0].merchant_id) if rows else []
    return [
        {
            **{k: getattr(m, k) for k in MemberOut().fields if k != "level_name"},
            "level_name": table[min(m.level, len(table) - 1)]["name"],
        }
        for m in rows
    ]


@blp.route(f"{BASE}/members")
class Members(MethodView):
    @blp.arguments(MemberQuery, location="query")
    @blp.response(200, MemberOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, args, merchant_id):
        """Members, highest growth first; search by ``q`` (user id, name, phone, email),
        filter by ``level`` or ``segment_id``."""
        require_staff(merchant_id)
        clause = Member.merchant_id == merchant_id
        if "level" in args:
            clause &= Member.level == args["level"]
        if "segment_id" in args:
            clause &= segments.where(
                merchant_id, segments.get(merchant_id, args["segment_id"]).rules
            )
        if args.get("q"):
            q = args["q"]
            users = User.select(User.id).where(
                User.name.contains(q) | User.phone.contains(q) | User.email.contains(q)
            )
            clause &= Member.user_id.in_(users) | (
                Member.user_id == (int(q) if q.isdigit() else -1)
            )
        return Rendered(
            Member.select().where(clause).order_by(Member.growth.desc(), Member.id),
            _member_rows,
        )


def _member(merchant_id: int, user_id: int) -> Member:
    member = members.find(merchant_id, user_id)
    if member is None:
        raise NotFound("not a member of this store", code="member_not_found")
    return member


@blp.route(f"{BASE}/members/<int:user_id>")
class MemberDetail(MethodView):
    @blp.response(200, MemberOut)
    def get(self, merchant_id, user_id):
        require_staff(merchant_id)
        return _member_rows([_member(merchant_id, user_id)])[0]


class LevelChangeOut(ApiSchema):
    from_level = fields.Integer()
    to_level = fields.Integer()
    growth = fields.Integer()
    created_at = UtcDateTime()


@blp.route(f"{BASE}/members/<int:user_id>/level-history")
class MemberLevels(MethodView):
    @blp.response(200, LevelChangeOut(many=True))
    def get(self, merchant_id, user_id):
        """A member's level moves, oldest first (staff, or the member themself)."""
        user = require_user()
        if user.id != user_id:
            require_staff(merchant_id)
        return (
            LevelChange.select()
            .where((LevelChange.merchant_id == merchant_id) & (LevelChange.user_id == user_id))
            .order_by(LevelChange.id)
        )


def _adjust(merchant_id: int, user_id: int, data: dict, what: str) -> Member:
    user = require_staff(merchant_id, *MANAGERS)
    before = _member(merchant_id, user_id)
    with transaction():
        if what == "points":
            if data["delta"] > 0:
                points.add(
                    merchant_id,
                    user_id,
                    data["delta"],
                    "adjust",
                    reason=data["reason"],
                    actor_id=user.id,
                )
            else:
                points.take(
                    merchant_id,
                    user_id,
                    -data["delta"],
                    "adjust",
                    reason=data["reason"],
                    actor_id=user.id,
                )
        else:
            members.change_growth(
                merchant_id,
                user_id,
                data["delta"],
                "adjust",
                reason=data["reason"],
                actor_id=user.id,
            )
        after = members.find(merchant_id, user_id)
        record_audit(
            f"membership.{what}_adjusted",
            actor_id=user.id,
            merchant_id=merchant_id,
            target_type="member",
            target_id=user_id,
            before={what: getattr(before, what)},
            after={what: getattr(after, what), "reason": data["reason"]},
        )
    return after


@blp.route(f"{BASE}/members/<int:user_id>/points")
class AdjustPoints(MethodView):
    @blp.arguments(MemberAdjustIn)
    @blp.response(200, MemberOut)
    def post(self, data, merchant_id, user_id):
        """Give or take points with a reason (audited); taking more than the member has is
        409 ``points_insufficient``."""
        return _member_rows([_adjust(merchant_id, user_id, data, "points")])[0]


@blp.route(f"{BASE}/members/<int:user_id>/growth")
class AdjustGrowth(MethodView):
    @blp.arguments(MemberAdjustIn)
    @blp.response(200, MemberOut)
    def post(self, data, merchant_id, user_id):
        """Give or take growth with a reason (audited; never below zero); the level follows."""
        return _member_rows([_adjust(merchant_id, user_id, data, "growth")])[0]


@blp.route(f"{BASE}/members/<int:user_id>/tags")
class MemberTags(MethodView):
    @blp.arguments(TagsIn)
    @blp.response(200, MemberOut)
    def put(self, data, merchant_id, user_id):
        """Replace a member's tags (segments can select by tag)."""
        user = require_staff(merchant_id, *MANAGERS)
        member = _member(merchant_id, user_id)
        with transaction():
            Member.update(tags=sorted(set(data["tags"]))).where(Member.id == member.id).execute()
            record_audit(
                "membership.tags_changed",
                actor_id=user.id,
                merchant_id=merchant_id,
                target_type="member",
                target_id=user_id,
                before=member.tags,
                after=data["tags"],
            )
        return _member_rows([_member(merchant_id, user_id)])[0]


@blp.route(f"{BASE}/segments")
class Segments(MethodView):
    @blp.response(200, SegmentOut(many=True))
    def get(self, merchant_id):
        """The store's segments with how many members each holds now."""
        require_staff(merchant_id)
        return segments.listing(merchant_id)

    @blp.arguments(SegmentIn)
    @blp.response(201, SegmentOut)
    def post(self, data, merchant_id):
        user = require_staff(merchant_id, *MANAGERS)
        with transaction():
            row = segments.create(merchant_id, data)
            record_audit(
                "membership.segment_created",
                actor_id=user.id,
                merchant_id=merchant_id,
                target_type="segment",
                target_id=row.id,
                after=data,
            )
        return {"id": row.id, "name": row.name, "rules": row.rules, "members": segments.count(row)}


@blp.route(f"{BASE}/points-events")
class Events(MethodView):
    @blp.doc(security=[])
    @blp.response(200, PointsEventOut(many=True))
    def get(self, merchant_id):
        """Points-multiplier events (anyone: they are advertised)."""
        return (
            PointsEvent.select()
            .where(PointsEvent.merchant_id == merchant_id)
            .order_by(PointsEvent.starts_at)
        )

    @blp.arguments(PointsEventIn)
    @blp.response(201, PointsEventOut)
    def post(self, data, merchant_id):
        """Run a multiplier (percent, 200 = double) over a period, for a category or all."""
        user = require_staff(merchant_id, *MANAGERS)
        with transaction():
            row = PointsEvent.create(merchant_id=merchant_id, **data)
            record_audit(
                "membership.points_event_created",
                actor_id=user.id,
                merchant_id=merchant_id,
                target_type="points_event",
                target_id=row.id,
                after={
                    **data,
                    "starts_at": str(data["starts_at"]),
                    "ends_at": str(data["ends_at"]),
                },
            )
        return row


class PriorityOrderOut(ApiSchema):
    order_id = fields.Integer()
    order_number = fields.String()
    user_id = fields.Integer()
    level = fields.Integer()
    status = fields.String()
    placed_at = UtcDateTime()


@blp.route(f"{BASE}/priority-orders")
class PriorityOrders(MethodView):
    @blp.response(200, PriorityOrderOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """Paid orders not shipped yet whose buyer's level ships first, oldest first."""
        require_staff(merchant_id)
        query = (
            Order.select(
                Order.id.alias("order_id"),
                Order.number.alias("order_number"),
                PriorityOrder.user_id,
                PriorityOrder.level,
                Order.status,
                Order.placed_at,
            )
            .join(PriorityOrder, on=(PriorityOrder.order_id == Order.id))
            .where((Order.merchant == merchant_id) & (Order.status == "paid"))
            .order_by(Order.placed_at, Order.id)
            .dicts()
        )
        return query


@blp.route(f"{BASE}/stats")
class Stats(MethodView):
    @blp.response(200, MembershipStatsOut)
    def get(self, merchant_id):
        """Members per level and what the store owes in points and stored value."""
        require_staff(merchant_id)
        table = members.levels(merchant_id)
        mine = Member.merchant_id == merchant_id
        totals = (
            Member.select(
                fn.COUNT(Member.id),
                fn.COALESCE(fn.SUM(Member.points), 0),
                fn.COALESCE(fn.SUM(Member.balance), 0),
                fn.COALESCE(fn.SUM(Member.frozen), 0),
            )
            .where(mine)
            .tuples()
            .get()
        )
        counts = dict(
            Member.select(Member.level, fn.COUNT(Member.id))
            .where(mine)
            .group_by(Member.level)
            .tuples()
        )
        today = members.local_date(merchant_id, utcnow()).isoformat()
        return {
            "members": totals[0],
            "by_level": [
                {"rank": lv["rank"], "name": lv["name"], "members": counts.get(lv["rank"], 0)}
                for lv in table
            ],
            "points_outstanding": totals[1],
            "balance_outstanding": totals[2],
            "frozen_outstanding": totals[3],
            "signed_in_today": SignIn.select()
            .where((SignIn.merchant_id == merchant_id) & (SignIn.local_date == today))
            .count(),
        }
