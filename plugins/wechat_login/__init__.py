"""wechat_login: sign in with WeChat — a mini-program's ``code2session`` and H5 web
authorisation (OAuth2) — binding the WeChat user to the account with a verified phone, or
creating one; the answer is the same bearer token as ``/auth/login``. Configured by the
platform (``WECHAT_*`` settings). See docs/plugins/wechat_login.md."""

from __future__ import annotations

from pathlib import Path

from mallkit.core.plugin_api import MigrationSource, PluginMeta
from mallkit.hookspecs import hookimpl
from mallkit.plugins.wechat_login import demo
from mallkit.plugins.wechat_login.api import blp

meta = PluginMeta(
    name="wechat_login",
    version="1.0.0",
    title="Sign in with WeChat",
    description="Mini-program and H5 WeChat sign-in, bound to accounts by verified phone.",
    mallkit=">=0.1,<1",
    level="platform",
    category="service",
    title_zh="微信登录",
    description_zh="小程序和 H5 微信登录，按验证过的手机号绑定账号。",
)


@hookimpl
def register_migrations():
    return [MigrationSource("wechat_login", Path(__file__).parent / "migrations")]


@hookimpl
def register_blueprints(app):
    return [blp]


@hookimpl
def extend_demo(app, merchant, base_url):
    return demo.attach(app, base_url)
