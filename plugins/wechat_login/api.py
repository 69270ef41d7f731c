"""WeChat sign-in routes (``/api/v1/auth/wechat/...``): public, like ``/auth/login``; what
they answer is the same bearer token."""

from __future__ import annotations

from flask.views import MethodView

from mallkit.core.plugin_api import plugin_blueprint
from mallkit.plugins.wechat_login import service
from mallkit.plugins.wechat_login.schemas import (
    WeChatAuthorizeArgs,
    WeChatAuthorizeOut,
    WeChatBindIn,
    WeChatH5In,
    WeChatMiniProgramIn,
    WeChatSignInOut,
)

blp = plugin_blueprint("wechat_login", __name__, description="Sign in with WeChat")


@blp.route("/auth/wechat/miniprogram")
class MiniProgram(MethodView):
    @blp.doc(security=[])
    @blp.arguments(WeChatMiniProgramIn)
    @blp.response(200, WeChatSignInOut)
    def post(self, data):
        """Sign in from the mini-program with the code of ``wx.login()`` (``code2session``).
        A WeChat user bound to no account gets ``phone_required`` and a ``ticket`` — unless
        ``phone_code`` is sent, then the account with that WeChat-verified phone is bound, or
        created."""
        return service.miniprogram_sign_in(data["code"], data["phone_code"])


@blp.route("/auth/wechat/h5/authorize-url")
class AuthorizeUrl(MethodView):
    @blp.doc(security=[])
    @blp.arguments(WeChatAuthorizeArgs, location="query")
    @blp.response(200, WeChatAuthorizeOut)
    def get(self, args):
        """WeChat's consent page for H5 web authorisation (OAuth2, ``snsapi_userinfo``), which
        comes back to ``redirect_uri`` with a ``code``; 404 where the platform has not set up
        WeChat sign-in."""
        return {"url": service.authorize_url(args["redirect_uri"], args["state"])}


@blp.route("/auth/wechat/h5")
class H5(MethodView):
    @blp.doc(security=[])
    @blp.arguments(WeChatH5In)
    @blp.response(200, WeChatSignInOut)
    def post(self, data):
        """Sign in on an H5 page with the code WeChat's consent page gave. A WeChat user bound
        to no account gets ``phone_required`` and a ``ticket``."""
        return service.h5_sign_in(data["code"])


@blp.route("/auth/wechat/bind")
class Bind(MethodView):
    @blp.doc(security=[])
    @blp.arguments(WeChatBindIn)
    @blp.response(200, WeChatSignInOut)
    def post(self, data):
        """Finish a ``phone_required`` sign-in: prove a phone with a ``sign_in`` code sent by
        SMS (``POST /auth/codes``; ``phone`` + ``code``) or, in the mini-program, with
        ``phone_code``. The account with that phone is bound to the WeChat user — or created
        when there is none — and signed in."""
        return service.bind_phone(
            data["ticket"], phone=data["phone"], code=data["code"], phone_code=data["phone_code"]
        )
