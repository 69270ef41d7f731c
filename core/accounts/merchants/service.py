"""Merchant rules: creating stores, their settings, and staff membership."""

from __future__ import annotations

import ipaddress
import zoneinfo
from typing import Any

from mallkit.core import audit
from mallkit.core.accounts.merchants.models import Merchant, StaffMember
from mallkit.core.accounts.models import User
from mallkit.core.accounts.service import normalise_login
from mallkit.core.db import transaction
from mallkit.core.errors import Conflict, NotFound, ValidationError


def check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            "unknown time zone", errors={"timezone": ["Unknown time zone."]}
        ) from exc


def get_merchant(merchant_id: int) -> Merchant:
    merchant = Merchant.get_or_none(Merchant.id == merchant_id)
    if merchant is None:
        raise NotFound("merchant not found", code="merchant_not_found")
    return merchant


def create_merchant(data: dict[str, Any], *, owner: User | None = None, actor_id=None) -> Merchant:
    """Create a store; ``owner`` becomes its first staff member with the role owner."""
    check_timezone(data.get("timezone", "Asia/Shanghai"))
    with transaction():
        merchant = Merchant.create(**data)
        if owner is not None:
            StaffMember.create(merchant=merchant, user=owner, role="owner")
        audit.record(
            "merchant.create",
            actor_id=actor_id,
            merchant_id=merchant.id,
            target_type="merchant",
            target_id=merchant.id,
            after=data,
        )
    return merchant


def update_settings(merchant: Merchant, changes: dict[str, Any], *, actor_id=None) -> Merchant:
    if not changes:
        return merchant
    if "timezone" in changes:
        check_timezone(changes["timezone"])
    with transaction():
        before = {k: getattr(merchant, k) for k in changes}
        Merchant.update(**changes).where(Merchant.id == merchant.id).execute()
        audit.record(
            "merchant.settings",
            actor_id=actor_id,
            merchant_id=merchant.id,
            target_type="merchant",
            target_id=merchant.id,
            before=before,
            after=changes,
        )
    return Merchant.get_by_id(merchant.id)


def set_active(merchant: Merchant, active: bool, *, actor_id=None) -> Merchant:
    """Suspend or reinstate a store; recorded in the audit log when it changes."""
    with transaction():
        # a conditional update: of two concurrent requests only one changes the row and audits
        changed = (
            Merchant.update(is_active=active)
            .where((Merchant.id == merchant.id) & (Merchant.is_active != active))
            .execute()
        )
        if changed:
            audit.record(
                "merchant.reinstate" if active else "merchant.suspend",
                actor_id=actor_id,
                merchant_id=merchant.id,
                target_type="merchant",
                target_id=merchant.id,
                before={"is_active": not active},
                after={"is_active": active},
            )
    return Merchant.get_by_id(merchant.id)


def add_staff(merchant: Merchant, login: str, role: str, *, actor_id=None) -> StaffMember:
    """Make the user with this e-mail/phone staff of the merchant."""
    field, value = normalise_login(login)
    user = User.get_or_none(getattr(User, field) == value)
    if user is None:
        raise NotFound(
            "no account with this e-mail or phone",
            code="user_not_found",
            errors={"login": ["No such account."]},
        )
    with transaction():
        if (
            StaffMember.select()
            .where((StaffMember.merchant == merchant.id) & (StaffMember.user == user.id))
            .exists()
        ):
            raise Conflict("this user is already staff of the merchant", code="already_staff")
        member = StaffMember.create(merchant=merchant, user=user, role=role)
        audit.record(
            "staff.add",
            actor_id=actor_id,
            merchant_id=merchant.id,
            target_type="user",
            target_id=user.id,
            after={"role": role},
        )
    return member


def get_staff(merchant: Merchant, user_id: int) -> StaffMember:
    member = StaffMember.get_or_none(
        (StaffMember.merchant == merchant.id) & (StaffMember.user == user_id)
    )
    if member is None:
        raise NotFound("staff member not found", code="staff_not_found")
    return member


def _owners_left(merchant: Merchant, without_user: int) -> int:
    return (
        StaffMember.select()
        .where(
            (StaffMember.merchant == merchant.id)
            & (StaffMember.role == "owner")
            & (StaffMember.user != without_user)
        )
        .count()
    )


def change_role(merchant: Merchant, user_id: int, role: str, *, actor_id=None) -> StaffMember:
    with transaction():
        member = get_staff(merchant, user_id)
        if member.role == "owner" and role != "owner" and not _owners_left(merchant, user_id):
            raise Conflict("a merchant keeps at least one owner", code="last_owner")
        StaffMember.update(role=role).where(StaffMember.id == member.id).execute()
        audit.record(
            "staff.role",
            actor_id=actor_id,
            merchant_id=merchant.id,
            target_type="user",
            target_id=user_id,
            before={"role": member.role},
            after={"role": role},
        )
    return StaffMember.get_by_id(member.id)


def remove_staff(merchant: Merchant, user_id: int, *, actor_id=None) -> None:
    with transaction():
        member = get_staff(merchant, user_id)
        if member.role == "owner" and not _owners_left(merchant, user_id):
            raise Conflict("a merchant keeps at least one owner", code="last_owner")
        member.delete_instance()
        audit.record(
            "staff.remove",
            actor_id=actor_id,
            merchant_id=merchant.id,
            target_type="user",
            target_id=user_id,
            before={"role": member.role},
        )


def update_security(merchant: Merchant, data: dict[str, Any], user, address: str) -> Merchant:
    """Two-factor roles and the staff address allow-list; never one that locks out the
    owner making the change."""
    errors = {}
    nets = data["staff_ip_allowlist"]
    if nets and not user.is_platform_admin:
        try:
            here = ipaddress.ip_address(address)
            inside = any(here in ipaddress.ip_network(n, strict=False) for n in nets)
        except ValueError:
            inside = False
        if not inside:
            errors["staff_ip_allowlist"] = [f"Your own address ({address}) is not in it."]
    if "owner" in data["two_factor_roles"] and user.totp_enabled_at is None:
        if not user.is_platform_admin:
            errors["two_factor_roles"] = ["Turn on two-factor sign-in for yourself first."]
    if errors:
        raise ValidationError("this would lock you out", code="lockout", errors=errors)
    with transaction():
        before = {
            "two_factor_roles": merchant.two_factor_roles,
            "staff_ip_allowlist": merchant.staff_ip_allowlist,
        }
        Merchant.update(**data).where(Merchant.id == merchant.id).execute()
        audit.record(
            "merchant.security",
            actor_id=user.id,
            merchant_id=merchant.id,
            target_type="merchant",
            target_id=merchant.id,
            before=before,
            after=data,
        )
    return Merchant.get_by_id(merchant.id)


def staff_users(merchant_id: int, *roles: str) -> list[User]:
    """The store's active staff accounts in ``roles`` (every role when none is given), by
    user id — whom a plugin tells about the store's affairs (low stock, a complaint)."""
    query = (
        User.select()
        .join(StaffMember, on=StaffMember.user == User.id)
        .where((StaffMember.merchant == merchant_id) & User.is_active)
    )
    if roles:
        query = query.where(StaffMember.role.in_(roles))
    return list(query.order_by(User.id))
