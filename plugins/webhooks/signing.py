"""Signing deliveries the Standard Webhooks way (https://www.standardwebhooks.com/).

Every delivery carries three headers:

- ``webhook-id``: the message id (``msg_...``), the same on every retry of one delivery;
- ``webhook-timestamp``: Unix seconds when this attempt was sent;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, keyed
  with the endpoint's secret (``whsec_<base64 key>``: the key is the base64-decoded part);
  during the day after a rotation a second ``v1,...`` signed with the previous secret follows,
  space-separated, so receivers switch secrets without dropping a delivery.

A receiver recomputes the signature over the raw body, compares in constant time, and
rejects timestamps more than five minutes away from its clock (replays).

Secrets are not stored: an endpoint keeps a random salt, and its key is
HMAC-SHA256(app secret, "webhook-secret" + endpoint id + salt) — a copy of the database alone
signs nothing. Rotating draws a new salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

PREFIX = "whsec_"


def new_salt() -> str:
    return secrets.token_hex(16)


def key_for(endpoint_id: int, salt: str) -> bytes:
    app_secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(
        app_secret, f"webhook-secret\0{endpoint_id}\0{salt}".encode(), hashlib.sha256
    ).digest()


def secret_for(endpoint_id: int, salt: str) -> str:
    """The secret as shown to its owner (``whsec_...``)."""
    return PREFIX + base64.b64encode(key_for(endpoint_id, salt)).decode()


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(keys: list[bytes], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(k, message_id, timestamp, body) for k in keys),
        "Content-Type": "application/json",
        "User-Agent": "mallkit-webhooks/1.0",
    }
