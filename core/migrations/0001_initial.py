"""Accounts, merchants, staff, plugin settings and the audit log."""

from mallkit.core.accounts.models import AccessToken, Address, User
from mallkit.core.audit import AuditLog
from mallkit.core.merchants.models import Merchant, StaffMember
from mallkit.core.plugin_settings import MerchantPlugin

MODELS = [User, AccessToken, Address, Merchant, StaffMember, MerchantPlugin, AuditLog]


def up(migrator, db):
    with db.bind_ctx(MODELS):
        db.create_tables(MODELS)


def down(migrator, db):
    with db.bind_ctx(MODELS):
        db.drop_tables(MODELS)
