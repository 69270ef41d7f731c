"""The calls to WeChat's servers (or the local simulator): exchanging codes for who the buyer
is. WeChat answers errors with HTTP 200 and an ``errcode``; those become
:class:`WeChatRefused`, a network failure a ``PluginError``."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from mallkit.core.plugin_api import PluginError, ensure_gateway

OFFICIAL_API = "https://api.weixin.qq.com"
TIMEOUT = 5.0


class WeChatRefused(Exception):
    """WeChat said no (``errcode``): a wrong, used or expired code, bad app credentials."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatClient:
    def __init__(self, api_url: str) -> None:
        self.api_url = api_url.rstrip("/")

    def _call(self, path: str, query: dict[str, str], body: dict | None = None) -> dict[str, Any]:
        ensure_gateway(self.api_url, (OFFICIAL_API,))
        url = f"{self.api_url}{path}?{urlencode(query)}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
        request.add_header("Accept", "application/json")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                payload = json.loads(answer.read() or b"{}")
        except (OSError, ValueError) as exc:  # unreachable, timed out, not JSON
            raise PluginError("WeChat could not be reached", code="wechat_unavailable") from exc
        if not isinstance(payload, dict):
            raise PluginError("WeChat answered nonsense", code="wechat_unavailable")
        if payload.get("errcode"):
            raise WeChatRefused(int(payload["errcode"]), str(payload.get("errmsg", "")))
        return payload

    def code2session(self, appid: str, secret: str, js_code: str) -> dict[str, Any]:
        """A mini-program's ``wx.login()`` code → ``openid``, ``unionid``, ``session_key``."""
        answer = self._call(
            "/sns/jscode2session",
            {
                "appid": appid,
                "secret": secret,
                "js_code": js_code,
                "grant_type": "authorization_code",
            },
        )
        if not answer.get("openid"):
            raise PluginError("WeChat gave no openid", code="wechat_unavailable")
        return answer

    def app_token(self, appid: str, secret: str) -> str:
        answer = self._call(
            "/cgi-bin/token", {"grant_type": "client_credential", "appid": appid, "secret": secret}
        )
        return str(answer["access_token"])

    def phone_number(self, appid: str, secret: str, phone_code: str) -> str:
        """The code of the mini-program's "get phone number" button → the phone WeChat verified
        (``+86`` numbers without the prefix, like the core stores them)."""
        token = self.app_token(appid, secret)
        answer = self._call(
            "/wxa/business/getuserphonenumber", {"access_token": token}, {"code": phone_code}
        )
        info = answer.get("phone_info") or {}
        phone = str(info.get("purePhoneNumber") or "")
        if info.get("countryCode") not in (None, "", "86"):
            phone = f"+{info['countryCode']}{phone}"
        if not phone:
            raise PluginError("WeChat gave no phone number", code="wechat_unavailable")
        return phone

    def oauth_token(self, appid: str, secret: str, code: str) -> dict[str, Any]:
        """An H5 authorisation code → ``access_token``, ``openid``, ``unionid`` (maybe)."""
        answer = self._call(
            "/sns/oauth2/access_token",
            {"appid": appid, "secret": secret, "code": code, "grant_type": "authorization_code"},
        )
        if not answer.get("openid") or not answer.get("access_token"):
            raise PluginError("WeChat gave no openid", code="wechat_unavailable")
        return answer

    def userinfo(self, access_token: str, openid: str) -> dict[str, Any]:
        return self._call(
            "/sns/userinfo", {"access_token": access_token, "openid": openid, "lang": "zh_CN"}
        )
