"""A local stand-in for WeChat's sign-in servers, for tests and ``mallkit demo``.

It answers the calls the plugin makes, with WeChat's shapes and error codes, and shows the
H5 authorisation page a buyer sees in WeChat's browser:

- ``GET /sns/jscode2session`` — a mini-program's ``wx.login()`` code → ``openid``,
  ``session_key``, ``unionid`` (``40029`` invalid code, ``40163`` code already used,
  ``40013`` unknown appid, ``40125`` wrong secret);
- ``GET /cgi-bin/token`` — the app's access token (client credential);
- ``POST /wxa/business/getuserphonenumber?access_token=`` — the code of the mini-program's
  "get phone number" button → the phone WeChat has verified;
- ``GET|POST /connect/oauth2/authorize`` — the consent page of H5 web authorisation; "允许"
  sends the browser to ``redirect_uri?code=...&state=...``;
- ``GET /sns/oauth2/access_token`` — an H5 code → ``access_token``, ``openid``, ``unionid``;
- ``GET /sns/userinfo`` — the nickname and avatar (scope ``snsapi_userinfo``).

A "person" is one WeChat user; each app sees them under its own ``openid`` and all apps of
the platform under one ``unionid``. The consent page remembers its person in a cookie, so
one browser is one WeChat user. Codes work once and for five minutes, like WeChat's. The
protocol code here is written apart from the plugin's client, so one misreading cannot make
both sides agree.
"""

from __future__ import annotations

import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.wrappers import Request, Response

CODE_TTL = 300
COOKIE = "wxsim_person"


@dataclass
class SimApp:
    appid: str
    secret: str


@dataclass
class Person:
    key: str
    nickname: str
    phone: str = ""


@dataclass
class SimState:
    apps: dict[str, SimApp] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    codes: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # code → app, person
    phone_codes: dict[str, tuple[str, float]] = field(default_factory=dict)
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)  # token → appid, person
    app_tokens: dict[str, str] = field(default_factory=dict)  # token → appid


class WeChatLoginSimulator:
    """The WSGI app; ``add_app`` registers an appid and secret."""

    def __init__(self) -> None:
        self.state = SimState()
        self.lock = threading.Lock()
        self.public_url = ""
        self.salt = secrets.token_hex(8)

    # -- set-up and test helpers ---------------------------------------------------------------

    def add_app(self, appid: str, secret: str) -> None:
        self.state.apps[appid] = SimApp(appid, secret)

    def person(self, key: str, nickname: str = "", phone: str = "") -> Person:
        with self.lock:
            found = self.state.people.get(key)
            if found is None:
                found = self.state.people[key] = Person(key, nickname or f"微信用户{key[-4:]}")
            if phone:
                found.phone = phone
            return found

    def openid(self, appid: str, person: str) -> str:
        digest = hashlib.sha256(f"{self.salt}:{appid}:{person}".encode()).hexdigest()
        return "o" + digest[:27]

    def unionid(self, person: str) -> str:
        return "u" + hashlib.sha256(f"{self.salt}:union:{person}".encode()).hexdigest()[:27]

    def login_code(self, appid: str, person: str) -> str:
        """What ``wx.login()`` gives a mini-program running for ``person``."""
        self.person(person)
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.state.codes[code] = (appid, person, time.time() + CODE_TTL)
        return code

    def phone_code(self, phone: str) -> str:
        """What the mini-program's "get phone number" button gives, for a verified phone."""
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.state.phone_codes[code] = (phone, time.time() + CODE_TTL)
        return code

    # -- the WSGI side -------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.wsgi(Request(environ))(environ, start_response)

    def wsgi(self, request: Request) -> Response:
        routes = {
            "/sns/jscode2session": self.jscode2session,
            "/cgi-bin/token": self.app_token,
            "/wxa/business/getuserphonenumber": self.phone_number,
            "/connect/oauth2/authorize": self.authorize,
            "/sns/oauth2/access_token": self.oauth_token,
            "/sns/userinfo": self.userinfo,
        }
        handler = routes.get(request.path.rstrip("/"))
        if handler is None:
            return Response("not found", 404)
        return handler(request)

    @staticmethod
    def _json(data: dict[str, Any]) -> Response:
        return Response(json.dumps(data, ensure_ascii=False), 200, content_type="application/json")

    def _error(self, errcode: int, errmsg: str) -> Response:
        # WeChat answers errors with HTTP 200 and an errcode
        return self._json({"errcode": errcode, "errmsg": errmsg})

    def _app(self, args: Any) -> SimApp | Response:
        app = self.state.apps.get(args.get("appid", ""))
        if app is None:
            return self._error(40013, "invalid appid")
        if not secrets.compare_digest(args.get("secret", ""), app.secret):
            return self._error(40125, "invalid appsecret")
        return app

    def _take_code(self, code: str, appid: str) -> str | Response:
        with self.lock:
            found = self.state.codes.pop(code, None)
        if found is None:
            return self._error(40029, "invalid code")
        code_app, person, expires = found
        if code_app != appid or expires < time.time():
            return self._error(40163, "code been used or expired")
        return person

    def jscode2session(self, request: Request) -> Response:
        args = request.args
        app = self._app(args)
        if isinstance(app, Response):
            return app
        if args.get("grant_type") != "authorization_code":
            return self._error(40002, "invalid grant_type")
        person = self._take_code(args.get("js_code", ""), app.appid)
        if isinstance(person, Response):
            return person
        return self._json(
            {
                "openid": self.openid(app.appid, person),
                "session_key": secrets.token_urlsafe(16),
                "unionid": self.unionid(person),
            }
        )

    def app_token(self, request: Request) -> Response:
        args = request.args
        if args.get("grant_type") != "client_credential":
            return self._error(40002, "invalid grant_type")
        app = self._app(args)
        if isinstance(app, Response):
            return app
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.state.app_tokens[token] = app.appid
        return self._json({"access_token": token, "expires_in": 7200})

    def phone_number(self, request: Request) -> Response:
        if request.method != "POST":
            return Response("method not allowed", 405)
        if request.args.get("access_token", "") not in self.state.app_tokens:
            return self._error(40001, "invalid credential, access_token is invalid")
        try:
            code = str(json.loads(request.get_data() or b"{}").get("code", ""))
        except (ValueError, AttributeError):
            return self._error(47001, "data format error")
        with self.lock:
            found = self.state.phone_codes.pop(code, None)
        if found is None or found[1] < time.time():
            return self._error(40029, "invalid code")
        phone = found[0]
        pure = phone.removeprefix("+86")
        return self._json(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {"phoneNumber": phone, "purePhoneNumber": pure, "countryCode": "86"},
            }
        )

    def authorize(self, request: Request) -> Response:
        args = request.args
        app = self.state.apps.get(args.get("appid", ""))
        redirect_uri = args.get("redirect_uri", "")
        target = urlsplit(redirect_uri)
        if app is None or target.scheme not in ("http", "https") or not target.netloc:
            return Response("参数错误 / bad appid or redirect_uri", 400)
        if args.get("response_type") != "code" or args.get("scope") not in (
            "snsapi_base",
            "snsapi_userinfo",
        ):
            return Response("参数错误 / bad response_type or scope", 400)
        key = request.cookies.get(COOKIE) or secrets.token_hex(8)
        if request.method == "POST":
            nickname = (request.form.get("nickname") or "").strip()[:32]
            self.person(key, nickname)
            code = secrets.token_urlsafe(24)
            with self.lock:
                self.state.codes[code] = (app.appid, key, time.time() + CODE_TTL)
            glue = "&" if target.query else "?"
            query = urlencode({"code": code, "state": args.get("state", "")})
            answer = Response("", 302, headers={"Location": f"{redirect_uri}{glue}{query}"})
            answer.set_cookie(COOKIE, key, httponly=True, samesite="Lax")
            return answer
        known = self.state.people.get(key)
        page = (
            "<!doctype html><meta charset=utf-8>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>微信授权 (simulator)</title><h1>微信授权 (simulator)</h1>"
            f"<p>{html.escape(target.netloc)} 申请获得你的昵称、头像 / wants your nickname</p>"
            '<form method="post"><label>昵称 / Nickname '
            f'<input name="nickname" value="{html.escape(known.nickname if known else "")}">'
            '</label> <button type="submit">允许 / Allow</button></form>'
        )
        answer = Response(page, 200, content_type="text/html; charset=utf-8")
        answer.set_cookie(COOKIE, key, httponly=True, samesite="Lax")
        return answer

    def oauth_token(self, request: Request) -> Response:
        args = request.args
        app = self._app(args)
        if isinstance(app, Response):
            return app
        if args.get("grant_type") != "authorization_code":
            return self._error(40002, "invalid grant_type")
        person = self._take_code(args.get("code", ""), app.appid)
        if isinstance(person, Response):
            return person
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.state.tokens[token] = (app.appid, person)
        return self._json(
            {
                "access_token": token,
                "expires_in": 7200,
                "refresh_token": secrets.token_urlsafe(32),
                "openid": self.openid(app.appid, person),
                "scope": "snsapi_userinfo",
                "unionid": self.unionid(person),
            }
        )

    def userinfo(self, request: Request) -> Response:
        found = self.state.tokens.get(request.args.get("access_token", ""))
        if found is None:
            return self._error(40001, "invalid credential, access_token is invalid")
        appid, key = found
        if request.args.get("openid") != self.openid(appid, key):
            return self._error(40003, "invalid openid")
        person = self.state.people[key]
        return self._json(
            {
                "openid": self.openid(appid, key),
                "nickname": person.nickname,
                "headimgurl": "",
                "unionid": self.unionid(key),
            }
        )
