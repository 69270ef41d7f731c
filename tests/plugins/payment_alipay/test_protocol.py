"""Alipay RSA2 signatures cross-checked with ``openssl dgst -sha256 -sign``, the signing
rules (sign_type kept in requests, dropped in notifications), raw-text response verification
and the yuan ⇄ fen boundary."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from mallkit.plugins.payment_alipay import protocol
from tests.plugins.payment_wechat.conftest import merchant_key_pem

PARAMS = {
    "app_id": "2021000117600000",
    "method": "alipay.trade.precreate",
    "format": "JSON",
    "charset": "utf-8",
    "sign_type": "RSA2",
    "timestamp": "2026-11-22 09:30:00",
    "version": "1.0",
    "notify_url": "https://shop.example.com/notify?a=1&b=2",
    "empty": "",
    "biz_content": (
        '{"out_trade_no":"P00000000000000000001","total_amount":"12.30","subject":"T恤 红"}'
    ),
}


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_request_signature_agrees_with_openssl(tmp_path):
    pem = tmp_path / "app_key.pem"
    pem.write_text(merchant_key_pem())
    content = protocol.sign_content(PARAMS, ("sign",))
    assert content.startswith(b"app_id=2021000117600000&biz_content={")
    assert b"sign_type=RSA2" in content and b"empty=" not in content
    assert b"notify_url=https://shop.example.com/notify?a=1&b=2" in content  # raw, not encoded
    expected = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(pem)],
        input=content,
        capture_output=True,
        check=True,
    ).stdout
    key = protocol.load_private_key(merchant_key_pem())
    assert (
        protocol.sign_request(key, {**PARAMS, "sign": "old"}) == base64.b64encode(expected).decode()
    )
    # A bare base64 key as the console hands it out loads the same.
    bare = "".join(line for line in merchant_key_pem().splitlines() if "-----" not in line)
    assert (
        protocol.sign_request(protocol.load_private_key(bare), PARAMS)
        == base64.b64encode(expected).decode()
    )


def test_notification_rule_drops_sign_and_sign_type():
    key = protocol.load_private_key(merchant_key_pem())
    params = {
        "app_id": "1",
        "fund_bill_list": '[{"amount":"1.00","fundChannel":"ALIPAYACCOUNT"}]',
        "sign_type": "RSA2",
    }
    data = b'app_id=1&fund_bill_list=[{"amount":"1.00","fundChannel":"ALIPAYACCOUNT"}]'
    params["sign"] = base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()
    protocol.verify_notification(key.public_key(), params)
    for bad in ({**params, "app_id": "2"}, {**params, "sign": ""}, {**params, "sign": "!!"}):
        with pytest.raises(protocol.VerificationError):
            protocol.verify_notification(key.public_key(), bad)


def test_responses_are_verified_over_their_raw_text():
    key = protocol.load_private_key(merchant_key_pem())
    raw = '{"code": "10000", "msg": "Success", "qr_code": "https:\\/\\/qr.alipay.com\\/x"}'
    sign = base64.b64encode(key.sign(raw.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()
    body = '{"alipay_trade_precreate_response":' + raw + ',"sign":"' + sign + '"}'
    value = protocol.verify_response(key.public_key(), body, "alipay.trade.precreate")
    assert value["qr_code"] == "https://qr.alipay.com/x"
    with pytest.raises(protocol.VerificationError):
        protocol.verify_response(
            key.public_key(), body.replace("Success", "Succesz"), "alipay.trade.precreate"
        )
    unsigned_ok = '{"alipay_trade_query_response":{"code":"10000"}}'
    with pytest.raises(protocol.VerificationError):
        protocol.verify_response(key.public_key(), unsigned_ok, "alipay.trade.query")
    unsigned_error = '{"error_response":{"code":"40002","sub_code":"isv.invalid-signature"}}'
    assert (
        protocol.verify_response(key.public_key(), unsigned_error, "alipay.trade.query")["code"]
        == "40002"
    )


def test_yuan_and_fen_and_gmt8():
    assert (
        protocol.yuan(1230) == "12.30"
        and protocol.yuan(1) == "0.01"
        and protocol.yuan(100) == "1.00"
    )
    assert (
        protocol.fen("12.30") == 1230 and protocol.fen("12.3") == 1230 and protocol.fen("7") == 700
    )
    for bad in ("12.301", "-1.00", "1e3", "", "１.00", "0x10"):
        with pytest.raises(ValueError):
            protocol.fen(bad)
    assert protocol.timestamp(0) == "1970-01-01 08:00:00"
