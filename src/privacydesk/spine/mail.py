"""The one e-mail sender of the product (issue 10 item 6) and what the outbox reader relies on.

Every message the product sends is built here: From with the company's name, Reply-To,
Message-ID, Date, a plain-text part and (optionally) an HTML part. Header injection is
impossible: a name, subject or header value holding CR, LF or another control character is
refused with :class:`UnsafeHeader` before anything is sent (the callers' forms refuse such
input earlier, with a message naming the field).

Messages go out through Django's configured backend: SMTP from ``EMAIL_URL``, or the local
outbox in embedded mode (``backoffice.outbox``). Bulk sending (newsletter campaigns) opens one
:class:`Transport` and hands it many messages over one connection; its :meth:`Transport.send`
calls ``before_commit`` right before the SMTP server is asked to accept the message (the
final ``.`` of DATA), so the caller can record "handing over" first and knows afterwards
which messages were accepted.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
from collections.abc import Callable, Iterable, Mapping
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

#: A message carrying a one-time sign-in link (invitation, reset) sets this header; the
#: outbox reader under /staff/outbox/ hides its body, so reading the outbox is no way in (P3).
SIGN_IN_LINK_HEADER = "X-Privacydesk-Sign-In-Link"

_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable, no colon
MAX_SUBJECT = 998  # RFC 5322 line limit


class UnsafeHeader(ValueError):
    """A header value (name, subject, address) holds CR/LF or another control character."""


def is_header_safe(value: str) -> bool:
    """True when ``value`` holds no CR, LF or other control character (tab included)."""
    return not _UNSAFE.search(value)


def check_header(what: str, value: str) -> str:
    """``value`` unchanged, or :class:`UnsafeHeader` naming ``what``."""
    if not isinstance(value, str) or not is_header_safe(value):
        raise UnsafeHeader(f"{what} holds a line break or control character")
    return value


def _address(what: str, value: str) -> str:
    check_header(what, value)
    _name, addr = parseaddr(value)
    if not addr or "@" not in addr or any(c in addr for c in ' <>,;"'):
        raise UnsafeHeader(f"{what} is not one e-mail address")
    return value


def new_message_id() -> str:
    """A fresh Message-ID under the sender's domain."""
    return make_msgid(domain=message_domain())


def from_address(from_name: str | None = None) -> str:
    """``DEFAULT_FROM_EMAIL``, with ``from_name`` as its display name when given."""
    _name, addr = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if from_name is None:
        return settings.DEFAULT_FROM_EMAIL
    check_header("from name", from_name)
    return formataddr((from_name, addr))


def message_domain() -> str:
    """The domain of Message-IDs: the sender address's (never the host's name)."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "privacydesk.invalid"


def build(
    to: str | Iterable[str],
    subject: str,
    text: str,
    html: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    reply_to: str | None = None,
    from_name: str | None = None,
    connection=None,
) -> EmailMultiAlternatives:
    """The message, every header checked; nothing is sent."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise UnsafeHeader("a message needs a recipient")
    for address in recipients:
        _address("recipient", address)
    check_header("subject", subject)
    if len(subject) > MAX_SUBJECT:
        raise UnsafeHeader("subject is too long")
    extra: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not _HEADER_NAME.match(name):
            raise UnsafeHeader("header name is not a valid field name")
        extra[name] = check_header(f"header {name}", str(value))
    extra.setdefault("Message-ID", new_message_id())
    extra.setdefault("Date", formatdate(localtime=False, usegmt=True))
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_address(from_name),
        to=recipients,
        reply_to=[_address("reply-to", reply_to)] if reply_to else None,
        headers=extra,
        connection=connection,
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def send(
    to: str | Iterable[str],
    subject: str,
    text: str,
    html: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    reply_to: str | None = None,
    from_name: str | None = None,
    connection=None,
) -> str:
    """Build and send one message; returns its Message-ID.

    Raises :class:`UnsafeHeader` for unsafe input, and ``smtplib.SMTPException`` / ``OSError``
    when the mail server refuses or cannot be reached (callers decide what that means).
    """
    message = build(
        to, subject, text, html,
        headers=headers, reply_to=reply_to, from_name=from_name, connection=connection,
    )  # fmt: skip
    message.send()
    return message.extra_headers["Message-ID"]


# -- bulk sending ----------------------------------------------------------------------------
class Refused(Exception):
    """The server refused the message: ``code`` (4xx temporary, 5xx permanent) and ``stage``
    (``mail``, ``rcpt`` or ``data``); ``reply`` is the server's text, which may hold the
    address and is not for logs."""

    def __init__(self, code: int, stage: str, reply: str = ""):
        super().__init__(code, stage)
        self.code = code
        self.stage = stage
        self.reply = reply

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


class Unconfirmed(Exception):
    """The final ``.`` of DATA went out (or may have) and no reply came: the connection broke
    or timed out. The server may have accepted the message; sending it again could deliver
    it twice."""


class HandoverCancelled(Exception):
    """``before_commit`` returned False: the message was not handed over (connection dropped)."""


_LINE_END = re.compile(rb"\r\n|\n|\r(?!\n)")
_LINE_DOT = re.compile(rb"(?m)^\.")


def wire(message: EmailMultiAlternatives) -> bytes:
    """The message as SMTP DATA: CRLF line ends, dot-stuffed (RFC 5321 4.5.2), no final dot."""
    data = message.message().as_bytes(linesep="\r\n")
    return _quote(data)


def _quote(data: bytes) -> bytes:
    if b"\n" in data.replace(b"\r\n", b"") or b"\r" in data.replace(b"\r\n", b""):
        data = _LINE_END.sub(b"\r\n", data)
    data = _LINE_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


class Transport:
    """One connection for many messages (``with Transport() as t: t.send(message, ...)``).

    With the SMTP backend the SMTP dialogue is driven here so that ``before_commit`` runs
    after the message's content went over the wire and before the final ``.`` that asks the
    server to accept it: a process killed before that point leaves nothing accepted. With
    another backend (the outbox) ``before_commit`` runs before the backend writes the message.
    """

    def __init__(self, backend=None):
        self.backend = backend or get_connection()
        self.smtp = isinstance(self.backend, SmtpBackend)

    def __enter__(self) -> Transport:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        self.backend.open()

    def close(self) -> None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.backend.close()

    def _reconnect(self) -> None:
        self.close()
        self.backend.connection = None
        self.backend.open()

    def send(
        self,
        message: EmailMultiAlternatives,
        *,
        before_commit: Callable[[], bool] | None = None,
        data: bytes | None = None,
    ) -> None:
        """Hand ``message`` over; raises :class:`Refused`, :class:`HandoverCancelled`,
        :class:`Unconfirmed` (no reply after the final dot: the message may have been taken),
        ``smtplib.SMTPException`` or ``OSError`` (the connection is then reopened next time).

        ``data`` may carry the message already as SMTP DATA (:func:`wire`), for bulk senders
        that prepared it; over SMTP it is sent instead of serialising ``message`` again.
        """
        if not self.smtp:
            if before_commit is not None and not before_commit():
                raise HandoverCancelled
            try:
                taken = self.backend.send_messages([message])
            except OSError as exc:  # part of it may have been written
                raise Unconfirmed(type(exc).__name__) from exc
            if taken != 1:
                raise Refused(554, "data", "the backend did not take the message")
            return
        sender = parseaddr(message.from_email)[1]
        recipients = [parseaddr(a)[1] for a in message.recipients()]
        self.send_data(sender, recipients, wire(message) if data is None else data,
                       before_commit=before_commit)  # fmt: skip

    def send_data(
        self,
        sender: str,
        recipients: list[str],
        data: bytes,
        *,
        before_commit: Callable[[], bool] | None = None,
    ) -> None:
        """Hand over a message already serialised as SMTP DATA (:func:`wire`): SMTP only."""
        if not self.smtp:
            raise TypeError("send_data needs the SMTP backend")
        self.connect()
        smtp = self.backend.connection
        if getattr(smtp, "sock", None) is not None:
            # The final dot goes in a write of its own (see _dialogue): without this, Nagle's
            # algorithm holds it until the server's delayed ACK, some 40 ms per message.
            with contextlib.suppress(OSError):
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._dialogue(smtp, sender, recipients, data, before_commit)
        except (Refused, HandoverCancelled):
            raise
        except (Unconfirmed, smtplib.SMTPException, OSError):
            self._drop()
            raise

    def connect(self) -> None:
        """Open the SMTP connection and greet (EHLO) now, if it is not open: a bulk sender
        that paces its messages connects first, so the pace is that of the messages."""
        if not self.smtp or self.backend.connection is not None:
            return
        try:
            self.backend.open()
            self.backend.connection.ehlo_or_helo_if_needed()
        except (smtplib.SMTPException, OSError):
            self._drop()  # e.g. connected but the sign-in was refused: not usable
            raise

    def _drop(self) -> None:
        with contextlib.suppress(smtplib.SMTPException, OSError, AttributeError):
            self.backend.connection.close()
        self.backend.connection = None

    def _dialogue(self, smtp: smtplib.SMTP, sender, recipients, data, before_commit) -> None:
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(sender)
        if code != 250:
            self._reset(smtp)
            raise Refused(code, "mail", reply.decode("utf-8", "replace"))
        for address in recipients:
            code, reply = smtp.rcpt(address)
            if code not in (250, 251):
                self._reset(smtp)
                raise Refused(code, "rcpt", reply.decode("utf-8", "replace"))
        code, reply = smtp.docmd("DATA")
        if code != 354:
            self._reset(smtp)
            raise Refused(code, "data", reply.decode("utf-8", "replace"))
        smtp.send(data)
        if before_commit is not None and not before_commit():
            # Without the final dot the server discards the transaction with the connection.
            self._drop()
            raise HandoverCancelled
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            raise Unconfirmed(type(exc).__name__) from exc
        if code != 250:
            raise Refused(code, "data", reply.decode("utf-8", "replace"))

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
