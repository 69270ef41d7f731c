"""A payment channel plugin speaking a tiny signed protocol, with its "gateway" state in
module globals: notifications are JSON signed with HMAC-SHA256 of the merchant's secret."""

from __future__ import annotations

import hashlib
import hmac
import json

from marshmallow import Schema, fields

from mallkit.core.plugin_api import (
    Acknowledgement,
    ChannelPayment,
    ChannelRefund,
    InvalidNotification,
    Notification,
    PaymentChannel,
    PluginMeta,
)
from mallkit.hookspecs import hookimpl


class FakeConfig(Schema):
    secret = fields.String(required=True, metadata={"secret": True})


meta = PluginMeta(
    name="fakepay",
    version="1.0.0",
    title="Fake pay (tests)",
    config_schema=FakeConfig,
    category="payment",
)

PAID: dict[str, tuple[str, int]] = {}  # attempt number → (txn id, amount) at the "gateway"
REFUNDS: dict[str, str] = {}  # refund number → status the gateway answers
CALLS: list[tuple[str, str]] = []


def reset() -> None:
    PAID.clear()
    REFUNDS.clear()
    CALLS.clear()


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notification(secret: str, **data) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(data).encode()
    return body, {"X-Fake-Signature": sign(secret, body), "Content-Type": "application/json"}


class FakeChannel(PaymentChannel):
    code = "fakepay"
    plugin = "fakepay"
    title = "Fake pay"
    methods = ("qr",)

    def create(self, ctx, attempt, order, params):
        CALLS.append(("create", attempt.number))
        return {"code_url": f"fake://pay/{attempt.number}"}

    def query(self, ctx, attempt):
        CALLS.append(("query", attempt.number))
        if attempt.number in PAID:
            txn, amount = PAID[attempt.number]
            return ChannelPayment(attempt.number, "paid", txn, amount, "CNY")
        return ChannelPayment(attempt.number, "pending")

    def close(self, ctx, attempt):
        CALLS.append(("close", attempt.number))

    def refund(self, ctx, attempt, refund):
        CALLS.append(("refund", refund.number))
        status = REFUNDS.get(refund.number, "succeeded")
        return ChannelRefund(refund.number, status, f"fr-{refund.number}", refund.amount)

    def query_refund(self, ctx, attempt, refund):
        return self.refund(ctx, attempt, refund)

    def parse_notification(self, ctx, headers, body, form):
        expected = sign(ctx.config["secret"], body)
        if not hmac.compare_digest(expected, headers.get("X-Fake-Signature", "")):
            raise InvalidNotification("bad signature")
        data = json.loads(body)
        if data.get("kind") == "refund":
            return Notification(
                "refund",
                refund=ChannelRefund(
                    data["refund_no"], data["status"], data.get("refund_id"), data.get("amount")
                ),
            )
        return Notification(
            "payment",
            payment=ChannelPayment(
                data["out_trade_no"],
                data["status"],
                data["txn_id"],
                data["amount"],
                data.get("currency", "CNY"),
            ),
        )

    def acknowledge(self, ok, message=""):
        body = json.dumps({"code": "SUCCESS" if ok else "FAIL", "message": message})
        return Acknowledgement(body, 200 if ok else 400, "application/json")


CHANNEL = FakeChannel()


@hookimpl
def register_payment_channels():
    return [CHANNEL]
