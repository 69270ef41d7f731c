"""Delivery channels: a small interface and the three built in — e-mail over SMTP, SMS through
a provider, and the in-app inbox.

A channel is an object with a ``name`` and ``send(message) -> str`` (a provider reference,
``""`` when there is none) that raises :class:`DeliveryError` — ``permanent=True`` when trying
again cannot help (the SMTP server refused the address). Everything else raised counts as a
temporary failure and is retried with backoff. ``send`` runs outside any transaction.

Channel settings are the platform's (app settings, ``MALLKIT_NOTIFY_*``), never a merchant's:
a merchant cannot point the server at an SMTP host or SMS endpoint of their choosing.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import threading
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

from flask import current_app

SMS_SEGMENT = 70  # characters per SMS segment with Chinese text (UCS-2)


class DeliveryError(Exception):
    """A message could not be sent. ``permanent``: retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def send(self, message: Any) -> str: ...


def setting(name: str, default: Any = None) -> Any:
    return current_app.config.get(name, default)


# -- e-mail ----------------------------------------------------------------------------------


class EmailChannel:
    """Plain-text e-mail over SMTP (``NOTIFY_SMTP_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``,
    ``_TLS``: ``none``, ``starttls`` or ``ssl``; ``NOTIFY_EMAIL_FROM``). One connection per
    worker thread is kept open and reopened after an error. The ``Message-ID`` is derived from
    the message's id, so a message sent again after a crash can be recognised by the mailbox.
    """

    name = "email"
    _local = threading.local()

    def _connect(self) -> smtplib.SMTP:
        host = setting("NOTIFY_SMTP_HOST", "")
        if not host:
            raise DeliveryError("no SMTP server is configured (NOTIFY_SMTP_HOST)", permanent=True)
        port = int(setting("NOTIFY_SMTP_PORT", 25))
        tls = setting("NOTIFY_SMTP_TLS", "none")
        timeout = float(setting("NOTIFY_SMTP_TIMEOUT", 10))
        if tls == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
        user = setting("NOTIFY_SMTP_USER", "")
        if user:
            smtp.login(user, setting("NOTIFY_SMTP_PASSWORD", ""))
        return smtp

    def _connection(self) -> smtplib.SMTP:
        key = (setting("NOTIFY_SMTP_HOST", ""), int(setting("NOTIFY_SMTP_PORT", 25)))
        cached = getattr(self._local, "smtp", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        self.close()
        smtp = self._connect()
        self._local.smtp = (key, smtp)
        return smtp

    def close(self) -> None:
        cached = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if cached is not None:
            try:
                cached[1].quit()
            except Exception:  # already gone
                pass

    def build(self, message: Any) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = setting("NOTIFY_EMAIL_FROM", "mallkit <no-reply@localhost>")
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        domain = setting("NOTIFY_EMAIL_DOMAIN", "mallkit.local")
        mail["Message-ID"] = f"<mallkit.{message.id}@{domain}>"
        mail["X-Mallkit-Message"] = str(message.id)
        if message.link:
            mail["List-Unsubscribe"] = f"<{message.link}>"
        mail.set_content(message.body)
        return mail

    def send(self, message: Any) -> str:
        mail = self.build(message)
        for attempt in (1, 2):  # a kept connection the server closed: reconnect once
            try:
                self._connection().send_message(mail)
                return mail["Message-ID"]
            except smtplib.SMTPRecipientsRefused as exc:
                raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from exc
            except smtplib.SMTPResponseException as exc:
                self.close()
                permanent = 500 <= exc.smtp_code < 600
                if permanent or attempt == 2:
                    raise DeliveryError(
                        f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent
                    ) from exc
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self.close()
                if attempt == 2:
                    raise DeliveryError(f"SMTP connection: {exc}") from exc
        raise AssertionError("unreachable")


# -- SMS -------------------------------------------------------------------------------------


class SmsProvider(Protocol):
    """Sends one text message; returns the provider's message id."""

    def send(self, phone: str, text: str, reference: str) -> str: ...


class HttpSmsProvider:
    """An SMS gateway reached over HTTP with a JSON body ``{"to", "text", "reference"}`` and
    the answer ``{"id"}`` — the shape of the local simulator (:mod:`.simulator`); real
    aggregators (Aliyun, Tencent Cloud) plug in as other providers. ``reference`` is the
    message's id: the gateway drops a reference it has already accepted, so a retry after a
    lost answer does not send twice."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, phone: str, text: str, reference: str) -> str:
        body = json.dumps({"to": phone, "text": text, "reference": reference}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise DeliveryError(
                f"SMS gateway answered {exc.code}",
                permanent=400 <= exc.code < 500 and exc.code != 429,
            ) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DeliveryError(f"SMS gateway: {exc}") from exc
        return str(answer.get("id", ""))


PROVIDERS: dict[str, Any] = {"http": HttpSmsProvider}


def segments(text: str) -> int:
    """How many SMS segments ``text`` takes (70 characters each; longer messages are split
    into 67-character parts)."""
    if len(text) <= SMS_SEGMENT:
        return 1
    return -(-len(text) // 67)


class SmsChannel:
    """SMS through the provider named by ``NOTIFY_SMS_PROVIDER`` (``http``, the default, with
    ``NOTIFY_SMS_URL``)."""

    name = "sms"

    def provider(self) -> SmsProvider:
        url = setting("NOTIFY_SMS_URL", "")
        if not url:
            raise DeliveryError("no SMS gateway is configured (NOTIFY_SMS_URL)", permanent=True)
        kind = PROVIDERS[setting("NOTIFY_SMS_PROVIDER", "http")]
        return kind(url, timeout=float(setting("NOTIFY_SMS_TIMEOUT", 5)))

    def send(self, message: Any) -> str:
        return self.provider().send(message.address, message.body, f"mallkit-{message.id}")


# -- in-app ----------------------------------------------------------------------------------


class InboxChannel:
    """The in-app inbox: the message row is the inbox entry, so "sending" only marks it
    delivered — it shows in ``GET /me/notifications`` from then on."""

    name = "inbox"

    def send(self, message: Any) -> str:
        return ""


CHANNELS: dict[str, Channel] = {
    "email": EmailChannel(),
    "sms": SmsChannel(),
    "inbox": InboxChannel(),
}
