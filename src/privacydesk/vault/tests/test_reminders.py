"""The reminder before erasure: sent once, only after its transaction committed (P12).

Transactional tests: ``transaction.on_commit`` runs only when a transaction really commits.
"""

import logging
from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from privacydesk.audit.models import AuditEntry
from privacydesk.testing import free_port
from privacydesk.vault import reminders
from privacydesk.vault.models import DeletionCertificate, RecoveryJob

pytestmark = pytest.mark.django_db(transaction=True)


def _days_before(day, days):
    """Midnight (local time) ``days`` days before ``day``."""
    return timezone.make_aware(datetime.combine(day - timedelta(days=days), datetime.min.time()))


def _reminders(mailoutbox):
    return [m for m in mailoutbox if "will be erased after" in m.subject]


def _sent_entries():
    return list(AuditEntry.objects.filter(action="vault.reminder_sent").order_by("id"))


def test_reminder_before_erasure(put, job, mailoutbox):
    item = put(b"x")
    assert reminders.send_due(now=_days_before(item.expires_on, 10)) == 0
    assert reminders.send_due(now=_days_before(item.expires_on, 7)) == 1
    assert reminders.send_due(now=_days_before(item.expires_on, 6)) == 0  # only once
    link_mail, mail = mailoutbox  # the link at intake, then the reminder
    assert mail.to == ["klant@example.nl"]
    assert "/vault/" in mail.body
    assert "back-up" in mail.body and "backup" in mail.body
    assert item.expires_on.strftime("%Y") in mail.subject
    assert "1 bestand, 1 byte" in mail.body and "1 file, 1 byte" in mail.body
    assert "/vault/" in link_mail.body
    job.refresh_from_db()
    assert job.reminder_sent_at is not None and job.reminder_claimed_at is None
    [entry] = _sent_entries()
    assert entry.detail == {"retry": False} and entry.subject_ref == job.subject()


def test_a_failed_commit_sends_nothing_and_the_next_run_sends_once(put, job, mailoutbox):
    """The commit of the transaction the reminder was prepared in fails (here: a foreign key
    checked at commit); before, the mail had already gone, and the next run sent it again."""
    item = put(b"x")
    now = _days_before(item.expires_on, 7)
    with pytest.raises(IntegrityError), transaction.atomic():
        assert reminders.send_due(now=now) == 0  # waits for the commit
        DeletionCertificate.objects.create(
            job_id=job.pk + 1000, issued_at=now, document={}, signature="-"
        )
    assert _reminders(mailoutbox) == []
    job.refresh_from_db()
    assert job.reminder_sent_at is None and job.reminder_claimed_at is None
    assert reminders.send_due(now=now) == 1
    assert reminders.send_due(now=now) == 0
    assert len(_reminders(mailoutbox)) == 1 and len(_sent_entries()) == 1


def test_a_claim_left_by_a_dead_process_is_sent_again_visibly(put, job, mailoutbox, caplog):
    item = put(b"x")
    now = _days_before(item.expires_on, 7)
    # Another worker is sending it right now: left alone.
    RecoveryJob.objects.filter(pk=job.pk).update(reminder_claimed_at=now - timedelta(minutes=5))
    assert reminders.send_due(now=now) == 0
    assert _reminders(mailoutbox) == []
    # The claim is old and nothing was recorded as sent: the process died in between.
    old = now - reminders.CLAIM_TIMEOUT - timedelta(minutes=1)
    RecoveryJob.objects.filter(pk=job.pk).update(reminder_claimed_at=old)
    with caplog.at_level(logging.WARNING, logger="privacydesk.vault.reminders"):
        assert reminders.send_due(now=now) == 1
    assert len(_reminders(mailoutbox)) == 1
    assert "may receive it twice" in caplog.text and "klant@" not in caplog.text
    [entry] = _sent_entries()
    assert entry.detail == {"retry": True}
    assert reminders.send_due(now=now + timedelta(hours=2)) == 0


def test_a_refused_message_releases_the_claim(put, job, settings, mailoutbox, caplog):
    item = put(b"x")
    now = _days_before(item.expires_on, 7)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    with caplog.at_level(logging.WARNING, logger="privacydesk.vault.reminders"):
        assert reminders.send_due(now=now) == 0
    assert "could not be sent" in caplog.text
    job.refresh_from_db()
    assert job.reminder_sent_at is None and job.reminder_claimed_at is None
    assert _sent_entries() == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.send_due(now=now) == 1
    assert len(_reminders(mailoutbox)) == 1
