"""Demo data: a platform admin, a merchant with every merchant-level plugin switched on, its
owner and a buyer. Running it again changes nothing and prints the same credentials."""

from __future__ import annotations

from flask import Flask

from mallkit.core import migrate, plugin_settings
from mallkit.core.accounts import service as accounts
from mallkit.core.accounts.models import User
from mallkit.core.errors import MallkitError
from mallkit.core.merchants import service as merchants
from mallkit.core.merchants.models import Merchant

ADMIN = ("admin@demo.mallkit.dev", "demo-admin-1")
OWNER = ("owner@demo.mallkit.dev", "demo-owner-1")
BUYER = ("buyer@demo.mallkit.dev", "demo-buyer-1")
STORE = "Demo Store 演示商城"


def _user(email: str, password: str, name: str, admin: bool = False) -> User:
    user = User.get_or_none(User.email == email)
    if user is None:
        user = accounts.register(email=email, password=password, name=name, is_platform_admin=admin)
    return user


def seed(app: Flask) -> list[str]:
    """Create (or find) the demo rows; return lines describing how to sign in."""
    host = app.extensions["mallkit"].plugins
    migrate.upgrade(host)
    notes: list[str] = []
    with app.app_context():
        _user(*ADMIN, "Demo admin", admin=True)
        owner = _user(*OWNER, "Demo owner")
        _user(*BUYER, "Demo buyer")
        merchant = Merchant.get_or_none(Merchant.name == STORE)
        if merchant is None:
            merchant = merchants.create_merchant(
                {"name": STORE, "contact_phone": "400-000-0000", "address": "上海市浦东新区"},
                owner=owner,
            )
        current = host.for_merchant(merchant.id)
        for name in host.dependency_order():
            meta = host.plugins[name].meta
            if meta.level != "merchant" or name in current.enabled:
                continue
            try:
                plugin_settings.enable(merchant, name, None)
            except MallkitError as exc:
                notes.append(f"plugin {name} left off: {exc.message}")
        enabled = sorted(host.for_merchant(merchant.id).enabled)
    lines = [
        f"platform admin  {ADMIN[0]} / {ADMIN[1]}",
        f"merchant owner  {OWNER[0]} / {OWNER[1]}  (merchant id {merchant.id}: {STORE})",
        f"buyer           {BUYER[0]} / {BUYER[1]}",
        f"plugins on      {', '.join(enabled) or '(none installed)'}",
    ]
    return lines + notes
