"""The Alipay channel: page pay (PC), wap pay (H5), precreate (QR), query, close, refunds
with ``out_request_no`` and refund query, async notifications and return-URL verification."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import segno

from mallkit.core.plugin_api import (
    Acknowledgement,
    ChannelContext,
    ChannelPayment,
    ChannelRefund,
    InvalidNotification,
    Notification,
    PaymentChannel,
)
from mallkit.plugins.payment_alipay import protocol
from mallkit.plugins.payment_alipay.client import AlipayClient, refused

STATE = {
    "TRADE_SUCCESS": "paid",
    "TRADE_FINISHED": "paid",
    "WAIT_BUYER_PAY": "pending",
    "TRADE_CLOSED": "closed",
}
PRODUCT = {"page": "FAST_INSTANT_TRADE_PAY", "wap": "QUICK_WAP_WAY"}
RETRYABLE = ("20000", "20001")  # service unavailable: the task asks again later


def _paid_at(text: str) -> dt.datetime | None:
    try:
        local = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=protocol.GMT8)
    except (TypeError, ValueError):
        return None
    return local.astimezone(dt.UTC).replace(tzinfo=None)


class AlipayChannel(PaymentChannel):
    code = "alipay"
    plugin = "payment_alipay"
    title = "Alipay"
    methods = ("page", "wap", "precreate")

    def __init__(self) -> None:
        self.clock: Callable[[], float] = time.time  # injectable for deterministic tests

    def client(self, ctx: ChannelContext) -> AlipayClient:
        return AlipayClient(ctx.config, self.clock)

    def notify_url(self, ctx: ChannelContext) -> str:
        base = ctx.config.get("notify_base_url")
        if not base:
            return ctx.notify_url
        return base.rstrip("/") + urlsplit(ctx.notify_url).path

    # -- payments -----------------------------------------------------------------------------

    def create(self, ctx, attempt, order, params):
        biz = {
            "out_trade_no": attempt.number,
            "total_amount": protocol.yuan(attempt.amount),
            "subject": str(params.get("subject") or f"订单 {order.number}")[:256],
        }
        client = self.client(ctx)
        if attempt.method in PRODUCT:
            biz["product_code"] = PRODUCT[attempt.method]
            url = client.page_url(
                f"alipay.trade.{attempt.method}.pay",
                biz,
                notify_url=self.notify_url(ctx),
                return_url=ctx.config.get("return_url", ""),
            )
            return {"pay_url": url}
        value = client.call("alipay.trade.precreate", biz, notify_url=self.notify_url(ctx))
        if value.get("code") != "10000":
            raise refused(value)
        qr = str(value["qr_code"])
        return {"qr_code": qr, "qr_svg": segno.make(qr, error="m").svg_data_uri(scale=4)}

    def _payment(self, number: str, value: dict[str, Any], paid_at: str = "") -> ChannelPayment:
        status = STATE.get(str(value.get("trade_status")), "pending")
        try:
            amount = protocol.fen(value.get("total_amount", ""))
        except ValueError:
            amount = None
        return ChannelPayment(
            number,
            status,
            value.get("trade_no"),
            amount,
            "CNY",
            _paid_at(paid_at),
            {"trade_status": value.get("trade_status")},
        )

    def query(self, ctx, attempt):
        value = self.client(ctx).call("alipay.trade.query", {"out_trade_no": attempt.number})
        if value.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return ChannelPayment(attempt.number, "pending")
        if value.get("code") != "10000":
            raise refused(value)
        if value.get("out_trade_no") != attempt.number:
            raise refused({"code": "MISMATCH", "sub_msg": "out_trade_no"})
        return self._payment(attempt.number, value, value.get("send_pay_date", ""))

    def close(self, ctx, attempt):
        value = self.client(ctx).call("alipay.trade.close", {"out_trade_no": attempt.number})
        if value.get("code") != "10000" and value.get("sub_code") != "ACQ.TRADE_NOT_EXIST":
            raise refused(value)

    # -- refunds ------------------------------------------------------------------------------

    def refund(self, ctx, attempt, refund):
        biz = {
            "out_trade_no": attempt.number,
            "refund_amount": protocol.yuan(refund.amount),
            "out_request_no": refund.number,
            "refund_reason": (refund.reason or "退款")[:256],
        }
        value = self.client(ctx).call("alipay.trade.refund", biz)
        if value.get("code") == "10000":
            if value.get("fund_change") == "Y":
                return ChannelRefund(
                    refund.number,
                    "succeeded",
                    f"{value.get('trade_no')}:{refund.number}",
                    refund.amount,
                )
            return self.query_refund(ctx, attempt, refund)  # a repeat: ask what happened
        if value.get("code") in RETRYABLE or value.get("sub_code") == "ACQ.SYSTEM_ERROR":
            raise refused(value)
        return ChannelRefund(
            refund.number, "failed", None, refund.amount, str(value.get("sub_code"))
        )

    def query_refund(self, ctx, attempt, refund):
        value = self.client(ctx).call(
            "alipay.trade.fastpay.refund.query",
            {"out_trade_no": attempt.number, "out_request_no": refund.number},
        )
        if value.get("code") != "10000":
            raise refused(value)
        if value.get("refund_status") == "REFUND_SUCCESS":
            return ChannelRefund(
                refund.number,
                "succeeded",
                f"{value.get('trade_no')}:{refund.number}",
                protocol.fen(value["refund_amount"]),
            )
        return ChannelRefund(refund.number, "pending")

    # -- notifications and returns ------------------------------------------------------------

    def verified_params(self, ctx: ChannelContext, params: dict[str, str]) -> dict[str, str]:
        """Verify a notification's or a return's parameters and bind them to this merchant."""
        cfg = ctx.config
        try:
            protocol.verify_notification(protocol.load_public_key(cfg["alipay_public_key"]), params)
        except protocol.VerificationError as exc:
            raise InvalidNotification(str(exc)) from None
        if params.get("app_id") != cfg["app_id"]:
            raise InvalidNotification("app_id does not match")
        if cfg.get("seller_id") and params.get("seller_id") != cfg["seller_id"]:
            raise InvalidNotification("seller_id does not match")
        return params

    def parse_notification(self, ctx, headers, body, form):
        try:
            # Parsed once from the raw body; values are kept exactly as sent.
            params = dict(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            )
        except (UnicodeDecodeError, ValueError):
            raise InvalidNotification("malformed notification") from None
        params = self.verified_params(ctx, params)
        if params.get("out_biz_no") and params.get("refund_fee"):
            number = params["out_biz_no"]
            return Notification(
                "refund",
                refund=ChannelRefund(number, "succeeded", f"{params.get('trade_no')}:{number}"),
            )
        payment = self._payment(
            params.get("out_trade_no", ""), params, params.get("gmt_payment", "")
        )
        if payment.amount is None:
            raise InvalidNotification("total_amount is not an amount")
        return Notification("payment", payment=payment)

    def verify_return(self, ctx: ChannelContext, params: dict[str, str]) -> dict[str, Any]:
        """The return URL's parameters, verified (never authoritative: the notification and
        the query are)."""
        params = self.verified_params(ctx, params)
        try:
            amount = protocol.fen(params.get("total_amount", ""))
        except ValueError:
            raise InvalidNotification("total_amount is not an amount") from None
        return {
            "out_trade_no": params.get("out_trade_no", ""),
            "trade_no": params.get("trade_no"),
            "amount": amount,
        }

    def acknowledge(self, ok, message=""):
        return Acknowledgement("success" if ok else "fail", 200 if ok else 400, "text/plain")


CHANNEL = AlipayChannel()
