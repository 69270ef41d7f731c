"""Notification fixtures: a real SMTP server (aiosmtpd) and the SMS gateway simulator, both
on loopback, and a store with the plugin on."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from email.message import Message as Mail

import pytest
from aiosmtpd.controller import Controller

from mallkit.core import simkit
from mallkit.core.accounts.models import User
from mallkit.plugins.notifications.simulator import SmsSimulator


class Mailbox:
    """What the local SMTP server received, parsed."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.mails.append(mail)
        return "250 OK"

    def to(self, address: str) -> list[Mail]:
        with self.lock:
            return [m for m in self.mails if m["To"] == address]

    def clear(self) -> None:
        with self.lock:
            self.mails.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture(scope="session")
def sms_server():
    simulator = SmsSimulator()
    server = simkit.LoopbackServer(simulator)
    yield server, simulator
    server.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server[1].clear()
    return smtp_server[1]


@pytest.fixture
def texts(sms_server):
    sms_server[1].reset()
    return sms_server[1]


@pytest.fixture
def notify(app, smtp_server, sms_server, merchant, enable_plugin, buyer):
    """The plugin on for ``merchant`` (no quiet hours), e-mail to the local SMTP server, SMS to
    the simulator; the buyer has a phone number."""
    controller, _ = smtp_server
    app.config.update(
        NOTIFY_SMTP_HOST="127.0.0.1",
        NOTIFY_SMTP_PORT=controller.port,
        NOTIFY_SMS_URL=f"{sms_server[0].url}/send",
    )
    User.update(phone="13900000001").where(User.id == buyer.user.id).execute()
    buyer.user.phone = "13900000001"
    with enable_plugin("notifications", merchant, {"sms_quiet_hours": ""}):
        yield
