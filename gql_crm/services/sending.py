"""E-mail and SMS as outbox handlers: e-mail over SMTP (``aiosmtplib``), SMS through a
provider (an HTTP API configured by settings, or "log", which records instead of sending).

A message's payload is ``{to, subject?, body, customerId?, contactId?, mailingId?}``; its
outbox key is the e-mail's Message-ID (or the SMS provider's id), the same on every attempt,
so a message sent again after a crash is recognised as a repeat. A recipient refused for
good (an SMTP 5xx to RCPT or DATA; the SMS provider answering one of ``SMS_BOUNCES``: no
such number) is ``bounced`` at once; another permanent SMTP refusal (5xx to the sender, to the
sign-in) fails the message at once; anything else is retried.
What a delivered or failed message means elsewhere (the customer's history, a mailing's
counts) is said by ``on_settled`` listeners.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr

import aiosmtplib
import httpx

from gql_crm.services import outbox
from gql_crm.services.unit_of_work import Services, UnitOfWork
from gql_crm.settings import Settings

logger = logging.getLogger("gql_crm.sending")

EMAIL = "email"
SMS = "sms"
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 30, 120))
Settled = Callable[[UnitOfWork, outbox.Claimed, outbox.Outcome, bool], Awaitable[None]]
_LISTENERS: list[Settled] = []


def on_settled(listener: Settled) -> None:
    """Call ``listener`` in the transaction that settles each e-mail or SMS attempt."""
    _LISTENERS.append(listener)


def message_id(settings: Settings) -> str:
    domain = _sender(settings.mail_from)[0].rpartition("@")[2] or "localhost"
    return f"<{outbox.new_key('m')}@{domain}>"


def sms_id() -> str:
    return outbox.new_key("sms")


class _Handler:
    retry_delays: Sequence[timedelta] = RETRY_DELAYS

    async def load(self, services: Services, messages: Sequence[outbox.Claimed]) -> None:
        return None  # the payload holds everything

    async def send(self, services: Services, message: outbox.Claimed) -> outbox.Outcome:
        raise NotImplementedError

    async def settled(
        self, uow: UnitOfWork, message: outbox.Claimed, outcome: outbox.Outcome, final: bool
    ) -> None:
        for listener in _LISTENERS:
            await listener(uow, message, outcome, final)


class EmailHandler(_Handler):
    async def send(self, services: Services, message: outbox.Claimed) -> outbox.Outcome:
        settings = services.settings
        payload = message.payload
        if not settings.smtp_host:
            logger.info("e-mail %s to %s (not sent: no SMTP host)", message.key, payload["to"])
            return outbox.Outcome(True)
        sender, from_header = _sender(settings.mail_from)
        to = _one_line(payload["to"])
        subject = payload.get("subject") or ""
        email = render_email(from_header, to, subject, message.key, payload["body"])
        try:
            await _send_pooled(settings, sender, to, email)
        except aiosmtplib.SMTPRecipientsRefused as refused:
            first = refused.recipients[0] if refused.recipients else None
            code = first.code if first else 550
            return _refused(code, first.message if first else "refused", recipient=True)
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as error:
            return _refused(error.code, error.message, recipient=True)
        except aiosmtplib.SMTPResponseException as error:
            return _refused(error.code, error.message, recipient=False)
        except aiosmtplib.SMTPTimeoutError:
            return outbox.Outcome(False, error="the SMTP server timed out")
        except (aiosmtplib.SMTPException, OSError) as error:
            return outbox.Outcome(False, error=f"{type(error).__name__}: {error}"[:300])
        return outbox.Outcome(True)


@functools.cache
def _sender(mail_from: str) -> tuple[str, str]:
    """The envelope sender and the From header (a display name encoded as RFC 2047 says)."""
    name, address = parseaddr(mail_from)
    return address, formataddr((name, address), "utf-8")


def _one_line(text: str) -> str:
    """A header value that cannot start another header."""
    return text.replace("\r", " ").replace("\n", " ")


def render_email(from_header: str, to: str, subject: str, key: str, body: str) -> bytes:
    """A plain-text UTF-8 message, written out directly: the ``email`` package's
    EmailMessage spends milliseconds per message parsing the headers it is given, more than
    the whole SMTP exchange."""
    subject = _one_line(subject)
    if not subject.isascii() or len(subject) > 76:
        subject = Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
    text = base64.encodebytes(body.encode()).decode()
    return (
        f"From: {from_header}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {key}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n'
        f"\r\n{text}"
    ).encode()


# Open SMTP connections, reused from one message to the next: per event loop (a worker's, a
# test's) and server, at most as many as messages are in flight.
_IDLE: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, int], list[aiosmtplib.SMTP]]
] = weakref.WeakKeyDictionary()


async def _send_pooled(settings: Settings, sender: str, to: str, email: bytes) -> None:
    """Send over an idle connection to the server if there is one (once more over a fresh one
    if the server had closed it meanwhile); a connection that failed is dropped."""
    assert settings.smtp_host is not None
    server = (settings.smtp_host, settings.smtp_port)
    idle = _IDLE.setdefault(asyncio.get_running_loop(), {}).setdefault(server, [])
    reused = idle.pop() if idle else None
    if reused is not None:
        try:
            await reused.sendmail(sender, [to], email)
        except aiosmtplib.SMTPServerDisconnected:
            reused.close()
        except BaseException:
            reused.close()
            raise
        else:
            idle.append(reused)
            return
    client = await _connect(settings)
    try:
        await client.sendmail(sender, [to], email)
    except BaseException:
        client.close()
        raise
    idle.append(client)


async def _connect(settings: Settings) -> aiosmtplib.SMTP:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    client = aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=password,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=settings.smtp_timeout_seconds,
    )
    await client.connect()
    return client


def _refused(code: int, text: str, *, recipient: bool) -> outbox.Outcome:
    """An SMTP refusal: 5xx is for good (the recipient's: bounced), 4xx for now."""
    permanent = 500 <= code < 600
    bounced = permanent and recipient
    label = "bounced" if bounced else "refused" if permanent else "deferred"
    return outbox.Outcome(False, status_code=code, error=f"{label}: {code} {text}"[:300],
                          permanent=permanent, bounced=bounced)  # fmt: skip


# What the SMS provider answers when it refuses the number (or the message to it) for good.
SMS_BOUNCES = frozenset({400, 404, 410, 422})


class SmsHandler(_Handler):
    async def send(self, services: Services, message: outbox.Claimed) -> outbox.Outcome:
        settings = services.settings
        payload = message.payload
        if settings.sms_provider == "log" or not settings.sms_url:
            logger.info("SMS %s to %s (log provider: not sent)", message.key, payload["to"])
            return outbox.Outcome(True)
        headers = {"content-type": "application/json"}
        if settings.sms_token:
            headers["authorization"] = f"Bearer {settings.sms_token.get_secret_value()}"
        body = {"to": payload["to"], "text": payload["body"], "id": message.key}
        try:
            async with httpx.AsyncClient(timeout=settings.webhook_timeout_seconds) as client:
                response = await client.post(settings.sms_url, json=body, headers=headers)
        except httpx.HTTPError as error:
            return outbox.Outcome(False, error=f"{type(error).__name__}: {error}"[:300])
        code = response.status_code
        if 200 <= code < 300:
            return outbox.Outcome(True, status_code=code)
        bounced = code in SMS_BOUNCES
        reason = f"{'bounced' if bounced else 'deferred'}: HTTP {code} {response.text[:200]}"
        return outbox.Outcome(False, status_code=code, error=reason, bounced=bounced)


outbox.register(EMAIL, EmailHandler())
outbox.register(SMS, SmsHandler())
