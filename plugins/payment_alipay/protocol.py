"""Alipay open-platform RSA2 signing and verification, GMT+8 timestamps and the yuan ⇄ fen
conversion (only here, at the boundary). Pure functions (``cryptography`` only)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GMT8 = dt.timezone(dt.timedelta(hours=8))
YUAN = re.compile(r"^\d{1,9}(\.\d{1,2})?$", re.ASCII)


class VerificationError(Exception):
    """A response, notification or return that must not be trusted."""


def _pem(text: str, kind: str) -> bytes:
    """Alipay's console hands out bare base64 keys; accept those as well as PEM."""
    text = text.strip()
    if "-----BEGIN" in text:
        return text.encode()
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode()


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(_pem(text, "PRIVATE KEY"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(_pem(text, "PUBLIC KEY"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def sign_content(params: Mapping[str, str], drop: tuple[str, ...]) -> bytes:
    """``k=v&...`` over the raw values, keys sorted by ASCII, empty values and ``drop`` left out."""
    items = sorted((k, v) for k, v in params.items() if k not in drop and v not in ("", None))
    return "&".join(f"{k}={v}" for k, v in items).encode()


def sign_request(key: rsa.RSAPrivateKey, params: Mapping[str, str]) -> str:
    """The request signature: ``sign`` dropped, ``sign_type`` kept."""
    data = sign_content(params, ("sign",))
    return base64.b64encode(key.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


def _verify(key: rsa.RSAPublicKey, data: bytes, signature: str) -> None:
    try:
        key.verify(
            base64.b64decode(signature, validate=True), data, padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        raise VerificationError("bad signature") from None


def verify_notification(key: rsa.RSAPublicKey, params: Mapping[str, str]) -> None:
    """Async notifications and return URLs: both ``sign`` and ``sign_type`` are left out."""
    signature = params.get("sign") or ""
    if not signature:
        raise VerificationError("unsigned")
    _verify(key, sign_content(params, ("sign", "sign_type")), signature)


def response_value(body: str, method: str) -> tuple[str, str | None]:
    """Cut the raw text of ``<method>_response`` (or ``error_response``) and the ``sign`` out of
    a response body, without re-serializing anything."""
    decoder = json.JSONDecoder()
    for name in (method.replace(".", "_") + "_response", "error_response"):
        m = re.search(r'"' + re.escape(name) + r'"\s*:\s*', body)
        if m is None:
            continue
        try:
            _, end = decoder.raw_decode(body, m.end())
        except ValueError:
            raise VerificationError("malformed response") from None
        try:
            sign = json.loads(body).get("sign")
        except ValueError:
            raise VerificationError("malformed response") from None
        return body[m.end() : end], sign
    raise VerificationError("no response value")


def verify_response(key: rsa.RSAPublicKey, body: str, method: str) -> dict:
    """The response value, verified when signed. A success (``code == "10000"``) must be
    signed; an unsigned error is returned for what it says (nothing is trusted from it)."""
    raw, signature = response_value(body, method)
    value = json.loads(raw)
    if signature:
        _verify(key, raw.encode(), signature)
    elif value.get("code") == "10000":
        raise VerificationError("unsigned success")
    return value


def timestamp(now: float) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in GMT+8, whatever the server's zone."""
    return dt.datetime.fromtimestamp(now, GMT8).strftime("%Y-%m-%d %H:%M:%S")


def yuan(fen: int) -> str:
    if fen < 0:
        raise ValueError("negative amount")
    return f"{fen // 100}.{fen % 100:02d}"


def fen(text: str) -> int:
    """``"12.30"`` → 1230, exactly; anything else raises ``ValueError``."""
    if not isinstance(text, str) or not YUAN.match(text):
        raise ValueError(f"not a yuan amount: {text!r}")
    try:
        value = Decimal(text) * 100
    except InvalidOperation:
        raise ValueError(f"not a yuan amount: {text!r}") from None
    return int(value)
