"""WeChat sign-in against its simulator, served on loopback (the plugin reaches it over real
HTTP), with the platform's settings pointed at it."""

from __future__ import annotations

import pytest

from mallkit.core.simkit import LoopbackServer, allow_gateway
from mallkit.plugins.wechat_login.simulator import WeChatLoginSimulator
from tests.sample_plugins import code_catcher

MINI, H5 = "wxmini000test00001", "wxoa0000test000001"


@pytest.fixture(scope="module")
def sim_server():
    sim = WeChatLoginSimulator()
    server = LoopbackServer(sim)
    sim.public_url = server.url
    sim.add_app(MINI, "mini-secret")
    sim.add_app(H5, "h5-secret")
    yield sim
    server.stop()


@pytest.fixture
def sim(app, sim_server):
    allow_gateway(app, sim_server.public_url)
    app.config.update(
        WECHAT_API_URL=sim_server.public_url,
        WECHAT_AUTHORIZE_URL=f"{sim_server.public_url}/connect/oauth2/authorize",
        WECHAT_MINIPROGRAM_APPID=MINI,
        WECHAT_MINIPROGRAM_SECRET="mini-secret",
        WECHAT_H5_APPID=H5,
        WECHAT_H5_SECRET="h5-secret",
        WECHAT_H5_REDIRECT_ORIGINS=["https://shop.example"],
    )
    return sim_server


@pytest.fixture
def mailbox(app):
    code_catcher.SENT.clear()
    app.extensions["mallkit"].plugins.register(code_catcher)
    yield code_catcher.SENT
    code_catcher.SENT.clear()


def h5_code(sim, person: str, nickname: str = "") -> str:
    """What WeChat's consent page appends to redirect_uri when ``person`` presses 允许."""
    import urllib.parse
    import urllib.request

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    query = urllib.parse.urlencode(
        {
            "appid": H5,
            "redirect_uri": "https://shop.example/shop/wechat",
            "response_type": "code",
            "scope": "snsapi_userinfo",
            "state": "s1",
        }
    )
    request = urllib.request.Request(
        f"{sim.public_url}/connect/oauth2/authorize?{query}",
        data=urllib.parse.urlencode({"nickname": nickname}).encode(),
        headers={"Cookie": f"wxsim_person={person}"},
        method="POST",
    )
    opener = urllib.request.build_opener(Stop)
    try:
        opener.open(request, timeout=5)
    except urllib.error.HTTPError as answer:
        location = answer.headers["Location"]
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    assert params["state"] == ["s1"]
    return params["code"][0]
