"""Payment protocol costs: what verifying one gateway notification costs the app, against an
HMAC-SHA256 check (the cheapest signed notification) measured in the same run.

    .venv/bin/python bench/payments.py [--n 2000]

WeChat: serial lookup, 300 s window, RSA-2048 SHA256 verify, AES-256-GCM decrypt, JSON.
Alipay: parse_qsl of the form body, sorted content, RSA-2048 SHA256 verify. Also the signing
side (one RSA-2048 private-key operation per outgoing request). Figures, not guarantees.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import platform
import statistics
import time
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives import serialization

from mallkit.plugins.payment_alipay import protocol as alipay
from mallkit.plugins.payment_alipay.simulator import AlipaySimulator
from mallkit.plugins.payment_wechat import protocol as wechat
from mallkit.plugins.payment_wechat.simulator import WeChatPaySimulator


def per_call(fn, n: int) -> float:
    """Median microseconds per call over 5 rounds of n calls."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(rounds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n

    wx = WeChatPaySimulator()
    apiv3 = "0123456789abcdef0123456789ABCDEF"
    merchant_key = WeChatPaySimulator().key  # any RSA-2048 key stands in for the merchant's
    pem = merchant_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    wx.add_merchant("1900007291", "wxd678efh567hg6787", pem.decode(), "AB12", apiv3)
    trade = {
        "appid": "wxd678efh567hg6787",
        "mchid": "1900007291",
        "out_trade_no": "P00000000000000000001",
        "transaction_id": "4200000000000000000000000001",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "success_time": "2026-11-22T09:30:00+08:00",
        "amount": {"total": 4980, "currency": "CNY"},
        "payer": {"openid": "o-bench"},
    }
    wx_headers, wx_body = wx.notification("transaction", trade)
    wx_keys = {wx.public_key_id: wechat.load_public_key(wx.public_key_pem)}
    now = int(wx_headers["Wechatpay-Timestamp"])

    def wechat_notification():
        wechat.verify_signed(wx_headers, wx_body, wx_keys, now)
        json.loads(wechat.decrypt_resource(apiv3, json.loads(wx_body)["resource"]))

    ali = AlipaySimulator()
    ali.add_app("2021000117600000", pem.decode(), "2088102177296610")
    ali_trade = {
        "app_id": "2021000117600000",
        "out_trade_no": "P00000000000000000001",
        "trade_no": "2026112222001400000000000001",
        "total_amount": "49.80",
        "subject": "订单 O1",
        "trade_status": "TRADE_SUCCESS",
        "gmt_payment": "2026-11-22 09:30:00",
        "refund_fee": 0,
    }
    _, ali_body = ali.notification(ali_trade)
    ali_key = alipay.load_public_key(ali.public_key_pem)

    def alipay_notification():
        params = dict(parse_qsl(ali_body.decode(), keep_blank_values=True))
        alipay.verify_notification(ali_key, params)

    secret = b"fake-secret"
    mac = hmac.new(secret, wx_body, hashlib.sha256).hexdigest()

    def hmac_baseline():
        hmac.compare_digest(mac, hmac.new(secret, wx_body, hashlib.sha256).hexdigest())
        json.loads(wx_body)

    message = wechat.request_message("POST", "/v3/pay/transactions/native", "1", "N", wx_body)

    def sign_request():
        wechat.sign(merchant_key, message)

    base = per_call(hmac_baseline, n)
    rows = [
        ("HMAC-SHA256 + JSON (baseline)", base),
        ("WeChat notification verify + decrypt", per_call(wechat_notification, n)),
        ("Alipay notification parse + verify", per_call(alipay_notification, n)),
        ("RSA-2048 request signature (either)", per_call(sign_request, max(n // 10, 50))),
    ]
    print("# mallkit payment protocol benchmark")
    print(f"python {platform.python_version()}, median of 5 rounds of {n} calls\n")
    print("| operation | µs per call | × baseline | per second (1 core) |")
    print("|---|---:|---:|---:|")
    for name, us in rows:
        print(f"| {name} | {us:.1f} | {us / base:.1f} | {1e6 / us:,.0f} |")


if __name__ == "__main__":
    main()
