"""Mailbox intake over a real Dovecot IMAP server, replies over a real SMTP server (P14).

Messages are delivered with IMAP APPEND, as a mail server would: plain, multipart with an
attachment, encoded-word subjects, replies and forwards, a forwarded message/rfc822, one
without the keyword, malformed ones, forged and broken senders.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import formats, timezone, translation

from privacydesk.jobs.worker import Worker
from privacydesk.rights import deadlines
from privacydesk.rights import mailbox as intake
from privacydesk.rights.models import MailboxMessage, Request

AMS = timezone.get_fixed_timezone(60)


def _message(
    subject: str, *, sender="Jan Jansen <jan@example.nl>", body="Graag inzage.", headers=()
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "verkoop@compjoeter.nl"
    msg["Subject"] = subject
    for name, value in headers:
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def _raw(subject_header: str, sender: str = "jan@example.nl") -> bytes:
    return (
        f"From: {sender}\r\nTo: verkoop@compjoeter.nl\r\nSubject: {subject_header}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nGraag een kopie van mijn gegevens.\r\n"
    ).encode()


def _poll():
    return intake.poll()


@pytest.mark.django_db
def test_every_kind_of_message_becomes_one_request_or_is_kept(mailbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    deliver = mailbox.deliver
    deliver(_message("Inzage persoonsgegevens"))
    with_attachment = EmailMessage()
    with_attachment["From"] = "piet@example.nl"
    with_attachment["Subject"] = "Verwijder mijn PERSOONSGEGEVENS"
    with_attachment.set_content("Zie bijlage.")
    with_attachment.add_attachment(
        b"%PDF-1.4 brief", maintype="application", subtype="pdf", filename="brief.pdf"
    )
    deliver(with_attachment.as_bytes())
    deliver(_raw("=?iso-8859-1?Q?Verzoek_inzage_persoonsgegevens_=E9?="))
    deliver(_raw("=?utf-8?B?VmVyem9layBpbnphZ2UgcGVyc29vbnNnZWdldmVucw==?="))
    deliver(_message("RE: Uw vraag over persoonsgegevens"))
    deliver(_message("FW: persoonsGEGEVENS"))
    inner = EmailMessage()
    inner["From"] = "klant@example.nl"
    inner["Subject"] = "Inzage persoonsgegevens"
    inner.set_content("Origineel bericht")
    outer = EmailMessage()
    outer["From"] = "collega@example.nl"
    outer["Subject"] = "Doorgestuurd"
    outer.set_content("Zie het doorgestuurde bericht.")
    outer.add_attachment(inner)
    deliver(outer.as_bytes())
    deliver(_message("Offerte voor een nieuwe laptop"))
    deliver(b"Dit is geen bericht persoonsgegevens\r\nzonder kopregels\r\n")
    result = _poll()
    assert len(result.requests) == 7
    assert result.ignored == 1 and result.unparseable == 1
    requests = Request.objects.order_by("pk")
    assert all(r.channel == "email" and r.state == "unverified" for r in requests)
    assert requests[1].kind == "erasure"
    assert requests[1].attachments.get().filename == "brief.pdf"
    assert requests[6].email == "collega@example.nl"
    assert requests[6].attachments.get().filename == "forwarded.eml"
    kept = MailboxMessage.objects.get(outcome="unparseable")
    assert b"zonder kopregels" in bytes(kept.raw) and kept.request is None
    ignored = MailboxMessage.objects.get(outcome="ignored")
    assert bytes(ignored.raw) == b""  # nothing kept of a message that is no request
    # exactly once: a second poll finds nothing new
    again = _poll()
    assert again.requests == [] and again.ignored == 0 and again.unparseable == 0
    assert Request.objects.count() == 7


@pytest.mark.django_db
def test_arrival_time_is_the_legal_start(mailbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    when = datetime(2026, 1, 31, 10, 0, tzinfo=AMS)
    mailbox.deliver(_message("persoonsgegevens"), when=when.timestamp())
    _poll()
    req = Request.objects.get()
    assert req.received_at == when
    assert req.due_on.isoformat() == "2026-02-28"


@pytest.mark.django_db
def test_a_rebuilt_mailbox_starts_over_without_repeating(mailbox, settings, dovecot):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mailbox.deliver(_message("persoonsgegevens 1"))
    _poll()
    dovecot.rebuild(dovecot.mailbox)
    mailbox.deliver(_message("persoonsgegevens 2"))
    result = _poll()
    assert len(result.requests) == 1
    assert MailboxMessage.objects.values("uidvalidity").distinct().count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sender_headers",
    [
        ("jan@example.nl, eve@example.org", ()),
        ("niet een adres", ()),
        ("jan@example.nl", (("Authentication-Results", "mx.compjoeter.nl; dmarc=fail"),)),
        ("jan@example.nl", (("Authentication-Results", "mx.compjoeter.nl; spf=softfail"),)),
    ],
)
def test_a_forged_or_broken_sender_is_never_mailed(mailbox, smtp_server, sender_headers):
    sender, headers = sender_headers
    mailbox.deliver(_message("persoonsgegevens", sender=sender, headers=headers))
    _poll()
    req = Request.objects.get()
    assert req.email == "" and not req.mailbox_from_ok
    assert req.state == Request.State.NEEDS_STAFF
    assert smtp_server.messages == []


@pytest.mark.django_db(transaction=True)
def test_mailed_request_is_acknowledged_verified_packaged_and_erased(
    mailbox, smtp_server, client, settings
):
    from privacydesk.rights import services
    from privacydesk.spine.roles import PRIVACY_OFFICER
    from privacydesk.testing import make_staff

    officer = make_staff(PRIVACY_OFFICER)
    mailbox.deliver(_message("Inzage persoonsgegevens", sender="Jan <jan@example.nl>"))
    out = io.StringIO()
    call_command("rights", "poll", stdout=out)
    assert out.getvalue().startswith("1 request(s)")
    req = Request.objects.get()
    ((to, ack),) = smtp_server.messages
    assert to == ["jan@example.nl"]
    body = ack.get_body(preferencelist=("plain",)).get_content()
    with translation.override("nl"):
        deadline = formats.date_format(req.deadline, "DATE_FORMAT")
    assert req.deadline == deadlines.due_on(req.received_at)
    assert f"We antwoorden uiterlijk op {deadline} (" in body  # the deadline, in full
    link = re.search(r"https?://\S+/privacy/request/verify/\S+/", body).group(0)
    path = urlsplit(link).path
    assert client.get(path).status_code == 200
    req.refresh_from_db()
    assert req.state == "unverified"  # opening the link alone verifies nothing
    assert client.post(path).status_code == 200
    req.refresh_from_db()
    assert req.state == "processing" and req.verified_at is not None  # queued for the worker
    Worker(batch=True).run()
    req.refresh_from_db()
    assert req.state == "answered" and req.package
    answer = smtp_server.messages[-1][1].get_body(preferencelist=("plain",)).get_content()
    download = urlsplit(re.search(r"https?://\S+/privacy/request/package/\S+/", answer).group(0))
    response = client.get(download.path)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    erase = services.create(
        kind="erasure", channel="email", actor="system:test", email="jan@example.nl", verified=True
    )
    services.carry_out(erase, actor=f"user:{officer.pk}")
    erase.refresh_from_db()
    assert erase.state == "answered"


def _with_attachment(subject: str = "Verwijder mijn persoonsgegevens") -> bytes:
    msg = EmailMessage()
    msg["From"] = "piet@example.nl"
    msg["Subject"] = subject
    msg.set_content("Zie bijlage.")
    msg.add_attachment(
        b"%PDF-1.4 brief", maintype="application", subtype="pdf", filename="brief.pdf"
    )
    return msg.as_bytes()


@pytest.mark.django_db
def test_a_message_that_fails_is_kept_for_staff_and_blocks_nothing(
    mailbox, settings, monkeypatch, staff_client
):
    from privacydesk.rights import services
    from privacydesk.spine.roles import PRIVACY_OFFICER

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "attach", disk_full)
    mailbox.deliver(_message("Inzage persoonsgegevens", sender="jan@example.nl"))
    mailbox.deliver(_with_attachment())
    mailbox.deliver(_message("Inzage persoonsgegevens", sender="klaas@example.nl"))
    result = _poll()
    assert len(result.requests) == 2 and result.failed == 1
    assert sorted(Request.objects.values_list("email", flat=True)) == [
        "jan@example.nl",
        "klaas@example.nl",
    ]
    kept = MailboxMessage.objects.get(outcome=MailboxMessage.Outcome.FAILED)
    assert kept.request is None and b"brief.pdf" in bytes(kept.raw)
    assert b"Verwijder mijn persoonsgegevens" in bytes(kept.raw)
    # kept, not retried on every poll, and the later messages are not repeated
    again = _poll()
    assert again.requests == [] and again.failed == 0
    assert Request.objects.count() == 2 and MailboxMessage.objects.count() == 3
    page = staff_client(PRIVACY_OFFICER).get("/staff/rights/").content.decode()
    assert f"/staff/rights/mailbox/{kept.pk}/raw/" in page


class Killed(BaseException):
    """The worker process dies (as with SIGKILL) in the middle of a message."""


@pytest.mark.django_db(transaction=True)
def test_each_message_is_taken_exactly_once_after_a_crash(mailbox, settings, monkeypatch):
    from privacydesk.rights import services

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    real_attach = services.attach

    def killed(*args, **kwargs):
        raise Killed

    monkeypatch.setattr(services, "attach", killed)
    mailbox.deliver(_message("Inzage persoonsgegevens", sender="jan@example.nl"))
    mailbox.deliver(_with_attachment())
    mailbox.deliver(_message("Inzage persoonsgegevens", sender="klaas@example.nl"))
    with pytest.raises(Killed):
        _poll()
    # the first message was taken; of the second nothing is left half-way
    assert list(Request.objects.values_list("email", flat=True)) == ["jan@example.nl"]
    assert MailboxMessage.objects.count() == 1
    monkeypatch.setattr(services, "attach", real_attach)  # the worker restarts
    result = _poll()
    assert len(result.requests) == 2 and result.failed == 0
    emails = sorted(Request.objects.values_list("email", flat=True))
    assert emails == ["jan@example.nl", "klaas@example.nl", "piet@example.nl"]
    piet = Request.objects.get(email="piet@example.nl")
    assert piet.attachments.get().filename == "brief.pdf"
    assert MailboxMessage.objects.count() == 3
    assert _poll().requests == []
    assert Request.objects.count() == 3


@pytest.mark.django_db
def test_replies_are_filed_with_their_request_and_automatic_mail_makes_nothing(
    mailbox, smtp, staff_client, django_capture_on_commit_callbacks
):
    from privacydesk.audit.models import AuditEntry
    from privacydesk.spine.roles import PRIVACY_OFFICER

    mailbox.deliver(_message("Inzage persoonsgegevens", sender="Jan <jan@example.nl>"))
    with django_capture_on_commit_callbacks(execute=True):
        _poll()
    req = Request.objects.get()
    [ack] = smtp.messages_to("jan@example.nl")
    assert ack.email["Auto-Submitted"] == "auto-replied"
    subject, our_id = ack.email["Subject"], ack.email["Message-ID"]
    assert f"(persoonsgegevens, #{req.pk})" in subject
    deliver = mailbox.deliver
    # replies: by In-Reply-To (also from another address, without the keyword) and by our tag
    deliver(_message(f"Re: {subject}", body="Ik bedoel verwijderen.",
                     headers=(("In-Reply-To", our_id),)))  # fmt: skip
    deliver(_message("Re: uw brief", sender="piet@example.nl",
                     headers=(("References", f"<a@example.org> {our_id}"),)))  # fmt: skip
    deliver(_message(f"RE: {subject}", sender="JAN@example.nl"))
    # automatic mail: never a request, never acknowledged
    deliver(_message(f"Afwezig: {subject}", headers=(("Auto-Submitted", "auto-replied"),)))
    deliver(_message("Nieuws over persoonsgegevens", sender="list@example.org",
                     headers=(("Precedence", "bulk"),)))  # fmt: skip
    deliver(_message("Re: persoonsgegevens", sender="bot@example.org",
                     headers=(("X-Autoreply", "yes"),)))  # fmt: skip
    # our tag from someone else, and an explicit "Auto-Submitted: no": new requests
    deliver(_message(f"Re: {subject}", sender="eve@example.org"))
    deliver(_message("persoonsgegevens", sender="klaas@example.nl",
                     headers=(("Auto-Submitted", "no"),)))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        result = _poll()
    assert result.replies == 3 and result.ignored == 3
    assert sorted(Request.objects.exclude(pk=req.pk).values_list("email", flat=True)) == [
        "eve@example.org",
        "klaas@example.nl",
    ]
    assert len(smtp.messages_to("jan@example.nl")) == 1  # no acknowledgement of a reply
    assert smtp.recipients().count("piet@example.nl") == 0
    assert smtp.recipients().count("list@example.org") == 0
    assert smtp.recipients().count("bot@example.org") == 0
    filed = req.messages.order_by("uid")
    assert [m.outcome for m in filed] == ["request", "reply", "reply", "reply", "auto"]
    assert b"Ik bedoel verwijderen." in bytes(filed[1].raw)
    assert (
        AuditEntry.objects.filter(action="rights.reply_received", object_id=str(req.pk)).count()
        == 4
    )
    # the privacy officer reads the reply and corrects the guessed kind on the request page
    client = staff_client(PRIVACY_OFFICER)
    page = client.get(f"/staff/rights/{req.pk}/").content.decode()
    assert 'id="rights-kind"' in page and f"/staff/rights/mailbox/{filed[1].pk}/raw/" in page
    client.post(f"/staff/rights/{req.pk}/kind/", {"kind": "erasure"})
    req.refresh_from_db()
    assert req.kind == "erasure"
    entry = AuditEntry.objects.get(action="rights.kind_changed")
    assert entry.detail == {"from": "access", "to": "erasure"}
