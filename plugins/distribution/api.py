"""Distribution endpoints: the promoter centre (join or apply, bind, team, commission,
earnings, shares and posters, withdrawals) and the store's desk (promoters, applications,
groups, product rules, commission records, re-binding, withdrawal review, statistics).
The settings are the plugin's config (``PUT /merchants/{id}/plugins/distribution``)."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from mallkit.core.plugin_api import (
    Conflict,
    NotFound,
    PeeweePage,
    Product,
    Rendered,
    User,
    ValidationError,
    idempotency_key,
    plugin_blueprint,
    record_audit,
    require_staff,
    require_user,
    transaction,
)
from mallkit.plugins.distribution import centre, promoters, wallet
from mallkit.plugins.distribution.models import (
    Application,
    Commission,
    LedgerEntry,
    ProductRule,
    Promoter,
    PromoterGroup,
    Withdrawal,
)
from mallkit.plugins.distribution.schemas import (
    ApplicationOut,
    ApplicationQuery,
    ApplyIn,
    AppointIn,
    BindIn,
    BindingOut,
    CommissionOut,
    CommissionQuery,
    DistributionStatsOut,
    GroupIn,
    GroupPatch,
    LedgerOut,
    MyCommissionQuery,
    PaidIn,
    ProductRuleIn,
    ProductRuleOut,
    PromoterCentreOut,
    PromoterGroupOut,
    PromoterOut,
    PromoterPatch,
    PromoterQuery,
    PromoterShareOut,
    RebindIn,
    RejectIn,
    ShareRequest,
    StatsQuery,
    TeamMemberOut,
    TeamOut,
    TeamQuery,
    WithdrawalOut,
    WithdrawalQuery,
    WithdrawIn,
)

blp = plugin_blueprint("distribution", __name__, description="Distribution (分销)")
BASE = "/merchants/<int:merchant_id>/distribution"
MANAGERS = ("owner", "manager")
IDEMPOTENCY = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "schema": {"type": "string", "maxLength": 128},
            "description": "A retry with the same key and body gets the first answer",
        }
    ]
}


def _with_names(rows):
    names = {
        u.id: u.name
        for u in User.select(User.id, User.name).where(User.id.in_([r.user_id for r in rows]))
    }
    for row in rows:
        row.name = names.get(row.user_id, "")
    return rows


def _promoter_out(promoter: Promoter) -> Promoter:
    return _with_names([promoter])[0]


# -- promoter centre -------------------------------------------------------------------------


@blp.route(f"{BASE}/me")
class Me(MethodView):
    @blp.response(200, PromoterCentreOut)
    def get(self, merchant_id):
        """My standing at the store: promoter or not, my binding, my latest application,
        how to join, and my earnings (today, month, total, frozen, withdrawable, withdrawn)."""
        user = require_user()
        promoter = promoters.promoter_of(merchant_id, user.id)
        config = promoters.settings(merchant_id)
        return {
            "promoter": _promoter_out(promoter) if promoter else None,
            "binding": promoters.live_binding(merchant_id, user.id),
            "application": promoters.latest_application(merchant_id, user.id),
            "mode": config["promoter_mode"],
            "application_fields": config["application_fields"],
            "earnings": centre.earnings(promoter) if promoter else None,
        }

    @blp.response(201, PromoterOut)
    def post(self, merchant_id):
        """Become a promoter (mode ``everyone``, or ``spend`` once the threshold is reached)."""
        return _promoter_out(promoters.join(merchant_id, require_user().id))


@blp.route(f"{BASE}/applications")
class Applications(MethodView):
    @blp.arguments(ApplicationQuery, location="query")
    @blp.response(200, ApplicationOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """Staff: applications, newest first."""
        require_staff(merchant_id)
        where = Application.merchant_id == merchant_id
        if query.get("status"):
            where &= Application.status == query["status"]
        return Application.select().where(where).order_by(Application.id.desc())

    @blp.arguments(ApplyIn)
    @blp.response(201, ApplicationOut)
    def post(self, data, merchant_id):
        """Apply to become a promoter with the store's form (mode ``apply``)."""
        return promoters.apply(merchant_id, require_user().id, data["fields_"])


@blp.route(f"{BASE}/applications/<int:application_id>/approve")
class Approve(MethodView):
    @blp.response(200, ApplicationOut)
    def post(self, merchant_id, application_id):
        """Staff: approve; the applicant becomes a promoter."""
        user = require_staff(merchant_id, *MANAGERS)
        return promoters.review(merchant_id, application_id, True, "", user.id)


@blp.route(f"{BASE}/applications/<int:application_id>/reject")
class Reject(MethodView):
    @blp.arguments(RejectIn)
    @blp.response(200, ApplicationOut)
    def post(self, data, merchant_id, application_id):
        """Staff: reject with a reason (the buyer may apply again)."""
        user = require_staff(merchant_id, *MANAGERS)
        return promoters.review(merchant_id, application_id, False, data["reason"], user.id)


@blp.route(f"{BASE}/bind")
class Bind(MethodView):
    @blp.arguments(BindIn)
    @blp.response(200, BindingOut)
    def post(self, data, merchant_id):
        """Bind me to a promoter through a share link I opened or a promoter code, by the
        store's rule (first share wins / latest wins / only at registration). Answers my
        binding as it now stands."""
        return promoters.bind_by_request(merchant_id, require_user().id, data)


@blp.route(f"{BASE}/me/team")
class Team(MethodView):
    @blp.response(200, TeamOut)
    def get(self, merchant_id):
        """How many buyers are in my team at level 1 and level 2."""
        return centre.team_counts(promoters.require_promoter(merchant_id, require_user().id))


@blp.route(f"{BASE}/me/team/members")
class TeamMembers(MethodView):
    @blp.arguments(TeamQuery, location="query")
    @blp.response(200, TeamMemberOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """My team at one level, newest first, with the orders and commission each brought."""
        promoter = promoters.require_promoter(merchant_id, require_user().id)
        return centre.team_members(promoter, query["level"])


@blp.route(f"{BASE}/me/commissions")
class MyCommissions(MethodView):
    @blp.arguments(MyCommissionQuery, location="query")
    @blp.response(200, CommissionOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """My commission per order line, newest first (frozen, settled or cancelled)."""
        promoter = promoters.require_promoter(merchant_id, require_user().id)
        where = Commission.promoter_id == promoter.id
        if query.get("status"):
            where &= Commission.status == query["status"]
        return Commission.select().where(where).order_by(Commission.id.desc())


@blp.route(f"{BASE}/me/ledger")
class MyLedger(MethodView):
    @blp.response(200, LedgerOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """Every movement of my balance, newest first (the balance is their sum)."""
        promoter = promoters.require_promoter(merchant_id, require_user().id)
        return (
            LedgerEntry.select()
            .where(LedgerEntry.promoter_id == promoter.id)
            .order_by(LedgerEntry.id.desc())
        )


@blp.route(f"{BASE}/me/shares")
class MyShares(MethodView):
    @blp.arguments(ShareRequest)
    @blp.response(201, PromoterShareOut)
    def post(self, data, merchant_id):
        """My share link (core share link) to the store or a product, with its QR code and
        poster; buyers who come through it are bound to me."""
        promoter = promoters.require_promoter(merchant_id, require_user().id)
        if data["kind"] == "product" and not data.get("target_id"):
            raise ValidationError("name the product", errors={"target_id": ["Required."]})
        return centre.share(promoter, data)


@blp.route(f"{BASE}/me/poster.svg")
class Poster(MethodView):
    @blp.doc(
        parameters=[{"in": "query", "name": "code", "schema": {"type": "string"}}],
        responses={"200": {"description": "A share poster", "content": {"image/svg+xml": {}}}},
    )
    def get(self, merchant_id):
        """My share poster (SVG with the QR code and my promoter code)."""
        promoter = promoters.require_promoter(merchant_id, require_user().id)
        svg = centre.poster(promoter, request.args.get("code") or None)
        return Response(svg, content_type="image/svg+xml")


@blp.route(f"{BASE}/me/withdrawals")
class MyWithdrawals(MethodView):
    @blp.response(200, WithdrawalOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """My withdrawals, newest first."""
        promoter = promoters.require_promoter(merchant_id, require_user().id)
        return (
            Withdrawal.select()
            .where(Withdrawal.promoter_id == promoter.id)
            .order_by(Withdrawal.id.desc())
        )

    @blp.doc(**IDEMPOTENCY)
    @blp.arguments(WithdrawIn)
    @blp.response(201, WithdrawalOut)
    @blp.alt_response(200, schema=WithdrawalOut, description="A retry: the first answer")
    def post(self, data, merchant_id):
        """Withdraw from my balance (minimum, fee and daily limit by the store's settings);
        the amount leaves the balance at once and comes back if staff reject it or the payout
        fails. Send an ``Idempotency-Key`` so a retry cannot withdraw twice."""
        promoter = promoters.require_promoter(merchant_id, require_user().id)
        withdrawal, new = wallet.request_withdrawal(promoter, data, idempotency_key())
        return withdrawal, 201 if new else 200


# -- the store's desk ------------------------------------------------------------------------


@blp.route(f"{BASE}/promoters")
class Promoters(MethodView):
    @blp.arguments(PromoterQuery, location="query")
    @blp.response(200, PromoterOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """Staff: promoters, newest first; ``q`` matches the code, name, e-mail or phone."""
        require_staff(merchant_id)
        where = Promoter.merchant_id == merchant_id
        if query.get("status"):
            where &= Promoter.status == query["status"]
        if query.get("group_id"):
            where &= Promoter.group_id == query["group_id"]
        if query.get("q"):
            text = query["q"].strip()
            users = User.select(User.id).where(
                User.name.contains(text) | User.email.contains(text) | User.phone.contains(text)
            )
            where &= (Promoter.code == text.upper()) | Promoter.user_id.in_(users)
        return Rendered(Promoter.select().where(where).order_by(Promoter.id.desc()), _with_names)

    @blp.arguments(AppointIn)
    @blp.response(201, PromoterOut)
    def post(self, data, merchant_id):
        """Staff: appoint a buyer as a promoter (any mode)."""
        user = require_staff(merchant_id, *MANAGERS)
        return _promoter_out(
            promoters.appoint(merchant_id, data["user_id"], data.get("group_id"), user.id)
        )


@blp.route(f"{BASE}/promoters/<int:promoter_id>")
class PromoterView(MethodView):
    @blp.response(200, PromoterOut)
    def get(self, merchant_id, promoter_id):
        """Staff: one promoter."""
        require_staff(merchant_id)
        return _promoter_out(promoters.get_promoter(merchant_id, promoter_id))

    @blp.arguments(PromoterPatch)
    @blp.response(200, PromoterOut)
    def patch(self, data, merchant_id, promoter_id):
        """Staff: freeze or unfreeze (a frozen promoter earns nothing new; what they earned
        still settles), or change the group."""
        user = require_staff(merchant_id, *MANAGERS)
        return _promoter_out(promoters.update_promoter(merchant_id, promoter_id, data, user.id))


@blp.route(f"{BASE}/bindings")
class Rebind(MethodView):
    @blp.arguments(RebindIn)
    @blp.response(200, BindingOut)
    def post(self, data, merchant_id):
        """Staff: bind a buyer (or a promoter's upline) to another promoter, with a reason
        (audited; loops and self-binding are refused)."""
        user = require_staff(merchant_id, *MANAGERS)
        return promoters.rebind(merchant_id, data, user.id)


@blp.route(f"{BASE}/groups")
class Groups(MethodView):
    @blp.response(200, PromoterGroupOut(many=True))
    def get(self, merchant_id):
        """Staff: promoter groups and their rates (basis points)."""
        require_staff(merchant_id)
        return list(
            PromoterGroup.select()
            .where(PromoterGroup.merchant_id == merchant_id)
            .order_by(PromoterGroup.id)
        )

    @blp.arguments(GroupIn)
    @blp.response(201, PromoterGroupOut)
    def post(self, data, merchant_id):
        """Staff: add a group (level 1 and level 2 rates; there is no level 3)."""
        user = require_staff(merchant_id, *MANAGERS)
        with transaction():
            if (
                PromoterGroup.select()
                .where(
                    (PromoterGroup.merchant_id == merchant_id)
                    & (PromoterGroup.name == data["name"])
                )
                .exists()
            ):
                raise Conflict("a group has this name", code="group_exists")
            group = PromoterGroup.create(merchant_id=merchant_id, **data)
            record_audit(
                "distribution.group_created",
                actor_id=user.id,
                merchant_id=merchant_id,
                target_type="distribution_group",
                target_id=group.id,
                after=data,
            )
        return group


def _group(merchant_id: int, group_id: int) -> PromoterGroup:
    group = PromoterGroup.get_or_none(
        (PromoterGroup.id == group_id) & (PromoterGroup.merchant_id == merchant_id)
    )
    if group is None:
        raise NotFound("no such group", code="group_not_found")
    return group


@blp.route(f"{BASE}/groups/<int:group_id>")
class Group(MethodView):
    @blp.arguments(GroupPatch)
    @blp.response(200, PromoterGroupOut)
    def patch(self, data, merchant_id, group_id):
        """Staff: rename or change the rates (new orders use the new rates)."""
        user = require_staff(merchant_id, *MANAGERS)
        with transaction():
            group = _group(merchant_id, group_id)
            before = {k: getattr(group, k) for k in data}
            if data:
                PromoterGroup.update(**data).where(PromoterGroup.id == group.id).execute()
            record_audit(
                "distribution.group_updated",
                actor_id=user.id,
                merchant_id=merchant_id,
                target_type="distribution_group",
                target_id=group.id,
                before=before,
                after=data,
            )
        return PromoterGroup.get_by_id(group.id)

    @blp.response(204)
    def delete(self, merchant_id, group_id):
        """Staff: remove a group no promoter is in."""
        require_staff(merchant_id, *MANAGERS)
        with transaction():
            group = _group(merchant_id, group_id)
            if Promoter.select().where(Promoter.group_id == group.id).exists():
                raise Conflict("promoters are in this group", code="group_in_use")
            group.delete_instance()


@blp.route(f"{BASE}/product-rules")
class ProductRules(MethodView):
    @blp.response(200, ProductRuleOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, merchant_id):
        """Staff: products with their own commission rule."""
        require_staff(merchant_id)
        return (
            ProductRule.select()
            .where(ProductRule.merchant_id == merchant_id)
            .order_by(ProductRule.product_id)
        )


@blp.route(f"{BASE}/product-rules/<int:product_id>")
class ProductRuleView(MethodView):
    @blp.arguments(ProductRuleIn)
    @blp.response(200, ProductRuleOut)
    def put(self, data, merchant_id, product_id):
        """Staff: a product's own commission: ``rate`` (basis points) or ``fixed`` (fen per
        unit) for level 1 and level 2, overriding the group rates."""
        require_staff(merchant_id, *MANAGERS)
        if (
            not Product.select()
            .where((Product.id == product_id) & (Product.merchant_id == merchant_id))
            .exists()
        ):
            raise NotFound("no such product", code="product_not_found")
        with transaction():
            ProductRule.delete().where(
                (ProductRule.merchant_id == merchant_id) & (ProductRule.product_id == product_id)
            ).execute()
            return ProductRule.create(merchant_id=merchant_id, product_id=product_id, **data)

    @blp.response(204)
    def delete(self, merchant_id, product_id):
        """Staff: back to the group rates."""
        require_staff(merchant_id, *MANAGERS)
        ProductRule.delete().where(
            (ProductRule.merchant_id == merchant_id) & (ProductRule.product_id == product_id)
        ).execute()


@blp.route(f"{BASE}/commissions")
class Commissions(MethodView):
    @blp.arguments(CommissionQuery, location="query")
    @blp.response(200, CommissionOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """Staff: commission records, newest first."""
        require_staff(merchant_id)
        where = Commission.merchant_id == merchant_id
        for name in ("promoter_id", "order_id", "status"):
            if query.get(name):
                where &= getattr(Commission, name) == query[name]
        return Commission.select().where(where).order_by(Commission.id.desc())


@blp.route(f"{BASE}/withdrawals")
class Withdrawals(MethodView):
    @blp.arguments(WithdrawalQuery, location="query")
    @blp.response(200, WithdrawalOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """Staff: withdrawals, oldest waiting first."""
        require_staff(merchant_id)
        where = Withdrawal.merchant_id == merchant_id
        for name in ("promoter_id", "status"):
            if query.get(name):
                where &= getattr(Withdrawal, name) == query[name]
        return Withdrawal.select().where(where).order_by(Withdrawal.id)


@blp.route(f"{BASE}/withdrawals/<int:withdrawal_id>/approve")
class ApproveWithdrawal(MethodView):
    @blp.response(200, WithdrawalOut)
    def post(self, merchant_id, withdrawal_id):
        """Staff: approve; the payout channel pays it (a bank transfer waits for staff to
        mark it paid)."""
        user = require_staff(merchant_id, *MANAGERS)
        return wallet.approve(merchant_id, withdrawal_id, user.id)


@blp.route(f"{BASE}/withdrawals/<int:withdrawal_id>/reject")
class RejectWithdrawal(MethodView):
    @blp.arguments(RejectIn)
    @blp.response(200, WithdrawalOut)
    def post(self, data, merchant_id, withdrawal_id):
        """Staff: reject with a reason; the money goes back to the balance."""
        user = require_staff(merchant_id, *MANAGERS)
        return wallet.reject(merchant_id, withdrawal_id, data["reason"], user.id)


@blp.route(f"{BASE}/withdrawals/<int:withdrawal_id>/paid")
class PaidWithdrawal(MethodView):
    @blp.arguments(PaidIn)
    @blp.response(200, WithdrawalOut)
    def post(self, data, merchant_id, withdrawal_id):
        """Staff: the transfer went out (with the bank's reference)."""
        user = require_staff(merchant_id, *MANAGERS)
        return wallet.staff_finish(merchant_id, withdrawal_id, True, data["reference"], user.id)


@blp.route(f"{BASE}/withdrawals/<int:withdrawal_id>/failed")
class FailedWithdrawal(MethodView):
    @blp.arguments(RejectIn)
    @blp.response(200, WithdrawalOut)
    def post(self, data, merchant_id, withdrawal_id):
        """Staff: the transfer failed (with the reason); the money goes back to the balance."""
        user = require_staff(merchant_id, *MANAGERS)
        return wallet.staff_finish(merchant_id, withdrawal_id, False, data["reason"], user.id)


@blp.route(f"{BASE}/stats")
class Stats(MethodView):
    @blp.arguments(StatsQuery, location="query")
    @blp.response(200, DistributionStatsOut)
    def get(self, query, merchant_id):
        """Staff: promoters, commission frozen/settled, withdrawn, the top ten promoters and
        commission per day (the store's days) over the last ``days`` days."""
        require_staff(merchant_id)
        return centre.statistics(merchant_id, query["days"])
