"""An Alipay open-platform gateway simulator (``gateway.do``, RSA2).

It checks every request like the real gateway (app id, method, ``format``/``charset``/
``version``/``sign_type``, a GMT+8 ``timestamp`` near now, the RSA2 signature over the sorted
parameters with ``sign_type`` kept), answers ``{"<method>_response": {...}, "sign"}`` signed
over the raw text of the response value, serves the page/wap cashier, and sends form-encoded
notifications signed with ``sign`` and ``sign_type`` left out of the signed string, on
Alipay's retry ladder, until the reply is exactly ``success``.

Protocol code here is written independently of ``mallkit.plugins.payment_alipay``.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import re
import secrets
import threading
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.wrappers import Request, Response

from mallkit.core.plugin_api import simkit

# Alipay notifies 8 times over ~25 h: 4m, 10m, 10m, 1h, 2h, 6h, 15h after the first try.
RETRY_LADDER = (240, 600, 600, 3600, 7200, 21600, 54000)
TZ = dt.timezone(dt.timedelta(hours=8))
AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
FAULTS = (
    "bad_signature",
    "unsigned",
    "tampered_body",
    "wrong_amount",
    "wrong_app_id",
    "wrong_seller",
)
METHODS = (
    "alipay.trade.page.pay",
    "alipay.trade.wap.pay",
    "alipay.trade.precreate",
    "alipay.trade.query",
    "alipay.trade.close",
    "alipay.trade.refund",
    "alipay.trade.fastpay.refund.query",
)


def _gmt8(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, TZ).strftime("%Y-%m-%d %H:%M:%S")


def _content(params: dict[str, str], drop: tuple[str, ...]) -> bytes:
    items = sorted((k, v) for k, v in params.items() if k not in drop and v != "")
    return "&".join(f"{k}={v}" for k, v in items).encode()


class AlipaySimulator:
    """The gateway. Use as a WSGI app, or serve it on loopback."""

    def __init__(
        self, clock: simkit.Clock | None = None, sender: simkit.Sender | None = None
    ) -> None:
        self.clock = clock or simkit.Clock()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.apps: dict[str, dict[str, Any]] = {}
        self.trades: dict[tuple[str, str], dict[str, Any]] = {}
        self.refunds: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, code) for tests
        self.api_faults: list[dict[str, Any]] = []
        self.public_url = ""  # where buyers reach the gateway (cashier, QR links)
        self.lock = threading.Lock()
        self.outbox = simkit.Outbox(
            RETRY_LADDER, lambda s, b: s == 200 and b == b"success", self.clock, sender
        )

    @property
    def public_key_pem(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def add_app(self, app_id: str, app_public_key_pem: str, seller_id: str) -> None:
        self.apps[app_id] = {
            "public_key": serialization.load_pem_public_key(app_public_key_pem.encode()),
            "seller_id": seller_id,
        }

    def fail_next(self, times: int = 1, *, status: int = 0, delay: float = 0.0) -> None:
        for _ in range(times):
            self.api_faults.append({"status": status, "delay": delay})

    # -- signing ------------------------------------------------------------------------------

    def _sign(self, data: bytes) -> str:
        return base64.b64encode(self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()

    def _respond(self, method: str, value: dict[str, Any], signed: bool = True) -> Response:
        # Spaces after separators on purpose: a client that re-serializes fails to verify.
        text = json.dumps(value, ensure_ascii=False)
        name = method.replace(".", "_") + "_response" if method in METHODS else "error_response"
        body = '{"' + name + '":' + text
        if signed:
            body += ',"sign":"' + self._sign(text.encode()) + '"'
        body += "}"
        self.requests.append((method, str(value.get("sub_code") or value.get("code"))))
        return Response(body, 200, content_type="application/json;charset=utf-8")

    def _fail(self, method: str, code: str, sub_code: str, sub_msg: str, signed=True) -> Response:
        msg = {
            "40002": "Invalid Arguments",
            "40004": "Business Failed",
            "20000": "Service Currently Unavailable",
        }
        return self._respond(
            method,
            {"code": code, "msg": msg.get(code, "Error"), "sub_code": sub_code, "sub_msg": sub_msg},
            signed,
        )

    # -- the WSGI app -------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        return self.wsgi(environ, start_response)

    @Request.application
    def wsgi(self, request: Request) -> Response:
        if request.path.startswith("/cashier/"):
            return self.cashier(request, request.path.removeprefix("/cashier/"))
        if request.path != "/gateway.do":
            return Response("not found", 404)
        if self.api_faults:
            with self.lock:
                fault = self.api_faults.pop(0) if self.api_faults else None
            if fault:
                if fault["delay"]:
                    time.sleep(fault["delay"])
                if fault["status"]:
                    return Response("busy", fault["status"])
        params = {**request.args.to_dict(), **request.form.to_dict()}
        method = params.get("method", "")
        checked = self._check(params)
        if checked is not None:
            return checked
        try:
            biz = json.loads(params.get("biz_content") or "{}")
            assert isinstance(biz, dict)
        except (ValueError, AssertionError):
            return self._fail(method, "40002", "isv.invalid-biz-content", "biz_content is not JSON")
        app_id = params["app_id"]
        handler = {
            "alipay.trade.page.pay": self.page_pay,
            "alipay.trade.wap.pay": self.page_pay,
            "alipay.trade.precreate": self.precreate,
            "alipay.trade.query": self.query,
            "alipay.trade.close": self.close,
            "alipay.trade.refund": self.refund,
            "alipay.trade.fastpay.refund.query": self.refund_query,
        }[method]
        return handler(app_id, method, biz, params)

    def _check(self, params: dict[str, str]) -> Response | None:
        method = params.get("method", "")
        if method not in METHODS:
            return self._fail(method, "40002", "isv.invalid-method", "unknown method", False)
        app = self.apps.get(params.get("app_id", ""))
        if app is None:
            return self._fail(method, "40002", "isv.invalid-app-id", "unknown app_id", False)
        for name, value in (("format", "JSON"), ("charset", "utf-8"), ("version", "1.0")):
            if params.get(name, value).lower() != value.lower():
                return self._fail(method, "40002", f"isv.invalid-{name}", f"bad {name}")
        if params.get("sign_type") != "RSA2":
            return self._fail(
                method, "40002", "isv.invalid-signature-type", "sign_type must be RSA2"
            )
        try:
            ts = dt.datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S")
            ts = ts.replace(tzinfo=TZ).timestamp()
        except ValueError:
            return self._fail(method, "40002", "isv.invalid-timestamp", "bad timestamp")
        if abs(self.clock.now() - ts) > 900:
            return self._fail(method, "40002", "isv.invalid-timestamp", "timestamp too far off")
        try:
            app["public_key"].verify(
                base64.b64decode(params.get("sign", "")),
                _content(params, ("sign",)),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return self._fail(method, "40002", "isv.invalid-signature", "验签出错", False)
        return None

    # -- methods ------------------------------------------------------------------------------

    def _new_trade(self, app_id: str, method: str, biz: dict, params: dict) -> Any:
        out_no = str(biz.get("out_trade_no", ""))
        amount = str(biz.get("total_amount", ""))
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", out_no) or not biz.get("subject"):
            return self._fail(method, "40002", "isv.missing-parameter", "out_trade_no/subject")
        if not AMOUNT.match(amount) or not Decimal("0.01") <= Decimal(amount) <= 100000000:
            return self._fail(method, "40002", "isv.invalid-parameter", "total_amount")
        with self.lock:
            trade = self.trades.get((app_id, out_no))
            if trade is not None:
                if trade["trade_status"] != "WAIT_BUYER_PAY":
                    return self._fail(method, "40004", "ACQ.TRADE_HAS_SUCCESS", "trade done")
                if Decimal(trade["total_amount"]) != Decimal(amount):
                    return self._fail(method, "40004", "ACQ.CONTEXT_INCONSISTENT", "amount")
            else:
                trade = self.trades[(app_id, out_no)] = {
                    "app_id": app_id,
                    "out_trade_no": out_no,
                    "trade_no": dt.datetime.fromtimestamp(self.clock.now(), TZ).strftime("%Y%m%d")
                    + "22"
                    + "".join(secrets.choice("0123456789") for _ in range(18)),
                    "total_amount": f"{Decimal(amount):.2f}",
                    "subject": str(biz["subject"]),
                    "trade_status": "WAIT_BUYER_PAY",
                    "notify_url": params.get("notify_url", ""),
                    "return_url": params.get("return_url", ""),
                    "refund_fee": Decimal("0"),
                }
        return trade

    def page_pay(self, app_id: str, method: str, biz: dict, params: dict) -> Response:
        trade = self._new_trade(app_id, method, biz, params)
        if isinstance(trade, Response):
            return trade
        return self._cashier_page(trade)

    def precreate(self, app_id: str, method: str, biz: dict, params: dict) -> Response:
        trade = self._new_trade(app_id, method, biz, params)
        if isinstance(trade, Response):
            return trade
        qr = f"{self.public_url}/cashier/{app_id}/{trade['out_trade_no']}"
        return self._respond(
            method,
            {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": trade["out_trade_no"],
                "qr_code": qr,
            },
        )

    def query(self, app_id: str, method: str, biz: dict, params: dict) -> Response:
        trade = self.trades.get((app_id, str(biz.get("out_trade_no", ""))))
        if trade is None:
            return self._fail(method, "40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        value = {
            "code": "10000",
            "msg": "Success",
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
            "buyer_logon_id": "159****5620",
            "trade_status": trade["trade_status"],
            "total_amount": trade["total_amount"],
        }
        if trade.get("gmt_payment"):
            value["send_pay_date"] = trade["gmt_payment"]
        return self._respond(method, value)

    def close(self, app_id: str, method: str, biz: dict, params: dict) -> Response:
        trade = self.trades.get((app_id, str(biz.get("out_trade_no", ""))))
        if trade is None:
            return self._fail(method, "40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        with self.lock:
            if trade["trade_status"] not in ("WAIT_BUYER_PAY", "TRADE_CLOSED"):
                return self._fail(method, "40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            trade["trade_status"] = "TRADE_CLOSED"
        return self._respond(
            method,
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": trade["trade_no"],
                "out_trade_no": trade["out_trade_no"],
            },
        )

    def refund(self, app_id: str, method: str, biz: dict, params: dict) -> Response:
        trade = self.trades.get((app_id, str(biz.get("out_trade_no", ""))))
        if trade is None:
            return self._fail(method, "40004", "ACQ.TRADE_NOT_EXIST", "交易不存在")
        amount = str(biz.get("refund_amount", ""))
        request_no = str(biz.get("out_request_no") or trade["out_trade_no"])
        if not AMOUNT.match(amount) or Decimal(amount) <= 0:
            return self._fail(method, "40002", "isv.invalid-parameter", "refund_amount")
        key = (app_id, trade["out_trade_no"], request_no)
        with self.lock:
            fund_change = "N"
            if key not in self.refunds:  # out_request_no is the idempotency key
                if trade["trade_status"] not in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                    return self._fail(method, "40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
                if trade["refund_fee"] + Decimal(amount) > Decimal(trade["total_amount"]):
                    return self._fail(
                        method, "40004", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"
                    )
                trade["refund_fee"] += Decimal(amount)
                if trade["refund_fee"] == Decimal(trade["total_amount"]):
                    trade["trade_status"] = "TRADE_CLOSED"
                self.refunds[key] = {
                    "refund_amount": f"{Decimal(amount):.2f}",
                    "gmt_refund": _gmt8(self.clock.now()),
                }
                fund_change = "Y"
                self.outbox.add(
                    trade["notify_url"],
                    lambda: self.notification(trade, refund=(request_no, self.refunds[key])),
                )
        return self._respond(
            method,
            {
                "code": "10000",
                "msg": "Success",
                "trade_no": trade["trade_no"],
                "out_trade_no": trade["out_trade_no"],
                "buyer_logon_id": "159****5620",
                "fund_change": fund_change,
                "refund_fee": f"{trade['refund_fee']:.2f}",
            },
        )

    def refund_query(self, app_id: str, method: str, biz: dict, params: dict) -> Response:
        out_no = str(biz.get("out_trade_no", ""))
        refund = self.refunds.get((app_id, out_no, str(biz.get("out_request_no", ""))))
        value: dict[str, Any] = {"code": "10000", "msg": "Success"}
        if refund is not None:  # an unknown refund answers 10000 with no refund fields
            trade = self.trades[(app_id, out_no)]
            value.update(
                out_trade_no=out_no,
                trade_no=trade["trade_no"],
                out_request_no=biz["out_request_no"],
                total_amount=trade["total_amount"],
                refund_amount=refund["refund_amount"],
                refund_status="REFUND_SUCCESS",
                gmt_refund_pay=refund["gmt_refund"],
            )
        return self._respond(method, value)

    # -- the money moving ---------------------------------------------------------------------

    def pay(self, out_trade_no: str, app_id: str | None = None, *, notify: bool = True) -> dict:
        app_id = app_id or next(iter(self.apps))
        trade = self.trades[(app_id, out_trade_no)]
        with self.lock:
            if trade["trade_status"] != "WAIT_BUYER_PAY":
                return trade
            trade["trade_status"] = "TRADE_SUCCESS"
            trade["gmt_payment"] = _gmt8(self.clock.now())
            trade["notify_id"] = secrets.token_hex(16)
        if notify:
            self.outbox.add(trade["notify_url"], lambda: self.notification(trade))
        return trade

    def notification(
        self,
        trade: dict[str, Any],
        *,
        refund: tuple[str, dict] | None = None,
        fault: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A form-encoded notification for a payment (or a refund): (headers, body)."""
        app = self.apps[trade["app_id"]]
        params = {
            "notify_time": _gmt8(self.clock.now()),
            "notify_type": "trade_status_sync",
            "notify_id": trade.get("notify_id") or secrets.token_hex(16),
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "app_id": trade["app_id"],
            "auth_app_id": trade["app_id"],
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
            "seller_id": app["seller_id"],
            "buyer_id": "2088102177846880",
            "trade_status": "TRADE_SUCCESS"
            if trade["trade_status"] == "TRADE_SUCCESS"
            else trade["trade_status"],
            "total_amount": trade["total_amount"],
            "receipt_amount": trade["total_amount"],
            "buyer_pay_amount": trade["total_amount"],
            "subject": trade["subject"],
            "gmt_payment": trade.get("gmt_payment", ""),
            "fund_bill_list": json.dumps(
                [{"amount": trade["total_amount"], "fundChannel": "ALIPAYACCOUNT"}]
            ),
        }
        if refund is not None:
            request_no, data = refund
            params.update(
                out_biz_no=request_no,
                refund_fee=f"{trade['refund_fee']:.2f}",
                gmt_refund=data["gmt_refund"],
            )
        if fault == "wrong_amount":
            params["total_amount"] = f"{Decimal(trade['total_amount']) + Decimal('0.01'):.2f}"
        elif fault == "wrong_app_id":
            params["app_id"] = "2021000000000000"
        elif fault == "wrong_seller":
            params["seller_id"] = "2088000000000000"
        signed = _content(params, ("sign", "sign_type"))
        params["sign"] = self._sign(signed + (b"x" if fault == "bad_signature" else b""))
        if fault == "unsigned":
            del params["sign"]
        if fault == "tampered_body":
            params["subject"] = params["subject"] + "X"
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return headers, urlencode(params).encode()

    def return_params(self, trade: dict[str, Any], method: str) -> dict[str, str]:
        """What the browser brings back to the return URL (signed like a notification)."""
        params = {
            "charset": "utf-8",
            "out_trade_no": trade["out_trade_no"],
            "method": method + ".return",
            "total_amount": trade["total_amount"],
            "trade_no": trade["trade_no"],
            "auth_app_id": trade["app_id"],
            "version": "1.0",
            "app_id": trade["app_id"],
            "sign_type": "RSA2",
            "seller_id": self.apps[trade["app_id"]]["seller_id"],
            "timestamp": _gmt8(self.clock.now()),
        }
        params["sign"] = self._sign(_content(params, ("sign", "sign_type")))
        return params

    # -- the cashier page ---------------------------------------------------------------------

    def _cashier_page(self, trade: dict[str, Any]) -> Response:
        button = (
            f'<form method="post" action="{self.public_url}/cashier/{trade["app_id"]}/'
            f'{trade["out_trade_no"]}"><button type="submit">确认付款 / Pay</button></form>'
            if trade["trade_status"] == "WAIT_BUYER_PAY"
            else ""
        )
        page = (
            "<!doctype html><meta charset=utf-8><title>Alipay simulator</title>"
            f"<h1>支付宝 (simulator)</h1><p>{html.escape(trade['subject'])}</p>"
            f"<p>¥{html.escape(trade['total_amount'])} — {trade['trade_status']}</p>{button}"
        )
        return Response(page, 200, content_type="text/html; charset=utf-8")

    def cashier(self, request: Request, rest: str) -> Response:
        app_id, _, out_no = rest.partition("/")
        trade = self.trades.get((app_id, out_no))
        if trade is None:
            return Response("no such trade", 404)
        if request.method == "POST" and trade["trade_status"] == "WAIT_BUYER_PAY":
            self.pay(out_no, app_id)
            if trade["return_url"]:
                query = urlencode(self.return_params(trade, "alipay.trade.page.pay"))
                sep = "&" if "?" in trade["return_url"] else "?"
                return Response("", 302, headers={"Location": trade["return_url"] + sep + query})
        return self._cashier_page(trade)
