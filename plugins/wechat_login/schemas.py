"""Request and answer shapes of the WeChat sign-in routes."""

from __future__ import annotations

from marshmallow import fields, validate

from mallkit.core.plugin_api import Schema, SignInOut

CODE = validate.Length(min=1, max=256)


class WeChatMiniProgramIn(Schema):
    code = fields.String(
        required=True,
        validate=CODE,
        metadata={
            "description": "What wx.login() gave",
            "description_zh": "wx.login() 返回的 code",
        },
    )
    phone_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=CODE,
        metadata={
            "description": "What the getPhoneNumber button gave: binds (or creates) the account "
            "with that WeChat-verified phone when this WeChat user is bound to none",
            "description_zh": "getPhoneNumber 按钮返回的 code：该微信用户尚未绑定账号时，"
            "按微信验证过的手机号绑定（或创建）账号",
        },
    )


class WeChatH5In(Schema):
    code = fields.String(
        required=True,
        validate=CODE,
        metadata={
            "description": "The code WeChat's consent page appended to redirect_uri",
            "description_zh": "微信授权页附加在 redirect_uri 上的 code",
        },
    )


class WeChatAuthorizeArgs(Schema):
    redirect_uri = fields.Url(
        required=True,
        require_tld=False,
        validate=validate.Length(max=500),
        metadata={
            "description": "Where WeChat sends the buyer back (an address of this site)",
            "description_zh": "微信授权后跳回的地址（须为本站地址）",
        },
    )
    state = fields.String(load_default="", validate=validate.Length(max=128))


class WeChatAuthorizeOut(Schema):
    url = fields.String(
        metadata={
            "description": "WeChat's consent page; open it in the browser",
            "description_zh": "微信授权页地址，在浏览器中打开",
        }
    )


class WeChatBindIn(Schema):
    ticket = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    phone = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=6, max=24),
        metadata={
            "description": "With code: the phone a sign_in code was sent to (POST /auth/codes)",
            "description_zh": "与 code 一起提供：接收登录验证码的手机号（POST /auth/codes）",
        },
    )
    code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16))
    phone_code = fields.String(
        load_default=None,
        allow_none=True,
        validate=CODE,
        metadata={
            "description": "Mini-program only: the getPhoneNumber button's code",
            "description_zh": "仅限小程序：getPhoneNumber 按钮返回的 code",
        },
    )


class WeChatSignInOut(SignInOut):
    status = fields.String(
        metadata={
            "description": "signed_in (token, expires_at, user) or phone_required (ticket: "
            "prove a phone with POST /auth/wechat/bind)",
            "description_zh": "signed_in（返回 token、expires_at、user）或 phone_required"
            "（返回 ticket：再用 POST /auth/wechat/bind 验证手机号）",
        }
    )
    ticket = fields.String(
        metadata={
            "description": "phone_required only; valid ten minutes",
            "description_zh": "仅 phone_required 时返回，十分钟内有效",
        }
    )
