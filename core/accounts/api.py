"""Account endpoints: register, log in/out, profile, password, address book."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from mallkit.core.accounts import auth, codes, service, two_factor
from mallkit.core.accounts.limits import (
    device_token,
    limit_code_address,
    limit_code_check,
    limit_code_recipient,
    limit_login,
    limit_login_address,
    limit_login_pair,
    limit_password_check,
    login_key,
)
from mallkit.core.accounts.merchants.models import Merchant, StaffMember
from mallkit.core.accounts.models import Address
from mallkit.core.accounts.schemas import (
    AddressIn,
    AddressOut,
    AddressPatch,
    CodePasswordResetIn,
    CodeRequestedOut,
    CodeRequestIn,
    CodeSignInIn,
    LoginIn,
    MeOut,
    PasswordIn,
    ProfileIn,
    RecoveryCodesOut,
    RegisteredOut,
    RegisterIn,
    TokenOut,
    TwoFactorCodeIn,
    TwoFactorDisableIn,
    TwoFactorOut,
    TwoFactorSetupOut,
)
from mallkit.core.errors import Conflict
from mallkit.core.plugins import call_isolated, get_host

REGISTERED = (
    "if this e-mail or phone had no account, it has one now: sign in with it; if it had one, "
    "its owner has been told"
)

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and sign-in")


def _token_response(user):
    return auth.token_answer(user)


def _me(user):
    rows = (
        StaffMember.select(StaffMember.role, Merchant.id, Merchant.name)
        .join(Merchant)
        .where(StaffMember.user == user.id)
        .order_by(Merchant.id)
        .tuples()
    )
    user.memberships = [
        {"role": role, "merchant_id": mid, "merchant_name": name} for role, mid, name in rows
    ]
    return user


@blp.route("/auth/register")
class Register(MethodView):
    @blp.doc(security=[])
    @blp.arguments(RegisterIn)
    @blp.response(202, RegisteredOut)
    def post(self, data):
        """Create a buyer account; then sign in with it (``POST /auth/login``). The answer is
        the same whether or not the e-mail or phone already has an account, so it tells
        nobody which accounts exist: an existing account's owner is told out of band
        (``on_existing_account_sign_up``) and their account is not changed."""
        try:
            service.register(**data)
        except Conflict as exc:
            if exc.code != "account_exists":
                raise
            auth.hash_password(data["password"])  # cost what creating an account costs
            existing = service.find_account(data.get("email"), data.get("phone"))
            if existing is not None:
                call_isolated(get_host().hook.on_existing_account_sign_up, user=existing)
        return {"message": REGISTERED}


@blp.route("/auth/login")
class Login(MethodView):
    decorators = [limit_login_pair, limit_login, limit_login_address]

    @blp.doc(security=[])
    @blp.arguments(LoginIn)
    @blp.response(200, TokenOut)
    @blp.alt_response(401, response="DEFAULT_ERROR", description="Wrong login or password")
    @blp.alt_response(429, response="DEFAULT_ERROR", description="Too many attempts")
    def post(self, data):
        """Sign in with an e-mail address or phone number and a password. Failed attempts
        are limited per account and address, per account and per address; keep the answer's
        ``device_token`` and send it as ``X-Mallkit-Device`` next time, so others' failures
        never lock you out (docs/security.md)."""
        user = service.authenticate(data["login"], data["password"], data.get("otp"))
        return {**_token_response(user), "device_token": device_token(login_key())}


CODE_SENT = "if this e-mail or phone can receive a code for this, one is on its way"


@blp.route("/auth/codes")
class Codes(MethodView):
    decorators = [limit_code_recipient, limit_code_address]

    @blp.doc(security=[])
    @blp.arguments(CodeRequestIn)
    @blp.response(202, CodeRequestedOut)
    @blp.alt_response(429, response="DEFAULT_ERROR", description="Too many codes asked for")
    def post(self, data):
        """Send a one-time code by e-mail or SMS: ``sign_in`` (signs in, or signs up an
        e-mail or phone that has no account) or ``reset_password``. The answer is the same
        whether or not the account exists. A new code retires the earlier ones; each lives
        ten minutes and takes five wrong tries (docs/security.md, "Verification codes")."""
        expires_at = codes.request_code(data["login"], data["purpose"], locale=data["locale"])
        return {"message": CODE_SENT, "expires_at": expires_at}


@blp.route("/auth/codes/sign-in")
class CodeSignIn(MethodView):
    decorators = [limit_code_check]

    @blp.doc(security=[])
    @blp.arguments(CodeSignInIn)
    @blp.response(200, TokenOut)
    @blp.alt_response(401, response="DEFAULT_ERROR", description="Wrong or expired code")
    @blp.alt_response(429, response="DEFAULT_ERROR", description="Too many wrong codes")
    def post(self, data):
        """Sign in with a ``sign_in`` code; an e-mail or phone without an account gets one.
        A code works once."""
        user = codes.sign_in(data["login"], data["code"], otp=data.get("otp"), name=data["name"])
        return _token_response(user)


@blp.route("/auth/codes/reset-password")
class CodePasswordReset(MethodView):
    decorators = [limit_code_check]

    @blp.doc(security=[])
    @blp.arguments(CodePasswordResetIn)
    @blp.response(204)
    @blp.alt_response(401, response="DEFAULT_ERROR", description="Wrong or expired code")
    @blp.alt_response(429, response="DEFAULT_ERROR", description="Too many wrong codes")
    def post(self, data):
        """Set a new password with a ``reset_password`` code; every token of the account is
        revoked (sign in again)."""
        codes.reset_password(data["login"], data["code"], data["new_password"])


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Revoke the token of this request."""
        auth.require_user()
        auth.revoke_token(auth.current_token())


@blp.route("/auth/logout-all")
class LogoutAll(MethodView):
    @blp.response(204)
    def post(self):
        """Revoke every token of the signed-in user (log out everywhere)."""
        auth.revoke_all(auth.require_user())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeOut)
    def get(self):
        """The signed-in user, with their staff memberships."""
        return _me(auth.require_user())

    @blp.arguments(ProfileIn)
    @blp.response(200, MeOut)
    def patch(self, data):
        """Change name, avatar or birthday."""
        return _me(service.update_profile(auth.require_user(), data))


@blp.route("/me/password")
class Password(MethodView):
    decorators = [limit_password_check]

    @blp.arguments(PasswordIn)
    @blp.response(204)
    @blp.alt_response(429, response="DEFAULT_ERROR", description="Too many wrong passwords")
    def post(self, data):
        """Change the password; every token is revoked (sign in again). Wrong current
        passwords are limited per account."""
        service.change_password(auth.require_user(), data["old_password"], data["new_password"])


@blp.route("/me/addresses")
class Addresses(MethodView):
    @blp.response(200, AddressOut(many=True))
    def get(self):
        """The address book, default first."""
        user = auth.require_user()
        return (
            Address.select()
            .where(Address.user == user.id)
            .order_by(Address.is_default.desc(), Address.id)
        )

    @blp.arguments(AddressIn)
    @blp.response(201, AddressOut)
    def post(self, data):
        """Add an address."""
        return service.save_address(auth.require_user(), data)


@blp.route("/me/addresses/<int:address_id>")
class AddressItem(MethodView):
    @blp.response(200, AddressOut)
    def get(self, address_id):
        return service.own_address(auth.require_user(), address_id)

    @blp.arguments(AddressPatch(partial=True))
    @blp.response(200, AddressOut)
    def patch(self, data, address_id):
        return service.save_address(auth.require_user(), data, address_id)

    @blp.response(204)
    def delete(self, address_id):
        service.delete_address(auth.require_user(), address_id)


# -- two-factor sign-in ----------------------------------------------------------------------


@blp.route("/me/2fa")
class TwoFactor(MethodView):
    @blp.response(200, TwoFactorOut)
    def get(self):
        """Whether two-factor sign-in is on, and how many recovery codes are left."""
        user = auth.require_user()
        return {
            "enabled": two_factor.enabled(user),
            "recovery_codes_left": two_factor.recovery_codes_left(user),
        }


@blp.route("/me/2fa/setup")
class TwoFactorSetup(MethodView):
    @blp.response(201, TwoFactorSetupOut)
    def post(self):
        """Start turning two-factor sign-in on: a new TOTP secret (scan the QR code with an
        authenticator app), then confirm a code at ``/me/2fa/enable``."""
        return two_factor.setup(auth.require_user())


@blp.route("/me/2fa/enable")
class TwoFactorEnable(MethodView):
    decorators = [limit_password_check]

    @blp.arguments(TwoFactorCodeIn)
    @blp.response(200, RecoveryCodesOut)
    def post(self, data):
        """Turn two-factor sign-in on with a first code; every other session is signed out.
        Answers ten recovery codes, shown only now."""
        codes = two_factor.enable(auth.require_user(), data["code"], auth.bearer_token())
        return {"recovery_codes": codes}


@blp.route("/me/2fa/disable")
class TwoFactorDisable(MethodView):
    decorators = [limit_password_check]

    @blp.arguments(TwoFactorDisableIn)
    @blp.response(204)
    def post(self, data):
        """Turn two-factor sign-in off (password and a code or a recovery code)."""
        two_factor.disable(auth.require_user(), data["password"], data["code"])


@blp.route("/me/2fa/recovery-codes")
class TwoFactorRecoveryCodes(MethodView):
    decorators = [limit_password_check]

    @blp.arguments(TwoFactorCodeIn)
    @blp.response(200, RecoveryCodesOut)
    def post(self, data):
        """New recovery codes (the old ones stop working)."""
        return {
            "recovery_codes": two_factor.regenerate_recovery_codes(
                auth.require_user(), data["code"]
            )
        }
