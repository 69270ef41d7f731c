"""A WeChat Pay API v3 (direct merchant) gateway simulator.

It checks every inbound request like the real gateway (``Accept`` and ``User-Agent`` or 400;
the ``WECHATPAY2-SHA256-RSA2048`` Authorization header, merchant serial, 300 s window and
signature or 401), answers with signed responses, and sends signed, AES-256-GCM encrypted
notifications to the notify URL on WeChat's retry ladder. Its platform key is generated here
and published in public-key mode (``PUB_KEY_ID_...``). Faults can be injected per call.

Protocol code here is written independently of ``mallkit.plugins.payment_wechat``.
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
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from werkzeug.wrappers import Request, Response

from mallkit.core.plugin_api import simkit

# Seconds between WeChat's notification retries: 15 retries over ~24 h (15s/15s/30s/3m/10m/
# 20m/30m/30m/30m/60m/3h/3h/3h/6h/6h).
RETRY_LADDER = (
    15,
    15,
    30,
    180,
    600,
    1200,
    1800,
    1800,
    1800,
    3600,
    10800,
    10800,
    10800,
    21600,
    21600,
)
TZ = dt.timezone(dt.timedelta(hours=8))
AUTH = re.compile(r'(\w+)="([^"]*)"')
OUT_NO = re.compile(r"^[A-Za-z0-9_\-*|]{6,64}$")
FAULTS = (
    "probe_signature",
    "bad_signature",
    "unknown_serial",
    "stale_timestamp",
    "tampered_body",
    "wrong_amount",
    "wrong_appid",
    "wrong_mchid",
    "bad_ciphertext",
)


@dataclass
class SimMerchant:
    mchid: str
    appid: str
    public_key: Any  # the merchant's API certificate public key (uploaded to WeChat)
    serial: str
    apiv3_key: str


def _rfc3339(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, TZ).isoformat(timespec="seconds")


class WeChatPaySimulator:
    """The gateway. Use as a WSGI app, or ``serve()`` it on loopback."""

    def __init__(
        self, clock: simkit.Clock | None = None, sender: simkit.Sender | None = None
    ) -> None:
        self.clock = clock or simkit.Clock()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_id = "PUB_KEY_ID_0114" + "".join(
            secrets.choice("0123456789") for _ in range(20)
        )
        self.merchants: dict[str, SimMerchant] = {}
        self.transactions: dict[tuple[str, str], dict[str, Any]] = {}
        self.refunds: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status) for tests
        self.api_faults: list[dict[str, Any]] = []  # consumed one per API call
        self.public_url = ""  # where buyers reach the cashier page
        self.lock = threading.Lock()
        self.outbox = simkit.Outbox(RETRY_LADDER, lambda s, _b: 200 <= s < 300, self.clock, sender)

    # -- set-up -------------------------------------------------------------------------------

    @property
    def public_key_pem(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def add_merchant(
        self, mchid: str, appid: str, public_key_pem: str, serial: str, apiv3_key: str
    ) -> SimMerchant:
        merchant = SimMerchant(
            mchid,
            appid,
            serialization.load_pem_public_key(public_key_pem.encode()),
            serial.upper(),
            apiv3_key,
        )
        self.merchants[mchid] = merchant
        return merchant

    def fail_next(self, times: int = 1, *, status: int = 0, delay: float = 0.0) -> None:
        """The next ``times`` API calls answer ``status`` (500, 429 ...) or sleep ``delay``."""
        for _ in range(times):
            self.api_faults.append({"status": status, "delay": delay})

    # -- signing ------------------------------------------------------------------------------

    def _sign(self, message: bytes) -> str:
        return base64.b64encode(
            self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        ).decode()

    def signed_headers(self, body: bytes, *, fault: str | None = None) -> dict[str, str]:
        ts = int(self.clock.now()) - (301 if fault == "stale_timestamp" else 0)
        nonce = secrets.token_hex(16).upper()
        message = f"{ts}\n{nonce}\n".encode() + body + b"\n"
        signature = self._sign(message)
        if fault == "probe_signature":
            signature = "WECHATPAY/SIGNTEST/" + signature
        elif fault == "bad_signature":
            signature = self._sign(message + b"x")
        return {
            "Wechatpay-Timestamp": str(ts),
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": signature,
            "Wechatpay-Serial": "PUB_KEY_ID_0000UNKNOWN"
            if fault == "unknown_serial"
            else (self.public_key_id),
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
            "Request-ID": secrets.token_hex(8),
        }

    def _reply(self, status: int, data: dict[str, Any] | None = None) -> Response:
        body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
        headers = self.signed_headers(body)
        return Response(body, status, headers=headers, content_type="application/json")

    def _error(self, status: int, code: str, message: str) -> Response:
        return self._reply(status, {"code": code, "message": message})

    # -- inbound checks -----------------------------------------------------------------------

    def _authenticate(self, request: Request) -> SimMerchant | Response:
        if "application/json" not in request.headers.get("Accept", "") or not request.headers.get(
            "User-Agent"
        ):
            return self._error(400, "PARAM_ERROR", "Accept and User-Agent headers are required")
        header = request.headers.get("Authorization", "")
        scheme, _, rest = header.partition(" ")
        fields = dict(AUTH.findall(rest))
        if scheme != "WECHATPAY2-SHA256-RSA2048" or not {
            "mchid",
            "nonce_str",
            "signature",
            "timestamp",
            "serial_no",
        } <= set(fields):
            return self._error(401, "SIGN_ERROR", "malformed Authorization header")
        merchant = self.merchants.get(fields["mchid"])
        if merchant is None:
            return self._error(401, "SIGN_ERROR", "unknown mchid")
        if fields["serial_no"].upper() != merchant.serial:
            return self._error(401, "SIGN_ERROR", "certificate serial does not match")
        try:
            ts = int(fields["timestamp"])
        except ValueError:
            return self._error(401, "SIGN_ERROR", "bad timestamp")
        if abs(self.clock.now() - ts) > 300:
            return self._error(401, "SIGN_ERROR", "timestamp outside the window")
        env = request.environ
        target = env.get("RAW_URI") or env.get("REQUEST_URI")
        if not target:
            target = env.get("SCRIPT_NAME", "") + env.get("PATH_INFO", "")
            if env.get("QUERY_STRING"):
                target += "?" + env["QUERY_STRING"]
        message = (
            f"{request.method}\n{target}\n{fields['timestamp']}\n{fields['nonce_str']}\n".encode()
            + request.get_data()
            + b"\n"
        )
        try:
            merchant.public_key.verify(
                base64.b64decode(fields["signature"]), message, padding.PKCS1v15(), hashes.SHA256()
            )
        except (InvalidSignature, ValueError):
            return self._error(401, "SIGN_ERROR", "signature verification failed")
        return merchant

    # -- the WSGI app -------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        return self.wsgi(environ, start_response)

    @Request.application
    def wsgi(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/cashier/"):
            return self.cashier(request, path.removeprefix("/cashier/"))
        if self.api_faults:
            with self.lock:
                fault = self.api_faults.pop(0) if self.api_faults else None
            if fault:
                if fault["delay"]:
                    time.sleep(fault["delay"])
                if fault["status"]:
                    code = "FREQUENCY_LIMITED" if fault["status"] == 429 else "SYSTEM_ERROR"
                    return self._error(fault["status"], code, "injected fault")
        merchant = self._authenticate(request)
        if isinstance(merchant, Response):
            response = merchant
        else:
            response = self.route(request, merchant, path)
        self.requests.append((request.method, path, response.status_code))
        return response

    def route(self, request: Request, merchant: SimMerchant, path: str) -> Response:
        m = re.fullmatch(r"/v3/pay/transactions/(native|jsapi|h5|app)", path)
        if m and request.method == "POST":
            return self.create(merchant, m.group(1), request)
        m = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)", path)
        if m and request.method == "GET":
            if request.args.get("mchid") != merchant.mchid:
                return self._error(400, "PARAM_ERROR", "mchid is required")
            trade = self.transactions.get((merchant.mchid, m.group(1)))
            if trade is None:
                return self._error(404, "ORDER_NOT_EXIST", "order does not exist")
            return self._reply(200, self.public_transaction(trade))
        m = re.fullmatch(r"/v3/pay/transactions/out-trade-no/([^/]+)/close", path)
        if m and request.method == "POST":
            return self.close(merchant, m.group(1), request)
        if path == "/v3/refund/domestic/refunds" and request.method == "POST":
            return self.refund(merchant, request)
        m = re.fullmatch(r"/v3/refund/domestic/refunds/([^/]+)", path)
        if m and request.method == "GET":
            refund = self.refunds.get((merchant.mchid, m.group(1)))
            if refund is None:
                return self._error(404, "RESOURCE_NOT_EXISTS", "refund does not exist")
            return self._reply(200, self.public_refund(refund))
        return self._error(404, "NOT_FOUND", "no such API")

    def _json(self, request: Request) -> dict[str, Any] | None:
        try:
            data = json.loads(request.get_data())
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def create(self, merchant: SimMerchant, trade_type: str, request: Request) -> Response:
        data = self._json(request)
        if data is None:
            return self._error(400, "PARAM_ERROR", "body is not JSON")
        amount = data.get("amount") or {}
        out_no = str(data.get("out_trade_no", ""))
        problems = []
        if data.get("mchid") != merchant.mchid:
            problems.append("mchid")
        if data.get("appid") != merchant.appid:
            problems.append("appid")
        if not re.fullmatch(r"[A-Za-z0-9_\-*|]{6,32}", out_no):
            problems.append("out_trade_no")
        if not data.get("description") or not data.get("notify_url"):
            problems.append("description/notify_url")
        if not isinstance(amount.get("total"), int) or amount["total"] <= 0:
            problems.append("amount.total")
        if trade_type == "jsapi" and not (data.get("payer") or {}).get("openid"):
            problems.append("payer.openid")
        if trade_type == "h5" and not (data.get("scene_info") or {}).get("payer_client_ip"):
            problems.append("scene_info.payer_client_ip")
        if problems:
            return self._error(400, "PARAM_ERROR", "invalid: " + ", ".join(problems))
        key = (merchant.mchid, out_no)
        with self.lock:
            trade = self.transactions.get(key)
            if trade is not None:
                if trade["trade_state"] in ("SUCCESS", "REFUND"):
                    return self._error(400, "ORDERPAID", "order already paid")
                if trade["trade_state"] == "CLOSED":
                    return self._error(400, "ORDER_CLOSED", "order closed")
                if trade["amount"]["total"] != amount["total"]:
                    return self._error(400, "INVALID_REQUEST", "same out_trade_no, other amount")
            else:
                trade = {
                    "appid": merchant.appid,
                    "mchid": merchant.mchid,
                    "out_trade_no": out_no,
                    "trade_type": trade_type.upper(),
                    "trade_state": "NOTPAY",
                    "trade_state_desc": "未支付",
                    "amount": {"total": amount["total"], "currency": amount.get("currency", "CNY")},
                    "notify_url": data["notify_url"],
                    "description": data["description"],
                    "prepay_id": "wx" + secrets.token_hex(16),
                    "payer": data.get("payer") or {"openid": "o" + secrets.token_hex(13)},
                    "scene_info": data.get("scene_info"),
                }
                self.transactions[key] = trade
        cashier = f"{self.public_url}/cashier/{merchant.mchid}/{out_no}"
        if trade_type == "native":
            return self._reply(200, {"code_url": cashier})
        if trade_type == "h5":
            return self._reply(200, {"h5_url": cashier})
        return self._reply(200, {"prepay_id": trade["prepay_id"]})

    def close(self, merchant: SimMerchant, out_no: str, request: Request) -> Response:
        data = self._json(request) or {}
        if data.get("mchid") != merchant.mchid:
            return self._error(400, "PARAM_ERROR", "mchid is required")
        trade = self.transactions.get((merchant.mchid, out_no))
        if trade is None:
            return self._error(404, "ORDER_NOT_EXIST", "order does not exist")
        with self.lock:
            if trade["trade_state"] in ("SUCCESS", "REFUND"):
                return self._error(400, "ORDERPAID", "order already paid")
            trade["trade_state"] = "CLOSED"
            trade["trade_state_desc"] = "已关闭"
        return self._reply(204)

    def refund(self, merchant: SimMerchant, request: Request) -> Response:
        data = self._json(request)
        if data is None:
            return self._error(400, "PARAM_ERROR", "body is not JSON")
        amount = data.get("amount") or {}
        out_refund_no = str(data.get("out_refund_no", ""))
        trade = self.transactions.get((merchant.mchid, str(data.get("out_trade_no", ""))))
        if trade is None:
            return self._error(404, "RESOURCE_NOT_EXISTS", "order does not exist")
        if not re.fullmatch(r"[A-Za-z0-9_\-*|@]{1,64}", out_refund_no):
            return self._error(400, "PARAM_ERROR", "out_refund_no")
        with self.lock:
            existing = self.refunds.get((merchant.mchid, out_refund_no))
            if existing is not None:  # the idempotency key: the same refund again
                return self._reply(200, self.public_refund(existing))
            if trade["trade_state"] not in ("SUCCESS", "REFUND"):
                return self._error(400, "INVALID_REQUEST", "order not paid")
            total, refund = amount.get("total"), amount.get("refund")
            if total != trade["amount"]["total"] or not isinstance(refund, int) or refund <= 0:
                return self._error(400, "PARAM_ERROR", "amount.total/refund")
            done = sum(
                r["amount"]["refund"]
                for (mch, _), r in self.refunds.items()
                if mch == merchant.mchid and r["out_trade_no"] == trade["out_trade_no"]
            )
            if done + refund > total:
                return self._error(403, "NOT_ENOUGH", "refund exceeds the paid amount")
            record = {
                "refund_id": "50" + "".join(secrets.choice("0123456789") for _ in range(27)),
                "out_refund_no": out_refund_no,
                "transaction_id": trade["transaction_id"],
                "out_trade_no": trade["out_trade_no"],
                "channel": "ORIGINAL",
                "user_received_account": "支付用户零钱",
                "create_time": _rfc3339(self.clock.now()),
                "status": "PROCESSING",
                "amount": {
                    "total": total,
                    "refund": refund,
                    "payer_total": total,
                    "payer_refund": refund,
                    "currency": "CNY",
                },
                "notify_url": data.get("notify_url") or trade["notify_url"],
                "mchid": merchant.mchid,
            }
            self.refunds[(merchant.mchid, out_refund_no)] = record
            trade["trade_state"] = "REFUND"
        answer = self.public_refund(record)
        self.settle_refund(merchant.mchid, out_refund_no)
        return self._reply(200, answer)

    # -- the money moving ---------------------------------------------------------------------

    def settle_refund(self, mchid: str, out_refund_no: str, notify: bool = True) -> None:
        refund = self.refunds[(mchid, out_refund_no)]
        refund["status"] = "SUCCESS"
        refund["success_time"] = _rfc3339(self.clock.now())
        if notify:
            self.outbox.add(refund["notify_url"], lambda: self.notification("refund", refund))

    def pay(self, out_trade_no: str, mchid: str | None = None, *, notify: bool = True) -> dict:
        """The buyer pays (what pressing "pay" on the cashier page does)."""
        mchid = mchid or next(iter(self.merchants))
        trade = self.transactions[(mchid, out_trade_no)]
        with self.lock:
            if trade["trade_state"] != "NOTPAY":
                return trade
            trade["trade_state"] = "SUCCESS"
            trade["trade_state_desc"] = "支付成功"
            trade["transaction_id"] = "42" + "".join(
                secrets.choice("0123456789") for _ in range(26)
            )
            trade["success_time"] = _rfc3339(self.clock.now())
            trade["bank_type"] = "OTHERS"
        if notify:
            self.outbox.add(trade["notify_url"], lambda: self.notification("transaction", trade))
        return trade

    def public_transaction(self, trade: dict[str, Any]) -> dict[str, Any]:
        out = {
            k: v
            for k, v in trade.items()
            if k not in ("notify_url", "description", "prepay_id", "scene_info")
        }
        out["amount"] = {
            **trade["amount"],
            "payer_total": trade["amount"]["total"],
            "payer_currency": trade["amount"]["currency"],
        }
        if trade["trade_state"] == "NOTPAY":
            out.pop("payer", None)
        return out

    def public_refund(self, refund: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in refund.items() if k not in ("notify_url", "mchid")}

    def notification(
        self, kind: str, record: dict[str, Any], fault: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """A signed, encrypted notification for a transaction or a refund (headers, body)."""
        if kind == "transaction":
            plain = self.public_transaction(record)
            event = "TRANSACTION.SUCCESS"
            summary = "支付成功"
        else:
            plain = {
                "mchid": record["mchid"],
                "out_trade_no": record["out_trade_no"],
                "transaction_id": record["transaction_id"],
                "out_refund_no": record["out_refund_no"],
                "refund_id": record["refund_id"],
                "refund_status": record["status"],
                "success_time": record.get("success_time", ""),
                "user_received_account": record["user_received_account"],
                "amount": {k: v for k, v in record["amount"].items() if k != "currency"},
            }
            event = f"REFUND.{record['status']}"
            summary = "退款成功"
        plain = json.loads(json.dumps(plain))
        if fault == "wrong_amount":
            plain["amount"]["total"] += 1
        elif fault == "wrong_appid":
            plain["appid"] = "wx0000000000000000"
        elif fault == "wrong_mchid":
            plain["mchid"] = "1900000000"
        key = self.merchants[record["mchid"]].apiv3_key.encode()
        if fault == "bad_ciphertext":
            key = secrets.token_bytes(32)
        nonce = secrets.token_hex(6)
        aad = kind
        ciphertext = AESGCM(key).encrypt(
            nonce.encode(), json.dumps(plain, ensure_ascii=False).encode(), aad.encode()
        )
        body = json.dumps(
            {
                "id": secrets.token_hex(18),
                "create_time": _rfc3339(self.clock.now()),
                "resource_type": "encrypt-resource",
                "event_type": event,
                "summary": summary,
                "resource": {
                    "original_type": kind,
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode(),
                    "associated_data": aad,
                    "nonce": nonce,
                },
            },
            ensure_ascii=False,
        ).encode()
        headers = self.signed_headers(body, fault=fault)
        if fault == "tampered_body":
            body = body.replace(b'"summary": "', b'"summary": "X', 1)
        headers["Content-Type"] = "application/json"
        headers["User-Agent"] = "Mozilla/4.0"
        return headers, body

    # -- the cashier page ---------------------------------------------------------------------

    def cashier(self, request: Request, rest: str) -> Response:
        """The page ``code_url``/``h5_url`` opens. Like WeChat's H5 pay, ``?redirect_url=``
        (an http(s) URL) is where the buyer is sent back once they have paid."""
        mchid, _, out_no = rest.partition("/")
        trade = self.transactions.get((mchid, out_no))
        if trade is None:
            return Response("no such order", 404)
        back = request.args.get("redirect_url", "")
        if not back.startswith(("http://", "https://")):
            back = ""
        if request.method == "POST" and trade["trade_state"] == "NOTPAY":
            self.pay(out_no, mchid)
            if back:
                return Response("", 302, headers={"Location": back})
        total = trade["amount"]["total"]
        state = html.escape(trade["trade_state_desc"])
        button = (
            '<form method="post"><button type="submit">确认支付 / Pay</button></form>'
            if trade["trade_state"] == "NOTPAY"
            else ""
        )
        link = (
            f'<p><a href="{html.escape(back)}">返回商家 / Back to the store</a></p>'
            if back and not button
            else ""
        )
        page = (
            "<!doctype html><meta charset=utf-8><title>WeChat Pay simulator</title>"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<h1>微信支付 (simulator)</h1><p>{html.escape(trade['description'])}</p>"
            f"<p>¥{total // 100}.{total % 100:02d} — {state}</p>{button}{link}"
        )
        return Response(page, 200, content_type="text/html; charset=utf-8")
