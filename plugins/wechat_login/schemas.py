"""Request and answer shapes of the WeChat sign-in routes."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, SignInOut

CODE = validate.Length(min=1, max=256)


class WeChatMiniProgramIn(Schema):
    code = fields.String(
        required=True, validate=CODE, metadata={"description": "What wx.login() gave"}
    )
    phone_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=CODE,
        metadata={
            "description": "What the getPhoneNumber button gave: binds (or creates) the account "
            "with that WeChat-verified phone when this WeChat user is bound to none"
        },
    )


class WeChatH5In(Schema):
    code = fields.String(
        required=True,
        validate=CODE,
        metadata={"description": "The code WeChat's consent page appended to redirect_uri"},
    )


class WeChatAuthorizeArgs(Schema):
    redirect_uri = fields.Url(
        required=True,
        require_tld=False,
        validate=validate.Length(max=500),
        metadata={"description": "Where WeChat sends the buyer back (an address of this site)"},
    )
    state = fields.String(load_default="", validate=validate.Length(max=128))


class WeChatAuthorizeOut(Schema):
    url = fields.String(metadata={"description": "WeChat's consent page; open it in the browser"})


class WeChatBindIn(Schema):
    ticket = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=6, max=24),
        metadata={
            "description": "With code: the phone a sign_in code was sent to (POST /auth/codes)"
        },
    )
    code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16))
    phone_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=CODE,
        metadata={"description": "Mini-program only: the getPhoneNumber button's code"},
    )


class WeChatSignInOut(SignInOut):
    status = fields.String(
        metadata={
            "description": "signed_in (token, expires_at, user) or phone_required (ticket: "
            "prove a phone with POST /auth/wechat/bind)"
        }
    )
    ticket = fields.String(metadata={"description": "phone_required only; valid ten minutes"})
