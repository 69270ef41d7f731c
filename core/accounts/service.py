"""Account rules: registration, login, profile and address book. No HTTP here."""

from __future__ import annotations

import functools
import operator
import re
import secrets
from functools import reduce
from typing import Any

import peewee as pw

from mallkit.core import signals
from mallkit.core.accounts import auth, two_factor
from mallkit.core.accounts.models import Address, User
from mallkit.core.db import transaction, utcnow
from mallkit.core.errors import Conflict, NotFound, Unauthorized, ValidationError
from mallkit.core.plugins import get_host

PHONE_RE = re.compile(r"^\+?[0-9]{6,20}$")


def normalise_login(login: str) -> tuple[str, str]:
    """``("email", "a@b.c")`` or ``("phone", "13800000000")`` for what a person typed."""
    login = login.strip()
    if "@" in login:
        return "email", login.lower()
    phone = re.sub(r"[\s-]", "", login)
    if PHONE_RE.match(phone):
        return "phone", phone
    raise ValidationError(
        "log in with an e-mail address or a phone number",
        errors={"login": ["Not an e-mail address or phone number."]},
    )


MIN_PASSWORD = 8
MIN_DISTINCT = 5


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of public leaks, as zxcvbn ships them."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, *logins: str | None) -> None:
    """Refuse a weak password with field errors (docs/security.md): at least 8 characters,
    not only whitespace, at least 5 different characters, not one of the 30,000 most common
    passwords (compared in lower case), and not the account's own e-mail, its name part or
    its phone."""
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"At least {MIN_PASSWORD} characters.")
    if not password.strip():
        problems.append("Not only spaces.")
    elif len(set(password)) < MIN_DISTINCT:
        problems.append(f"At least {MIN_DISTINCT} different characters.")
    lowered = password.strip().lower()
    if lowered in _common_passwords():
        problems.append("One of the most common passwords; choose another.")
    own = set()
    for login in logins:
        if login:
            own.add(login.strip().lower())
            if "@" in login:
                own.add(login.split("@", 1)[0].strip().lower())
            own.add(re.sub(r"[\s+-]", "", login))
    if lowered in own:
        problems.append("Not your e-mail address or phone number.")
    if problems:
        raise ValidationError(
            "the password is too weak", code="weak_password", errors={"password": problems}
        )


def register(
    *,
    email: str | None = None,
    phone: str | None = None,
    password: str | None,
    name: str = "",
    is_platform_admin: bool = False,
    share_code: str | None = None,
) -> User:
    """Create an account. ``on_user_registered`` hooks run inside the transaction, after the
    sign-up is attributed to the live share ``share_code`` (a stale code is ignored); the
    ``user_registered`` signal is sent after it commits. ``password`` None (signing up with a
    one-time code, :mod:`mallkit.core.accounts.codes`) stores a random one nobody knows."""
    if not email and not phone:
        raise ValidationError(
            "an e-mail address or a phone number is required",
            errors={"email": ["Give an e-mail or a phone."]},
        )
    email = email.strip().lower() if email else None
    phone = normalise_login(phone)[1] if phone else None
    if password is None:
        password = secrets.token_urlsafe(32)
    else:
        check_password_policy(password, email, phone)
    with transaction():
        same = [
            c
            for c in (
                (User.email == email) if email else None,
                (User.phone == phone) if phone else None,
            )
            if c is not None
        ]
        if User.select(User.id).where(reduce(operator.or_, same)).exists():
            raise Conflict(
                "an account with this e-mail or phone already exists", code="account_exists"
            )
        try:
            with transaction():
                user = User.create(
                    email=email,
                    phone=phone,
                    name=name or "",
                    password_hash=auth.hash_password(password),
                    is_platform_admin=is_platform_admin,
                )
        except pw.IntegrityError as exc:  # lost a race with the same e-mail/phone
            raise Conflict(
                "an account with this e-mail or phone already exists", code="account_exists"
            ) from exc
        # The core's share_defaults plugin records the sign-up's share attribution.
        get_host().hook.on_user_registered(user=user, share_code=share_code or None)
        signals.send_after_commit(signals.user_registered, user)
    return user


def find_account(email: str | None, phone: str | None) -> User | None:
    """The account that has this e-mail or phone (normalised as sign-up does), if any."""
    if email:
        user = User.get_or_none(User.email == email.strip().lower())
        if user is not None:
            return user
    if phone:
        try:
            return User.get_or_none(User.phone == normalise_login(phone)[1])
        except ValidationError:
            return None
    return None


def authenticate(login: str, password: str, otp: str | None = None) -> User:
    """The user for these credentials, or ``Unauthorized`` (same message either way); with
    two factors on, ``otp`` too (``otp_required`` / ``invalid_otp``)."""
    field, value = normalise_login(login)
    user = User.get_or_none(getattr(User, field) == value)
    # An unknown login costs one password hash too, so the answer's timing does not tell
    # whether the account exists.
    matches = auth.verify_password(user, password) if user else auth.verify_dummy(password)
    if user is None or not user.is_active or not matches:
        raise Unauthorized("wrong login or password", code="invalid_credentials")
    two_factor.check_sign_in(user, otp)
    User.update(last_login_at=utcnow()).where(User.id == user.id).execute()
    return user


def change_password(user: User, old: str, new: str) -> None:
    if not auth.verify_password(user, old):
        raise ValidationError(
            "the current password is wrong",
            code="wrong_password",
            errors={"old_password": ["Wrong password."]},
        )
    check_password_policy(new, user.email, user.phone)
    with transaction():
        User.update(password_hash=auth.hash_password(new)).where(User.id == user.id).execute()
        auth.revoke_all(user)


def update_profile(user: User, changes: dict[str, Any]) -> User:
    if not changes:
        return user
    with transaction():
        User.update(**changes).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


# -- address book ----------------------------------------------------------------------------


def own_address(user: User, address_id: int) -> Address:
    address = Address.get_or_none((Address.id == address_id) & (Address.user == user.id))
    if address is None:
        raise NotFound("address not found", code="address_not_found")
    return address


ADDRESS_FIELDS = (
    "recipient",
    "phone",
    "country",
    "province",
    "city",
    "district",
    "detail",
    "postal_code",
)


def validate_address(address: dict[str, Any]) -> None:
    """Ask the ``validate_address`` hooks (a region plugin checks province and city against
    its region data); a ``ValidationError`` names the wrong fields. Nothing is written."""
    full = {k: address.get(k, "") for k in ADDRESS_FIELDS}
    full["country"] = full["country"] or "CN"
    get_host().hook.validate_address(address=full)


def locate_address(address: dict[str, Any] | None) -> dict[str, Any] | None:
    """Where an address is: ``{"country", "province_code", "province", "city_code", "city",
    "lng", "lat"}`` from the first ``locate_address`` hook that knows it, else ``None``."""
    if not address:
        return None
    full = {k: address.get(k, "") for k in ADDRESS_FIELDS}
    full["country"] = full["country"] or "CN"
    return get_host().hook.locate_address(address=full)


def save_address(user: User, data: dict[str, Any], address_id: int | None = None) -> Address:
    """Create or update an address; the first one, or one marked default, becomes default.
    The ``validate_address`` hooks check the address as it will be saved."""
    with transaction():
        if address_id is not None:
            address = own_address(user, address_id)
            if data:
                validate_address({**{k: getattr(address, k) for k in ADDRESS_FIELDS}, **data})
                Address.update(**data).where(Address.id == address.id).execute()
        else:
            validate_address(data)
            first = not Address.select().where(Address.user == user.id).exists()
            data = {**data, "is_default": bool(data.get("is_default")) or first}
            address = Address.create(user=user.id, **data)
        if data.get("is_default"):
            Address.update(is_default=False).where(
                (Address.user == user.id) & (Address.id != address.id)
            ).execute()
    return Address.get_by_id(address.id)


def delete_address(user: User, address_id: int) -> None:
    with transaction():
        address = own_address(user, address_id)
        address.delete_instance()
        if address.is_default:
            nxt = Address.select().where(Address.user == user.id).order_by(Address.id).first()
            if nxt:
                Address.update(is_default=True).where(Address.id == nxt.id).execute()
