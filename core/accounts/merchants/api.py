"""Merchant endpoints: the platform admin's store management, store settings and staff, the
public store profile, and per-merchant plugin enablement."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from mallkit.core import plugin_settings
from mallkit.core.accounts import auth
from mallkit.core.accounts.merchants import service
from mallkit.core.accounts.merchants.models import Merchant, StaffMember
from mallkit.core.accounts.merchants.schemas import (
    AdminAuditQuery,
    AuditOut,
    AuditQuery,
    MerchantCreateIn,
    MerchantOut,
    MerchantPluginOut,
    MerchantSettingsIn,
    MerchantStatusIn,
    PluginConfigIn,
    PluginConfigRequiredIn,
    PluginOut,
    RoleIn,
    SecurityIn,
    SecurityOut,
    StaffIn,
    StaffOut,
    StoreOut,
)
from mallkit.core.accounts.models import User
from mallkit.core.accounts.service import normalise_login
from mallkit.core.api import PeeweePage
from mallkit.core.audit import AuditLog
from mallkit.core.errors import NotFound
from mallkit.core.plugins import get_host, merchant_plugins

blp = Blueprint("merchants", __name__, url_prefix="/api/v1", description="Merchants and stores")


# -- platform admin --------------------------------------------------------------------------


@blp.route("/admin/merchants")
class AdminMerchants(MethodView):
    @blp.response(200, MerchantOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self):
        """All merchants (platform admin)."""
        auth.require_admin()
        return Merchant.select().order_by(Merchant.id)

    @blp.arguments(MerchantCreateIn)
    @blp.response(201, MerchantOut)
    def post(self, data):
        """Create a merchant, optionally with an existing account as its owner."""
        admin = auth.require_admin()
        owner_login = data.pop("owner_login", None)
        owner = None
        if owner_login:
            field, value = normalise_login(owner_login)
            owner = User.get_or_none(getattr(User, field) == value)
            if owner is None:
                raise NotFound(
                    "no account with this e-mail or phone",
                    code="user_not_found",
                    errors={"owner_login": ["No such account."]},
                )
        return service.create_merchant(data, owner=owner, actor_id=admin.id)


@blp.route("/admin/merchants/<int:merchant_id>")
class AdminMerchant(MethodView):
    @blp.response(200, MerchantOut)
    def get(self, merchant_id):
        """One merchant (platform admin)."""
        auth.require_admin()
        return service.get_merchant(merchant_id)

    @blp.arguments(MerchantStatusIn)
    @blp.response(200, MerchantOut)
    def patch(self, data, merchant_id):
        """Suspend (``is_active: false``) or reinstate a merchant (platform admin; audited).
        A suspended store is hidden from buyers and takes no orders; its staff keep access."""
        admin = auth.require_admin()
        return service.set_active(
            service.get_merchant(merchant_id), data["is_active"], actor_id=admin.id
        )


@blp.route("/admin/plugins")
class AdminPlugins(MethodView):
    @blp.response(200, PluginOut(many=True))
    def get(self):
        """Installed plugins (platform admin)."""
        auth.require_admin()
        host = get_host()
        return [host.plugins[n].to_dict() for n in sorted(host.plugins)]


@blp.route("/admin/merchants/<int:merchant_id>/plugins")
class AdminMerchantPlugins(MethodView):
    @blp.response(200, MerchantPluginOut(many=True))
    def get(self, merchant_id):
        """Every installed plugin with its state and (masked) config for the merchant."""
        auth.require_admin()
        return plugin_settings.settings_for(service.get_merchant(merchant_id))


@blp.route("/admin/merchants/<int:merchant_id>/plugins/<string:plugin>/enable")
class AdminEnablePlugin(MethodView):
    @blp.arguments(PluginConfigIn)
    @blp.response(200, MerchantPluginOut)
    def post(self, data, merchant_id, plugin):
        """Enable a plugin for the merchant (with its config; omitted: the saved one)."""
        admin = auth.require_admin()
        merchant = service.get_merchant(merchant_id)
        return plugin_settings.enable(merchant, plugin, data["config"], actor_id=admin.id)


@blp.route("/admin/merchants/<int:merchant_id>/plugins/<string:plugin>/disable")
class AdminDisablePlugin(MethodView):
    @blp.response(200, MerchantPluginOut)
    def post(self, merchant_id, plugin):
        """Disable a plugin for the merchant; its data and config are kept."""
        admin = auth.require_admin()
        return plugin_settings.disable(service.get_merchant(merchant_id), plugin, actor_id=admin.id)


# -- the merchant's own back office ----------------------------------------------------------


@blp.route("/merchants/<int:merchant_id>/settings")
class Settings(MethodView):
    @blp.response(200, MerchantOut)
    def get(self, merchant_id):
        """Store settings (staff)."""
        auth.require_staff(merchant_id)
        return service.get_merchant(merchant_id)

    @blp.arguments(MerchantSettingsIn)
    @blp.response(200, MerchantOut)
    def patch(self, data, merchant_id):
        """Change store settings (owner or manager)."""
        user = auth.require_staff(merchant_id, "owner", "manager")
        return service.update_settings(service.get_merchant(merchant_id), data, actor_id=user.id)


@blp.route("/merchants/<int:merchant_id>/staff")
class Staff(MethodView):
    @blp.response(200, StaffOut(many=True))
    def get(self, merchant_id):
        """Staff of the store (staff)."""
        auth.require_staff(merchant_id)
        return (
            StaffMember.select(StaffMember, User)
            .join(User)
            .where(StaffMember.merchant == merchant_id)
            .order_by(StaffMember.id)
        )

    @blp.arguments(StaffIn)
    @blp.response(201, StaffOut)
    def post(self, data, merchant_id):
        """Add an existing account as staff (owner)."""
        user = auth.require_staff(merchant_id, "owner")
        return service.add_staff(
            service.get_merchant(merchant_id), data["login"], data["role"], actor_id=user.id
        )


@blp.route("/merchants/<int:merchant_id>/staff/<int:user_id>")
class StaffItem(MethodView):
    @blp.arguments(RoleIn)
    @blp.response(200, StaffOut)
    def patch(self, data, merchant_id, user_id):
        """Change a staff member's role (owner)."""
        user = auth.require_staff(merchant_id, "owner")
        return service.change_role(
            service.get_merchant(merchant_id), user_id, data["role"], actor_id=user.id
        )

    @blp.response(204)
    def delete(self, merchant_id, user_id):
        """Remove a staff member (owner); the last owner stays."""
        user = auth.require_staff(merchant_id, "owner")
        service.remove_staff(service.get_merchant(merchant_id), user_id, actor_id=user.id)


@blp.route("/merchants/<int:merchant_id>/plugins")
class MerchantPlugins(MethodView):
    @blp.response(200, MerchantPluginOut(many=True))
    def get(self, merchant_id):
        """The store's plugins with their state and masked config (staff)."""
        auth.require_staff(merchant_id)
        return plugin_settings.settings_for(service.get_merchant(merchant_id))


@blp.route("/merchants/<int:merchant_id>/plugins/<string:plugin>/config")
class MerchantPluginConfig(MethodView):
    @blp.arguments(PluginConfigRequiredIn)
    @blp.response(200, MerchantPluginOut)
    def put(self, data, merchant_id, plugin):
        """Configure a plugin the platform enabled for the store (owner or admin)."""
        user = auth.require_staff(merchant_id, "owner")
        return plugin_settings.configure(
            service.get_merchant(merchant_id), plugin, data["config"], actor_id=user.id
        )


# -- storefront ------------------------------------------------------------------------------


@blp.route("/stores/<int:merchant_id>")
class Store(MethodView):
    @blp.doc(security=[])
    @blp.response(200, StoreOut)
    def get(self, merchant_id):
        """A store's public profile, with what its plugins add."""
        merchant = service.get_merchant(merchant_id)
        if not merchant.is_active:
            raise NotFound("merchant not found", code="merchant_not_found")
        view = merchant_plugins(merchant_id)
        extensions: dict = {}
        for fragment in view.hook.extend_store_profile(merchant=merchant):
            extensions.update(fragment)
        merchant.extensions = extensions
        merchant.plugins = sorted(view.enabled)
        return merchant


# -- the audit log ---------------------------------------------------------------------------


def _audit_rows(filters: dict, where=None):
    clauses = [] if where is None else [where]
    for name in ("actor_id", "merchant_id", "action", "target_type", "target_id"):
        if filters.get(name) is not None:
            clauses.append(getattr(AuditLog, name) == filters[name])
    if filters.get("since"):
        clauses.append(AuditLog.at >= filters["since"])
    if filters.get("until"):
        clauses.append(AuditLog.at < filters["until"])
    query = AuditLog.select()
    if clauses:
        query = query.where(*clauses)
    return query.order_by(AuditLog.at.desc(), AuditLog.id.desc())


@blp.route("/merchants/<int:merchant_id>/audit-log")
class MerchantAuditLog(MethodView):
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query, merchant_id):
        """The store's audit log, newest first (owner): who changed prices, stock, orders,
        refunds, plugin settings or staff, when, from what to what. Filters: ``actor_id``,
        ``action``, ``target_type``/``target_id``, ``since``/``until``."""
        auth.require_staff(merchant_id, "owner")
        return _audit_rows(query, AuditLog.merchant_id == merchant_id)


@blp.route("/admin/audit-log")
class PlatformAuditLog(MethodView):
    @blp.arguments(AdminAuditQuery, location="query")
    @blp.response(200, AuditOut(many=True))
    @blp.paginate(PeeweePage)
    def get(self, query):
        """The whole platform's audit log, newest first (platform admins); ``merchant_id``
        narrows it to one store."""
        auth.require_admin()
        return _audit_rows(query)


# -- staff security --------------------------------------------------------------------------


@blp.route("/merchants/<int:merchant_id>/security")
class MerchantSecurity(MethodView):
    @blp.response(200, SecurityOut)
    def get(self, merchant_id):
        """Which staff roles must sign in with two factors, and the addresses staff may work
        from (owner)."""
        auth.require_staff(merchant_id, "owner")
        return service.get_merchant(merchant_id)

    @blp.arguments(SecurityIn)
    @blp.response(200, SecurityOut)
    def put(self, data, merchant_id):
        """Set them (owner; audited). Refused when it would lock the caller out: their own
        address outside the list, or their role required to use two factors they have not
        turned on."""
        user = auth.require_staff(merchant_id, "owner")
        return service.update_security(
            service.get_merchant(merchant_id), data, user, request.remote_addr or ""
        )
