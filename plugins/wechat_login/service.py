"""Signing buyers in with WeChat.

1. WeChat tells us who the person is: a mini-program's ``wx.login()`` code through
   ``code2session``, or an H5 page's OAuth2 code through ``sns/oauth2/access_token``. That
   gives the app's ``openid`` (and the platform-wide ``unionid`` when the app is tied to an
   open-platform account).
2. A WeChat user already bound to a mall account gets that account's bearer token — the same
   token ``/auth/login`` gives. A ``unionid`` bound through another of the platform's apps is
   the same person: the new ``openid`` is bound to the same account.
3. Otherwise the buyer proves a phone number: in a mini-program with the "get phone number"
   button (WeChat verified it; ``phone_code``), on H5 with a one-time SMS code
   (``POST /auth/codes``, then ``sign_in_verified``). The account with that phone is bound —
   or, when there is none, created. Between steps 1 and 3 the WeChat identity travels in a
   signed ``ticket`` valid for ten minutes, so nothing is stored for people who never finish.

An account with two-factor sign-in on (staff, admins) cannot be reached this way: WeChat is
one factor. Binding is one insert under unique indexes ``(appid, openid)`` and
``(appid, user_id)``: two simultaneous first sign-ins of one WeChat user bind once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import peewee as pw
from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from mallkit.core.plugin_api import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    User,
    ValidationError,
    find_account,
    register_user,
    sign_in_answer,
    sign_in_verified,
    transaction,
    utcnow,
)
from mallkit.plugins.wechat_login.client import OFFICIAL_API, WeChatClient, WeChatRefused
from mallkit.plugins.wechat_login.models import WeChatIdentity

OFFICIAL_AUTHORIZE = "https://open.weixin.qq.com/connect/oauth2/authorize"
TICKET_SECONDS = 600
MINI, H5 = "miniprogram", "h5"


@dataclass(frozen=True)
class WeChatUser:
    """Who WeChat says the person is, for one of our apps."""

    appid: str
    openid: str
    unionid: str | None = None
    nickname: str = ""


# -- settings ------------------------------------------------------------------------------


def app_credentials(kind: str) -> tuple[str, str]:
    """``(appid, secret)`` of the mini-program or the H5 official account; 404
    ``wechat_login_not_configured`` when the platform has not set them."""
    prefix = "WECHAT_MINIPROGRAM" if kind == MINI else "WECHAT_H5"
    appid = current_app.config.get(f"{prefix}_APPID") or ""
    secret = current_app.config.get(f"{prefix}_SECRET") or ""
    if not appid or not secret:
        raise NotFound(
            f"WeChat sign-in ({kind}) is not configured", code="wechat_login_not_configured"
        )
    return appid, secret


def client() -> WeChatClient:
    return WeChatClient(current_app.config.get("WECHAT_API_URL") or OFFICIAL_API)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wechat_login.bind")


def ticket_for(who: WeChatUser) -> str:
    return _serializer().dumps(asdict(who))


def read_ticket(ticket: str) -> WeChatUser:
    try:
        data = _serializer().loads(ticket, max_age=TICKET_SECONDS)
        return WeChatUser(**data)
    except (BadSignature, TypeError) as exc:
        raise Unauthorized(
            "the WeChat sign-in has expired: start again", code="invalid_wechat_ticket"
        ) from exc


def _refused(exc: WeChatRefused, what: str) -> Unauthorized:
    return Unauthorized(
        f"WeChat refused the {what} ({exc.errcode}): sign in again", code="invalid_wechat_code"
    )


# -- who WeChat says it is -----------------------------------------------------------------


def miniprogram_user(code: str) -> WeChatUser:
    appid, secret = app_credentials(MINI)
    try:
        session = client().code2session(appid, secret, code)
    except WeChatRefused as exc:
        raise _refused(exc, "login code") from exc
    return WeChatUser(appid, str(session["openid"]), session.get("unionid") or None)


def h5_user(code: str) -> WeChatUser:
    appid, secret = app_credentials(H5)
    wechat = client()
    try:
        token = wechat.oauth_token(appid, secret, code)
    except WeChatRefused as exc:
        raise _refused(exc, "authorisation code") from exc
    nickname = ""
    try:  # the nickname only names a new account; sign-in does not depend on it
        nickname = str(wechat.userinfo(token["access_token"], token["openid"]).get("nickname", ""))
    except WeChatRefused:
        pass
    return WeChatUser(appid, str(token["openid"]), token.get("unionid") or None, nickname[:100])


def verified_phone(phone_code: str) -> str:
    appid, secret = app_credentials(MINI)
    try:
        return client().phone_number(appid, secret, phone_code)
    except WeChatRefused as exc:
        raise _refused(exc, "phone code") from exc


def authorize_url(redirect_uri: str, state: str) -> str:
    """Where an H5 page sends the buyer to agree (WeChat's consent page), coming back to
    ``redirect_uri`` — an address of this platform only (WeChat also checks its domain)."""
    appid, _secret = app_credentials(H5)
    target = urlsplit(redirect_uri)
    allowed = list(current_app.config.get("WECHAT_H5_REDIRECT_ORIGINS") or [])
    if not allowed:
        base = current_app.config.get("PUBLIC_BASE_URL") or (
            request.host_url if has_request_context() else ""
        )
        allowed = [base]
    origins = {(urlsplit(a).scheme, urlsplit(a).netloc) for a in allowed if a}
    if (target.scheme, target.netloc) not in origins:
        raise ValidationError(
            "redirect_uri must be an address of this site",
            errors={"redirect_uri": ["Not an address of this site."]},
        )
    query = urlencode(
        {
            "appid": appid,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": "snsapi_userinfo",
            "state": state,
        }
    )
    base = current_app.config.get("WECHAT_AUTHORIZE_URL") or OFFICIAL_AUTHORIZE
    return f"{base}?{query}#wechat_redirect"


# -- accounts ------------------------------------------------------------------------------


def bound_account(who: WeChatUser) -> User | None:
    """The account this WeChat user is bound to: by ``openid`` for this app, else by
    ``unionid`` through another app (then this ``openid`` is bound to it too)."""
    identity = WeChatIdentity.get_or_none(
        (WeChatIdentity.appid == who.appid) & (WeChatIdentity.openid == who.openid)
    )
    if identity is None and who.unionid:
        sibling = (
            WeChatIdentity.select()
            .where(WeChatIdentity.unionid == who.unionid)
            .order_by(WeChatIdentity.id)
            .first()
        )
        if sibling is not None:
            user = User.get_or_none(User.id == sibling.user_id)
            return bind(who, check_can_sign_in(user)) if user is not None else None
    if identity is None:
        return None
    return User.get_or_none(User.id == identity.user_id)


def bind(who: WeChatUser, user: User) -> User:
    """Bind the WeChat user to ``user`` (once: a repeat is a no-op). 409
    ``wechat_bound_elsewhere`` when this WeChat user is another account's,
    ``account_has_other_wechat`` when the account has another WeChat user for this app."""
    try:
        with transaction():
            WeChatIdentity.create(
                appid=who.appid,
                openid=who.openid,
                unionid=who.unionid,
                user_id=user.id,
                nickname=who.nickname,
            )
    except pw.IntegrityError:
        same = WeChatIdentity.get_or_none(
            (WeChatIdentity.appid == who.appid) & (WeChatIdentity.openid == who.openid)
        )
        if same is not None and same.user_id == user.id:
            return user  # a simultaneous first sign-in bound it already
        if same is not None:
            raise Conflict(
                "this WeChat account is bound to another account", code="wechat_bound_elsewhere"
            ) from None
        raise Conflict(
            "this account is bound to another WeChat account", code="account_has_other_wechat"
        ) from None
    return user


def account_for_phone(phone: str, name: str) -> User:
    """The account with this (verified) phone, or a new one."""
    user = find_account(None, phone)
    if user is not None:
        return user
    try:
        return register_user(phone=phone, password=None, name=name)
    except Conflict:  # registered a moment ago by a simultaneous request
        user = find_account(None, phone)
        if user is None:
            raise
        return user


def check_can_sign_in(user: User) -> User:
    """Refuse an account WeChat may not sign in to (disabled, or with two-factor sign-in) —
    before it is bound, so a refused sign-in binds nothing."""
    if not user.is_active:
        raise Unauthorized("this account is disabled", code="account_disabled")
    if user.totp_enabled_at is not None:
        raise Forbidden(
            "accounts with two-factor sign-in sign in with their password and code",
            code="two_factor_account",
        )
    return user


def signed_in(user: User, who: WeChatUser) -> dict[str, Any]:
    check_can_sign_in(user)
    WeChatIdentity.update(last_login_at=utcnow()).where(
        (WeChatIdentity.appid == who.appid) & (WeChatIdentity.openid == who.openid)
    ).execute()
    return {"status": "signed_in", **sign_in_answer(user)}


def phone_required(who: WeChatUser) -> dict[str, Any]:
    return {"status": "phone_required", "ticket": ticket_for(who)}


# -- the flows -----------------------------------------------------------------------------


def miniprogram_sign_in(code: str, phone_code: str | None = None) -> dict[str, Any]:
    who = miniprogram_user(code)
    user = bound_account(who)
    if user is None and phone_code:
        user = account_for_phone(verified_phone(phone_code), who.nickname)
        user = bind(who, check_can_sign_in(user))
    return signed_in(user, who) if user is not None else phone_required(who)


def h5_sign_in(code: str) -> dict[str, Any]:
    who = h5_user(code)
    user = bound_account(who)
    return signed_in(user, who) if user is not None else phone_required(who)


def bind_phone(
    ticket: str, *, phone: str | None, code: str | None, phone_code: str | None
) -> dict[str, Any]:
    """Finish a sign-in that answered ``phone_required``: the phone proven by a one-time SMS
    code (``phone`` + ``code``), or in the mini-program by WeChat (``phone_code``)."""
    who = read_ticket(ticket)
    if phone_code:
        if who.appid != app_credentials(MINI)[0]:
            raise ValidationError(
                "phone_code is for the mini-program", errors={"phone_code": ["Not here."]}
            )
        user = account_for_phone(verified_phone(phone_code), who.nickname)
    elif phone and code:
        user = sign_in_verified(phone, code, name=who.nickname)
    else:
        raise ValidationError(
            "send phone and code (an SMS code), or phone_code",
            errors={"code": ["Required with phone."]},
        )
    return signed_in(bind(who, check_can_sign_in(user)), who)
