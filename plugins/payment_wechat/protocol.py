"""WeChat Pay API v3 cryptography: request signatures, response and notification
verification, AES-256-GCM decryption and the client-side invoke signatures. Pure functions
over bytes and keys (``cryptography`` only), so each is pinned by a test vector."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "WECHATPAY2-SHA256-RSA2048"
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"
WINDOW_SECONDS = 300


class VerificationError(Exception):
    """A response or notification that must not be trusted."""


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """A public key from a ``PUBLIC KEY`` PEM or from a certificate."""
    data = pem.encode()
    if b"CERTIFICATE" in data:
        key = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def certificate_serial(pem: str) -> str:
    """The serial of a platform certificate as WeChat writes it (upper-case hex)."""
    return format(x509.load_pem_x509_certificate(pem.encode()).serial_number, "X")


def sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    """SHA256withRSA (PKCS#1 v1.5), base64."""
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def request_message(method: str, target: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """``METHOD\\nPATH_AND_QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n`` — the body is empty for GET."""
    return f"{method}\n{target}\n{timestamp}\n{nonce}\n".encode() + body + b"\n"


def authorization(mchid: str, serial: str, timestamp: str, nonce: str, signature: str) -> str:
    return (
        f'{SCHEME} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial}"'
    )


def header(headers: Mapping[str, str], name: str) -> str:
    """A header by case-insensitive name ('' when absent)."""
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return ""


def verify_signed(
    headers: Mapping[str, str],
    body: bytes,
    keys: Mapping[str, rsa.RSAPublicKey],
    now: float,
) -> None:
    """Verify a response or notification signed by WeChat Pay: the serial picks the key from
    ``keys``; the timestamp must be within 300 s of ``now``; probe signatures fail."""
    serial = header(headers, "Wechatpay-Serial")
    timestamp = header(headers, "Wechatpay-Timestamp")
    nonce = header(headers, "Wechatpay-Nonce")
    signature = header(headers, "Wechatpay-Signature")
    if not (serial and timestamp and nonce and signature):
        raise VerificationError("unsigned")
    key = keys.get(serial) or keys.get(serial.upper())
    if key is None:
        raise VerificationError(f"unknown serial {serial[:64]}")
    if signature.startswith(PROBE_PREFIX):
        raise VerificationError("probe signature")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise VerificationError("bad timestamp")
    if abs(now - int(timestamp)) > WINDOW_SECONDS:
        raise VerificationError("timestamp outside the 300 s window")
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    try:
        key.verify(base64.b64decode(signature), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        raise VerificationError("bad signature") from None


def decrypt_resource(apiv3_key: str, resource: Mapping[str, Any]) -> bytes:
    """AES-256-GCM: key = the 32-byte APIv3 key, nonce = the 12 ASCII bytes given, AAD =
    ``associated_data``, ciphertext = base64(ct ‖ tag)."""
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise VerificationError("unsupported algorithm")
    try:
        ciphertext = base64.b64decode(resource["ciphertext"])
        nonce = str(resource["nonce"]).encode()
        aad = str(resource.get("associated_data") or "").encode()
        return AESGCM(apiv3_key.encode()).decrypt(nonce, ciphertext, aad or None)
    except (KeyError, ValueError, InvalidTag):
        raise VerificationError("cannot decrypt the resource") from None


def jsapi_pay_sign(
    key: rsa.RSAPrivateKey, appid: str, timestamp: str, nonce: str, prepay_id: str
) -> str:
    """``paySign`` for JSAPI / mini-program: ``appId\\ntimeStamp\\nnonceStr\\nprepay_id=...\\n``."""
    return sign(key, f"{appid}\n{timestamp}\n{nonce}\nprepay_id={prepay_id}\n".encode())


def app_pay_sign(
    key: rsa.RSAPrivateKey, appid: str, timestamp: str, nonce: str, prepay_id: str
) -> str:
    """``sign`` for App pay: ``appId\\ntimestamp\\nnonceStr\\nprepayId\\n``."""
    return sign(key, f"{appid}\n{timestamp}\n{nonce}\n{prepay_id}\n".encode())
