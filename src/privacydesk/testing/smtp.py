"""A real SMTP server for tests: aiosmtpd on a free loopback port, started once per session.

``smtp`` (a fixture) empties the server's record and points Django's SMTP backend at it, so
the code under test talks SMTP for real; tests assert on what the server received::

    def test_mail(smtp):
        send_something()
        [message] = smtp.messages_to("klant@example.nl")
        assert message.email["List-Unsubscribe"]

The server can refuse recipients (``smtp.refuse("a@example.nl", 550)``), refuse them for a
while (``smtp.refuse("b@example.nl", 451, times=2)``) and hold a dialogue at a chosen point
(``smtp.hold("c@example.nl", stage="rcpt")``) until ``smtp.release()``; a held dialogue lets a
test kill the client at a known point. ``smtp.drop_after_data("d@example.nl")`` takes that
message and then closes the connection without a reply (a reply lost after the final dot);
``smtp.refuse(..., stage="data")`` refuses the message after its final dot and
``smtp.refuse_mail(550)`` refuses MAIL FROM (the sender; the server does not know the
recipient yet). Each received message carries the time it was taken (``at``) and
``smtp.connections`` counts the sessions (EHLO). Other apps' tests (rights, crm) use the
same fixture.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from privacydesk.testing import free_port


@dataclass
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    email: EmailMessage = field(repr=False)
    at: float = 0.0  # time.monotonic() when the server took the message

    def part(self, subtype: str) -> str:
        body = self.email.get_body(preferencelist=(subtype,))
        return body.get_content() if body is not None else ""


class Handler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.refusals: dict[str, list[int]] = {}  # address -> [code, times left (-1 = always)]
        self.data_refusals: dict[str, int] = {}  # address -> code, after the final dot
        self.mail_refusal: list[int] | None = None  # [code, times left (-1 = always)]
        self.drops: dict[str, bool] = {}  # address -> store the message before dropping
        self.holds: dict[tuple[str, str], threading.Event] = {}
        self.holding = threading.Event()
        self.held_at: tuple[str, str] | None = None
        self.connections = 0

    async def _wait(self, key: tuple[str, str]) -> None:
        event = self.holds.get(key)
        if event is None or event.is_set():
            return
        self.held_at = key
        self.holding.set()
        while not event.is_set():
            await asyncio.sleep(0.01)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            rule = self.mail_refusal
            if rule is not None and rule[1] != 0:
                if rule[1] > 0:
                    rule[1] -= 1
                return f"{rule[0]} 5.7.1 sender refused"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        address = address.lower()
        await self._wait((address, "rcpt"))
        with self.lock:
            rule = self.refusals.get(address)
            if rule is not None and rule[1] != 0:
                if rule[1] > 0:
                    rule[1] -= 1
                code = rule[0]
                return f"{code} {'4.2.0 try again later' if code < 500 else '5.1.1 no such user'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # The message is taken (recorded) first; a hold at "data" then delays only the reply,
        # as with a server that has stored a message when its answer is lost.
        at = time.monotonic()  # before parsing: the first parse imports modules, slowly
        with self.lock:
            refused = [self.data_refusals[r] for r in envelope.rcpt_tos if r in self.data_refusals]
            drops = [self.drops[r] for r in envelope.rcpt_tos if r in self.drops]
        if refused:
            return f"{refused[0]} 5.6.0 message refused"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if not drops or drops[0]:
            with self.lock:
                self.received.append(
                    Received(
                        mail_from=envelope.mail_from,
                        rcpt_tos=list(envelope.rcpt_tos),
                        data=envelope.content,
                        email=message,
                        at=at,
                    )
                )
        if drops:
            server.transport.abort()  # no reply: the client cannot tell whether it was taken
            return "250 OK"  # written to a closed transport: never arrives
        for rcpt in envelope.rcpt_tos:
            await self._wait((rcpt, "data"))
        return "250 OK"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses


class SmtpSink:
    """The running server and what it received."""

    def __init__(self) -> None:
        self.handler = Handler()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.controller = Controller(self.handler, hostname=self.host, port=self.port, timeout=30)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.release()
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    # -- behaviour ----------------------------------------------------------------------
    def reset(self) -> None:
        self.release()
        with self.handler.lock:
            self.handler.received.clear()
            self.handler.refusals.clear()
            self.handler.holds.clear()
            self.handler.data_refusals.clear()
            self.handler.drops.clear()
            self.handler.mail_refusal = None
            self.handler.connections = 0

    def refuse(self, address: str, code: int, *, times: int = -1, stage: str = "rcpt") -> None:
        """Answer RCPT for ``address`` with ``code`` (``times`` times; -1: always); with
        ``stage="data"``, accept RCPT and answer the final dot of its message with ``code``."""
        with self.handler.lock:
            if stage == "data":
                self.handler.data_refusals[address.lower()] = code
            else:
                self.handler.refusals[address.lower()] = [code, times]

    def refuse_mail(self, code: int, *, times: int = -1) -> None:
        """Answer the next ``times`` MAIL FROM commands (-1: all) with ``code``."""
        with self.handler.lock:
            self.handler.mail_refusal = [code, times]

    def drop_after_data(self, address: str, *, store: bool = True) -> None:
        """Close the connection after the final dot of a message to ``address``, without a
        reply; ``store``: the server kept the message (else it lost it)."""
        with self.handler.lock:
            self.handler.drops[address.lower()] = store

    @property
    def connections(self) -> int:
        """SMTP sessions opened (EHLO) since the last reset."""
        return self.handler.connections

    def hold(self, address: str, *, stage: str = "rcpt") -> None:
        """Stop answering at ``stage`` (``rcpt``: before accepting the recipient; ``data``:
        after the whole message and its final dot were taken, before the reply) until
        released."""
        self.handler.holding.clear()
        self.handler.holds[(address.lower(), stage)] = threading.Event()

    def wait_held(self, timeout: float = 30) -> bool:
        return self.handler.holding.wait(timeout)

    def release(self) -> None:
        for event in self.handler.holds.values():
            event.set()

    # -- what was received ------------------------------------------------------------
    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def messages_to(self, address: str) -> list[Received]:
        wanted = address.lower()
        return [m for m in self.messages if wanted in m.rcpt_tos]

    def recipients(self) -> list[str]:
        return [rcpt for m in self.messages for rcpt in m.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the SMTP server received {len(self.messages)} of {count}")
            time.sleep(0.02)
        return self.messages


@pytest.fixture(scope="session")
def smtp_sink():
    """The session's SMTP server (aiosmtpd on a free loopback port)."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp(smtp_sink, settings):
    """The session's SMTP server, emptied, with Django's SMTP backend pointed at it."""
    smtp_sink.reset()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_sink.host
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield smtp_sink
    smtp_sink.release()
