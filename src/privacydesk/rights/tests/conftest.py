"""Fixtures of the rights tests: a marketing-like source that acts on objections, a real
Dovecot IMAP server and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import pytest

from privacydesk.spine import registry
from privacydesk.spine.registry import Key, Subject


class SuppressionSource:
    """A store that only keeps a suppression list, as a marketing app would: it holds no rows
    about anyone, yet an objection must reach it (``registry.Source`` with ``object``)."""

    label = "tests.suppression"
    activity = "newsletter"
    parent = None
    erasure = "delete"
    keep_reason = ""

    def __init__(self) -> None:
        self.hashes: set[str] = set()

    def find(self, subject: Subject, parents: Mapping[str, Sequence[Key]]) -> list[Key]:
        return []

    def parent_keys(self, keys):
        return []

    def identifier_fields(self):
        return {}

    def export(self, keys):
        return []

    def rectify(self, keys, changes):
        return 0

    def restrict(self, keys):
        return 0

    def erase(self, keys):
        return 0

    def expired(self, cutoff):
        return []

    def inventory(self, keys):
        return {"rows": 0, "fields": [], "restricted": 0, "erasure": self.erasure}

    def on_hold(self, keys, held, *, actor):
        return None

    def object(self, subjects, keys):
        for subject in subjects:
            value = subject.value.strip().lower()
            self.hashes.add(hashlib.sha256(value.encode()).hexdigest())
        return len(subjects)

    def suppressed(self, address: str) -> bool:
        return hashlib.sha256(address.strip().lower().encode()).hexdigest() in self.hashes


@pytest.fixture
def suppression():
    src = SuppressionSource()
    registry.register(src)
    yield src
    registry._SOURCES.pop(src.label, None)


@pytest.fixture(scope="session")
def dovecot():
    from privacydesk.testing.imap import running

    with running() as server:
        yield server


@pytest.fixture
def mailbox(dovecot, settings, request):
    """An empty mailbox of the test's own, set as IMAP_URL."""
    from privacydesk import conf

    name = "T" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]
    settings.IMAP_URL = conf.imap(dovecot.fresh_mailbox(name))
    yield dovecot
    dovecot.mailbox = "INBOX"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free loopback port; ``.messages`` holds what came."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            msg = message_from_bytes(envelope.original_content, policy=policy.default)
            self.messages.append((envelope.rcpt_tos, msg))
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()
