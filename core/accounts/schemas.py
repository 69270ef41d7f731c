"""Request and response schemas of the account endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.api import Schema, UtcDateTime


class RegisterIn(Schema):
    email = fields.Email(load_default=None, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, validate=validate.Regexp(r"^\+?[0-9 -]{6,24}$"))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))
    name = fields.String(load_default="", validate=validate.Length(max=100))
    share_code = fields.String(
        load_default=None,
        validate=validate.Length(max=32),
        metadata={"description": "The share link that brought you (ignored when stale)"},
    )


class LoginIn(Schema):
    login = fields.String(
        required=True,
        validate=validate.Length(min=3, max=254),
        metadata={"description": "E-mail address or phone number"},
    )
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))
    otp = fields.String(
        validate=validate.Length(min=6, max=20),
        metadata={
            "description": "With two-factor sign-in on: the authenticator's code or a recovery code"
        },
    )


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    name = fields.String()
    avatar_url = fields.String()
    birthday = fields.Date(allow_none=True)
    is_platform_admin = fields.Boolean()
    created_at = UtcDateTime()
    last_login_at = UtcDateTime(allow_none=True)


class MembershipOut(Schema):
    merchant_id = fields.Integer()
    merchant_name = fields.String()
    role = fields.String()


class MeOut(UserOut):
    memberships = fields.List(fields.Nested(MembershipOut))


class TokenOut(Schema):
    token = fields.String(metadata={"description": "Bearer token; shown only once"})
    expires_at = UtcDateTime()
    user = fields.Nested(UserOut)
    device_token = fields.String(
        metadata={
            "description": "Sign-in answers only: send it as X-Mallkit-Device when signing in "
            "to this account again (a known device is not held back by others' failures)"
        }
    )


class ProfileIn(Schema):
    name = fields.String(validate=validate.Length(max=100))
    avatar_url = fields.URL(validate=validate.Length(max=500))
    birthday = fields.Date(allow_none=True)


class PasswordIn(Schema):
    old_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))


class DeliveryAddressIn(Schema):
    """Where parcels go: an address book entry, or the address snapshot of a checkout."""

    recipient = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(required=True, validate=validate.Regexp(r"^\+?[0-9 -]{6,24}$"))
    country = fields.String(load_default="CN", validate=validate.Regexp(r"^[A-Z]{2}$"))
    province = fields.String(required=True, validate=validate.Length(min=1, max=50))
    city = fields.String(required=True, validate=validate.Length(min=1, max=50))
    district = fields.String(load_default="", validate=validate.Length(max=50))
    detail = fields.String(required=True, validate=validate.Length(min=1, max=255))
    postal_code = fields.String(load_default="", validate=validate.Length(max=16))


class AddressSnapshotIn(DeliveryAddressIn):
    """A delivery address given inline at checkout (instead of ``address_id``)."""


class AddressIn(DeliveryAddressIn):
    is_default = fields.Boolean(load_default=False)


class AddressPatch(AddressIn):
    """Partial update of an address (use as ``AddressPatch(partial=True)``)."""


class AddressOut(AddressIn):
    id = fields.Integer()
    created_at = UtcDateTime()


class TwoFactorSetupOut(Schema):
    secret = fields.String(metadata={"description": "Base32, for entering by hand"})
    otpauth_uri = fields.String()
    qr_svg = fields.String(metadata={"description": "The otpauth URI as a QR code (SVG)"})


class TwoFactorCodeIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=6, max=20))


class TwoFactorDisableIn(TwoFactorCodeIn):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))


class RecoveryCodesOut(Schema):
    recovery_codes = fields.List(
        fields.String(), metadata={"description": "Each works once; shown only now"}
    )


class TwoFactorOut(Schema):
    enabled = fields.Boolean()
    recovery_codes_left = fields.Integer()


class RegisteredOut(Schema):
    message = fields.String(metadata={"description": "The same for a new and an existing account"})


class CodeRequestIn(Schema):
    login = fields.String(
        required=True,
        validate=validate.Length(min=3, max=254),
        metadata={"description": "E-mail address (the code comes by e-mail) or phone (by SMS)"},
    )
    purpose = fields.String(
        required=True,
        validate=validate.OneOf(["sign_in", "reset_password"]),
        metadata={"description": "sign_in: sign in, or sign up when there is no account"},
    )
    locale = fields.String(
        load_default="zh-CN", validate=validate.Regexp(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$")
    )


class CodeRequestedOut(Schema):
    message = fields.String()
    expires_at = UtcDateTime(metadata={"description": "When a code sent now stops working"})


class CodeSignInIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=3, max=254))
    code = fields.String(required=True, load_only=True, validate=validate.Length(max=20))
    otp = fields.String(
        validate=validate.Length(min=6, max=20),
        metadata={"description": "With two-factor sign-in on: the authenticator's code"},
    )
    name = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "The name of an account created by this sign-in"},
    )


class CodePasswordResetIn(Schema):
    login = fields.String(required=True, validate=validate.Length(min=3, max=254))
    code = fields.String(required=True, load_only=True, validate=validate.Length(max=20))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))
