"""``mallkit demo``: the WeChat sign-in simulator under ``/_sim/wechat-login`` with a
mini-program and an official account (H5), and the platform configured against it."""

from __future__ import annotations

import secrets
from typing import Any

from mallkit.core.plugin_api import simkit
from mallkit.plugins.wechat_login.simulator import WeChatLoginSimulator

PATH = "/_sim/wechat-login"
MINI_APPID = "wxmini0000demo0001"
H5_APPID = "wxoa00000demo00001"


def attach(app: Any, base_url: str) -> list[str]:
    sim = WeChatLoginSimulator()
    sim.public_url = base_url.rstrip("/") + PATH
    simkit.mount(app, PATH, sim)
    simkit.allow_gateway(app, sim.public_url)
    mini_secret, h5_secret = secrets.token_hex(16), secrets.token_hex(16)
    sim.add_app(MINI_APPID, mini_secret)
    sim.add_app(H5_APPID, h5_secret)
    app.config.update(
        WECHAT_API_URL=sim.public_url,
        WECHAT_AUTHORIZE_URL=f"{sim.public_url}/connect/oauth2/authorize",
        WECHAT_MINIPROGRAM_APPID=MINI_APPID,
        WECHAT_MINIPROGRAM_SECRET=mini_secret,
        WECHAT_H5_APPID=H5_APPID,
        WECHAT_H5_SECRET=h5_secret,
    )
    app.extensions["wechat_login.simulator"] = sim
    return [
        f"wechat_login    H5 and mini-program sign-in against the simulator at {sim.public_url}"
    ]
