"""The WeChat Pay channel: Native / JSAPI / H5 / App payments, query, close, refunds and
notifications, over API v3 (direct merchant)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import segno
from flask import has_request_context, request

from mallkit.core.plugin_api import (
    Acknowledgement,
    ChannelContext,
    ChannelPayment,
    ChannelRefund,
    InvalidNotification,
    Notification,
    PaymentChannel,
    Refund,
    ValidationError,
    record_payment_log,
)
from mallkit.plugins.payment_wechat import protocol
from mallkit.plugins.payment_wechat.client import WeChatClient, refused

PAID_STATES = ("SUCCESS", "REFUND")
STATE = {
    "SUCCESS": "paid",
    "REFUND": "paid",
    "NOTPAY": "pending",
    "USERPAYING": "pending",
    "CLOSED": "closed",
    "REVOKED": "closed",
    "PAYERROR": "failed",
}
REFUND_STATE = {
    "SUCCESS": "succeeded",
    "PROCESSING": "pending",
    "CLOSED": "failed",
    "ABNORMAL": "failed",
}


def platform_keys(config: dict[str, Any]) -> dict[str, Any]:
    """The serial → WeChat Pay public key map: the public key by its ``PUB_KEY_ID_...`` and
    every platform certificate by its serial."""
    keys: dict[str, Any] = {}
    if config.get("wechatpay_public_key_id") and config.get("wechatpay_public_key"):
        keys[config["wechatpay_public_key_id"]] = protocol.load_public_key(
            config["wechatpay_public_key"]
        )
    for pem in config.get("platform_certificates") or ():
        keys[protocol.certificate_serial(pem)] = protocol.load_public_key(pem)
    return keys


def qr_svg(text: str) -> str:
    """The QR code of a payment link as an SVG data URI (for Native ``code_url``)."""
    return segno.make(text, error="m").svg_data_uri(scale=4)


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


class WeChatChannel(PaymentChannel):
    code = "wechat"
    plugin = "payment_wechat"
    title = "WeChat Pay"
    methods = ("native", "jsapi", "h5", "app")

    def __init__(self) -> None:
        # Injectable for deterministic tests.
        self.clock: Callable[[], float] = time.time
        self.nonce: Callable[[], str] = lambda: secrets.token_hex(16).upper()
        self._keys: dict[tuple, dict[str, Any]] = {}

    # -- helpers ------------------------------------------------------------------------------

    def keys(self, config: dict[str, Any]) -> dict[str, Any]:
        cache_key = (
            config.get("wechatpay_public_key_id"),
            config.get("wechatpay_public_key"),
            tuple(config.get("platform_certificates") or ()),
        )
        found = self._keys.get(cache_key)
        if found is None:
            found = self._keys[cache_key] = platform_keys(config)
        return found

    def client(self, ctx: ChannelContext) -> WeChatClient:
        return WeChatClient(ctx.config, self.keys(ctx.config), self.clock, self.nonce)

    def notify_url(self, ctx: ChannelContext) -> str:
        base = ctx.config.get("notify_base_url")
        if not base:
            return ctx.notify_url
        return base.rstrip("/") + urlsplit(ctx.notify_url).path

    def log(self, ctx: ChannelContext, action: str, reference: str, verdict: str, **kw) -> None:

        record_payment_log(ctx.merchant.id, self.code, action, reference, verdict, **kw)

    # -- payments -----------------------------------------------------------------------------

    def create(self, ctx, attempt, order, params):
        cfg = ctx.config
        body: dict[str, Any] = {
            "appid": cfg["appid"],
            "mchid": cfg["mchid"],
            "description": str(params.get("description") or f"订单 {order.number}")[:127],
            "out_trade_no": attempt.number,
            "notify_url": self.notify_url(ctx),
            "amount": {"total": attempt.amount, "currency": attempt.currency},
        }
        method = attempt.method
        if method == "jsapi":
            openid = params.get("openid")
            if not isinstance(openid, str) or not 1 <= len(openid) <= 128:
                raise ValidationError(
                    "JSAPI needs the payer's openid", errors={"params": {"openid": ["Required."]}}
                )
            body["payer"] = {"openid": openid}
        if method == "h5":
            # WeChat wants the payer's own address; a browser does not know it, the server
            # that hears the request does (behind a proxy: the app's ProxyFix settings)
            ip = params.get("client_ip") or (request.remote_addr if has_request_context() else None)
            if not isinstance(ip, str) or not 3 <= len(ip) <= 45:
                raise ValidationError(
                    "H5 needs the payer's IP", errors={"params": {"client_ip": ["Required."]}}
                )
            body["scene_info"] = {
                "payer_client_ip": ip,
                "h5_info": {"type": "Wap", "app_name": cfg.get("h5_app_name") or "mallkit"},
            }
        status, data = self.client(ctx).call("POST", f"/v3/pay/transactions/{method}", body)
        if status != 200:  # the core logs the refusal with the error raised below
            raise refused(status, data)
        if method == "native":
            return {"code_url": data["code_url"], "qr_svg": qr_svg(data["code_url"])}
        if method == "h5":
            return {"h5_url": data["h5_url"]}
        prepay_id = str(data["prepay_id"])
        timestamp, nonce = str(int(self.clock())), self.nonce()
        key = protocol.load_private_key(cfg["private_key"])
        if method == "jsapi":
            return {
                "prepay_id": prepay_id,
                "invoke": {
                    "appId": cfg["appid"],
                    "timeStamp": timestamp,
                    "nonceStr": nonce,
                    "package": f"prepay_id={prepay_id}",
                    "signType": "RSA",
                    "paySign": protocol.jsapi_pay_sign(
                        key, cfg["appid"], timestamp, nonce, prepay_id
                    ),
                },
            }
        return {
            "prepay_id": prepay_id,
            "invoke": {
                "appid": cfg["appid"],
                "partnerid": cfg["mchid"],
                "prepayid": prepay_id,
                "package": "Sign=WXPay",
                "noncestr": nonce,
                "timestamp": timestamp,
                "sign": protocol.app_pay_sign(key, cfg["appid"], timestamp, nonce, prepay_id),
            },
        }

    def _payment(self, data: dict[str, Any]) -> ChannelPayment:
        amount = data.get("amount") or {}
        paid_at = None
        if data.get("success_time"):
            try:
                paid_at = (
                    dt.datetime.fromisoformat(data["success_time"])
                    .astimezone(dt.UTC)
                    .replace(tzinfo=None)
                )
            except ValueError:
                paid_at = None
        return ChannelPayment(
            str(data.get("out_trade_no", "")),
            STATE.get(str(data.get("trade_state")), "pending"),
            data.get("transaction_id"),
            amount.get("total"),
            amount.get("currency"),
            paid_at,
            {"trade_state": data.get("trade_state")},
        )

    def query(self, ctx, attempt):
        mchid = ctx.config["mchid"]
        status, data = self.client(ctx).call(
            "GET", f"/v3/pay/transactions/out-trade-no/{attempt.number}?mchid={mchid}"
        )
        if status == 404:
            return ChannelPayment(attempt.number, "pending")
        if status != 200:
            raise refused(status, data)
        if data.get("mchid") != mchid or data.get("appid") != ctx.config["appid"]:
            raise refused(status, {"code": "MISMATCH", "message": "mchid/appid"})
        return self._payment(data)

    def close(self, ctx, attempt):
        status, data = self.client(ctx).call(
            "POST",
            f"/v3/pay/transactions/out-trade-no/{attempt.number}/close",
            {"mchid": ctx.config["mchid"]},
        )
        if status not in (200, 204, 404):
            raise refused(status, data)

    # -- refunds ------------------------------------------------------------------------------

    def _refund(self, data: dict[str, Any], number: str) -> ChannelRefund:
        status = str(data.get("status") or data.get("refund_status") or "")
        return ChannelRefund(
            str(data.get("out_refund_no") or number),
            REFUND_STATE.get(status, "pending"),
            data.get("refund_id"),
            (data.get("amount") or {}).get("refund"),
            "" if status in ("SUCCESS", "PROCESSING") else status,
            {"status": status},
        )

    def refund(self, ctx, attempt, refund):
        body = {
            "out_trade_no": attempt.number,
            "out_refund_no": refund.number,
            "reason": (refund.reason or "退款")[:80],
            "notify_url": self.notify_url(ctx),
            "amount": {"refund": refund.amount, "total": attempt.amount, "currency": "CNY"},
        }
        status, data = self.client(ctx).call("POST", "/v3/refund/domestic/refunds", body)
        if status != 200:
            self.log(ctx, "refund", refund.number, "refused", status=status, code=data.get("code"))
            if 400 <= status < 500 and status != 429:
                return ChannelRefund(
                    refund.number, "failed", None, refund.amount, data.get("code", "")
                )
            raise refused(status, data)  # 5xx / 429: the refund task retries
        return self._refund(data, refund.number)

    def query_refund(self, ctx, attempt, refund):
        status, data = self.client(ctx).call("GET", f"/v3/refund/domestic/refunds/{refund.number}")
        if status == 404:
            return ChannelRefund(refund.number, "pending")
        if status != 200:
            raise refused(status, data)
        return self._refund(data, refund.number)

    # -- notifications ------------------------------------------------------------------------

    def parse_notification(self, ctx, headers, body, form):
        cfg = ctx.config
        try:
            protocol.verify_signed(headers, body, self.keys(cfg), self.clock())
            envelope = json.loads(body)
            plain = json.loads(protocol.decrypt_resource(cfg["apiv3_key"], envelope["resource"]))
        except protocol.VerificationError as exc:
            raise InvalidNotification(str(exc)) from None
        except (ValueError, KeyError, TypeError):
            raise InvalidNotification("malformed notification") from None
        event = str(envelope.get("event_type", ""))
        if plain.get("mchid") != cfg["mchid"]:
            raise InvalidNotification("mchid does not match")
        if event == "TRANSACTION.SUCCESS":
            if plain.get("appid") != cfg["appid"]:
                raise InvalidNotification("appid does not match")
            payment = self._payment(plain)
            if payment.status != "paid":
                raise InvalidNotification("not a successful payment")
            return Notification("payment", payment=payment)
        if event.startswith("REFUND."):
            result = self._refund(plain, "")
            ours = Refund.get_or_none(
                (Refund.number == result.refund_number) & (Refund.merchant == ctx.merchant.id)
            )
            if ours is not None and result.amount != ours.amount:
                raise InvalidNotification("refund amount does not match")
            return Notification("refund", refund=result)
        raise InvalidNotification(f"unexpected event {event[:40]}")

    def acknowledge(self, ok, message=""):
        if ok:
            return Acknowledgement(b"", 204, "application/json")
        body = json.dumps({"code": "FAIL", "message": message or "failed"}, ensure_ascii=False)
        return Acknowledgement(body, 400, "application/json")


CHANNEL = WeChatChannel()
