"""The signing code pinned to WeChat Pay's published vector, and the verification rules."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mallkit.plugins.payment_wechat import protocol

# The test key of WeChat Pay's documentation ("JSAPI调起支付签名", pay.weixin.qq.com/doc/v3/
# merchant/4012365339, certificate serial 408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB), here in
# PKCS#8 form; its PKCS#1 form is printed in that page.
OFFICIAL_TEST_KEY = """-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCm2mb6q8gMKH/3
CNTbpJAIrbqiBiQGEOtjGcBrDYltsGynWgNscqT7WvfzU14FQbYcQUC5T4Wvva7m
i3fIp3OgX8VqMDNA0qebnr38Pe6kqiLyZgFpJPXlSKDyPyqhRbVTbXssvSMQeVKc
dXeVxoNNeoOlNFHgF/P0io6AmAVnz+hN8SiZKuOsth5/zUTLGvtkgxBcQooQrtXh
RcpLT798OyIb9xeJ2HO3xRtMv2+perEzb4gMibI74UBz+2QEbnkubPE+2jU2rRZu
dnNEz/BPOt3Qj/w2V6/G0VumGDh6+UeMU0jv4aupHztWITC4Akn0l7lBCNy3lgl8
VFaJnkIxAgMBAAECggEAYGL8aESB7NwciDWW2UdoWUsa7GxFtSdjAz2mFXGdeTsY
mVh7b9OOkRGM+Qio4LqEHDBp1mMk5E/cUJwy1zw8pGGO5nfvs7u9TT3XnHaefIs4
YvUgTYAneIuLRkXNN5rQU+CD7mVYczTSz0Vgjqo9wa1LjUz7G0xbBmJgTdMEFGJs
eJjy6AbJo0CGIwp6HJbTm4CmOUgXnnDAIbEGTIRImkZFH/rzneIeR7oZ77FVwxr1
CZB2gfRCov/yRPbw8vnryYkmvQ7D/ze3j5097vRg/MoDGBSdoOwcmo75vyofr0AS
zytMjmHYyifqkf5slPropSiJeGf4p/7gtKyF6dE/XQKBgQDVAlJ+4U5ZVGOuDc3+
sAhz8CTzgFNlq9vKuSoFK6hOz2L+cwj+E7NXGkOe2DsHHZNy2Xqxk7caKhPEp1z9
hhpMpyLVMoFt6CKemyoRBWDCQwLLwem9SZF/IAyovBkLiH36P42Jm26gUkNMKC/5
Zhtqxf6RZgRQzbVudJi47vIRCwKBgQDIh0+v27Oo+DM3fhObH4I1NrXpWOEGH7OQ
G1dEsMuFYF4hjGhg0kBEP3w9vVdl2+mRllZKTsx9oqjb8OibPLLIH8xsdbAB0WLf
JvjLu4wl/ILUzN1RI03dWnnv2EnEeQn6c3hizvrJ9wR5U4ue9RPVnQooJ0hZF1PU
uCL5fWK3MwKBgElReU/PAYbh80WP3t3Rfbdaa32dKBeQ5iCLR5lsA4zM+YgX1HqQ
EWTj126vgvHaDkyz6vWAoL/Sx+cirHFfXWIRDX5Q2hgYlQH+6qXdMgbrxeSYpHnQ
/tHBGFpkFELSAnrGsVMyOwvYBO4LzyeLK9i+ufcWJFoj1FVmsMLHDG8tAoGARdbi
iQQCoYG4DMarO2aQ6cmhN6EN1h0qY7EyBqlwaIZ0okiNfdMcMOjPc41DKCWcRmlO
qlihXcxN9TQFPzO3rH1urAOdBjUPs1qWYhZyrDQyuLyVBBJApyxAtajloDjrob+f
mQIvVDHk7ACN6xG+E7K6+9salnTKbJapD618uQMCgYBNy6XUvzLkP/A1U/UZdtcx
l8GwU/dturLxz4CyGbqDw4ubaYY2e13lnqHUqQgPtiSyH51nq3tdo8G0YAJdfkSv
KvnfslW91fyEBUKnkdW1o3/1UFU/wprZ7ixVL/F42A4xDu7OFE8EnweJOZ0jWceE
OdhCkaIGBCfRnlECRK8UyQ==
-----END PRIVATE KEY-----
"""
OFFICIAL_BODY = (
    '{"appid":"wxd678efh567hg6787","mchid":"1900007291","description":"Image形象店-深圳腾大-QQ公仔",'
    '"out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php",'
    '"amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}'
)
OFFICIAL_SIGNATURE = (
    "jnks4dlrPw3ZX+ozVvSK39oa0t7OMBsg83BHAwd8BRdUFiVaQNTLTvci+wURgP1OQBbKYhFGvt7iqYpDSTQkp7Uq1sl"
    "taQKyncCyrA1g88m5bsKERQfPyT0ahSwKTYJ1CAn9QiJuSJRq1QsQs07eehbU/k9BCS51jTyc1Jpsi2H77HF9f/BnjXA"
    "OP3/sPObg6V5Ee4EzwLox684hhuMuIwHo7D8KFk3LIHOKDcNI4It1aCXydFWNpNK+SG86VUDe5kwoDpw4Ulqfu9z8OFDG"
    "bDs9TCxEv8iqQzbpxOlEVoOe2kalSYM5kApQb3nZcxdUtoE0liJGW3RGUNE0t4v01A=="
)


def test_request_signature_matches_the_official_vector():
    key = protocol.load_private_key(OFFICIAL_TEST_KEY)
    message = protocol.request_message(
        "POST",
        "/v3/pay/transactions/jsapi",
        "1554208460",
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        OFFICIAL_BODY.encode(),
    )
    assert message.endswith(b"}\n") and message.count(b"\n") == 5
    assert protocol.sign(key, message) == OFFICIAL_SIGNATURE
    header = protocol.authorization(
        "1900007291",
        "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
        "1554208460",
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        OFFICIAL_SIGNATURE,
    )
    assert header == (
        'WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",'
        f'signature="{OFFICIAL_SIGNATURE}",timestamp="1554208460",'
        'serial_no="408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"'
    )


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_invoke_signatures_agree_with_openssl(tmp_path):
    pem = tmp_path / "key.pem"
    pem.write_text(OFFICIAL_TEST_KEY)
    key = protocol.load_private_key(OFFICIAL_TEST_KEY)
    appid, ts, nonce, prepay = "wxd678efh567hg6787", "1554208460", "5K8264ILTKCH16CQ", "wx2014"
    for ours, message in (
        (
            protocol.jsapi_pay_sign(key, appid, ts, nonce, prepay),
            f"{appid}\n{ts}\n{nonce}\nprepay_id={prepay}\n",
        ),
        (
            protocol.app_pay_sign(key, appid, ts, nonce, prepay),
            f"{appid}\n{ts}\n{nonce}\n{prepay}\n",
        ),
    ):
        out = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(pem)],
            input=message.encode(),
            capture_output=True,
            check=True,
        ).stdout
        assert ours == base64.b64encode(out).decode()


@pytest.fixture(scope="module")
def platform():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signed(platform, body: bytes, ts: int, nonce="N1", serial="PUB_KEY_ID_01", signature=None):
    message = f"{ts}\n{nonce}\n".encode() + body + b"\n"
    sig = base64.b64encode(platform.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return {
        "Wechatpay-Timestamp": str(ts),
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature": signature or sig,
    }


def test_verification_rules(platform):
    keys = {"PUB_KEY_ID_01": platform.public_key()}
    body = b'{"a":1}'
    now = 1_700_000_000
    protocol.verify_signed(signed(platform, body, now - 299), body, keys, now)
    lower = {k.lower(): v for k, v in signed(platform, body, now).items()}
    protocol.verify_signed(lower, body, keys, now)  # header names are case-insensitive
    cases = {
        "stale": (signed(platform, body, now - 301), body),
        "future": (signed(platform, body, now + 301), body),
        "serial": (signed(platform, body, now, serial="PUB_KEY_ID_02"), body),
        "probe": (
            signed(platform, body, now, signature="WECHATPAY/SIGNTEST/" + "A" * 40),
            body,
        ),
        "tampered": (signed(platform, body, now), b'{"a":2}'),
        "unsigned": ({}, body),
    }
    for name, (headers, data) in cases.items():
        with pytest.raises(protocol.VerificationError):
            protocol.verify_signed(headers, data, keys, now)
        assert name


def test_resource_decryption():
    key = "0123456789abcdef0123456789ABCDEF"
    plain = json.dumps({"out_trade_no": "P1"}).encode()
    ct = AESGCM(key.encode()).encrypt(b"abcdefghijkl", plain, b"transaction")
    resource = {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ct).decode(),
        "associated_data": "transaction",
        "nonce": "abcdefghijkl",
    }
    assert protocol.decrypt_resource(key, resource) == plain
    for bad in (
        {**resource, "associated_data": "refund"},
        {**resource, "nonce": "abcdefghijkm"},
        {**resource, "algorithm": "AES"},
        {**resource, "ciphertext": base64.b64encode(ct[:-1] + b"x").decode()},
    ):
        with pytest.raises(protocol.VerificationError):
            protocol.decrypt_resource(key, bad)
    with pytest.raises(protocol.VerificationError):
        protocol.decrypt_resource("f" * 32, resource)


def test_platform_certificates_join_the_serial_map(platform):
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    from mallkit.plugins.payment_wechat.service import platform_keys

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(platform.public_key())
        .serial_number(0x5157F09EFDC096DE15EBE81A47057A7232F1B8E1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(platform, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    keys = platform_keys({"platform_certificates": [pem]})
    assert list(keys) == ["5157F09EFDC096DE15EBE81A47057A7232F1B8E1"]
    body = b"{}"
    headers = signed(
        platform, body, 1_700_000_000, serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    )
    protocol.verify_signed(headers, body, keys, 1_700_000_000)
