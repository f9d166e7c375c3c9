"""E-mail: the local outbox in embedded mode, real SMTP when EMAIL_URL is set."""

import os

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.core import mail
from django.core.management import call_command

from privacydesk.audit.models import AuditEntry
from privacydesk.backoffice import outbox
from privacydesk.testing import free_port, settings_with

OUTBOX = "privacydesk.backoffice.outbox.OutboxBackend"


@pytest.fixture(autouse=True)
def _outbox(settings):
    """The test runner swaps in Django's in-memory backend; these tests want the real one."""
    settings.EMAIL_BACKEND = OUTBOX


def test_outbox_backend_writes_one_file_per_message(settings):
    sent = mail.send_mail("Herinnering", "Uw gegevens", None, ["klant@example.nl"])
    assert sent == 1
    files = list(settings.OUTBOX_DIR.iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml"
    assert files[0].stat().st_mode & 0o077 == 0
    [message] = outbox.list_messages()
    assert message.to == "klant@example.nl"
    assert message.subject == "Herinnering"
    assert outbox.read_message(message.name).body.strip() == "Uw gegevens"


def test_outbox_refuses_paths(settings):
    assert outbox.read_message("../secret_key") is None
    assert outbox.read_message("/etc/passwd") is None


def test_staff_read_the_outbox_and_it_is_audited(staff_client):
    mail.send_mail("Download klaar", "Uw bestanden staan klaar.", None, ["klant@example.nl"])
    client = staff_client("privacy_officer")
    listing = client.get("/staff/outbox/")
    assert listing.status_code == 200
    assert "klant@example.nl" in listing.content.decode()
    [message] = outbox.list_messages()
    page = client.get(f"/staff/outbox/{message.name}/")
    assert "Uw bestanden staan klaar." in page.content.decode()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"outbox.list", "outbox.read"} <= actions
    assert client.get("/staff/outbox/20260101T000000-" + "0" * 32 + ".eml/").status_code == 404


class _Collect(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def test_email_url_delivers_over_real_smtp(tmp_path, settings):
    """``EMAIL_URL=smtp://host:port`` sends through a real SMTP server (aiosmtpd): the
    settings a process gets from that variable, then ``sendtestemail`` with them."""
    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update({"PRIVACYDESK_DATA_DIR": str(tmp_path), "EMAIL_URL": f"smtp://127.0.0.1:{port}"})
        defined = settings_with(env)
        for name in [n for n in defined if n.startswith("EMAIL_")]:
            setattr(settings, name, defined[name])
        settings.OUTBOX_DIR = defined["OUTBOX_DIR"]
        call_command("sendtestemail", "klant@example.nl")
    finally:
        controller.stop()
    assert len(handler.messages) == 1
    assert handler.messages[0]["To"] == "klant@example.nl"
    assert not (tmp_path / "outbox").exists() or not any((tmp_path / "outbox").iterdir())
