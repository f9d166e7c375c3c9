"""The customer is told before erasure: the date, the link, and to keep an own backup (P12).

A reminder goes out at most once per link, and never from inside a transaction: a commit
that fails after the message was handed to the mail server would leave the job "not
reminded", and the next run would send it again. So each reminder takes two steps:

1. *claim*: in one transaction that holds the job's row lock, the job is checked to be still
   due, ``reminder_claimed_at`` is set and the message is rendered;
2. *deliver*: only once that transaction has committed (``transaction.on_commit``), the
   message is sent, then ``reminder_sent_at`` is set and the sending audited.

A failed commit therefore sends nothing. A message the mail server refuses releases the
claim, so the next run tries again. A process that dies between the two steps leaves a claim
without ``reminder_sent_at``; after ``CLAIM_TIMEOUT`` the next run sends the reminder again,
logs a warning and audits it with ``retry: true``. That is the one case in which a customer
can get the same reminder twice (the process died after the mail server accepted it, before
the sending was recorded), and it is never silent: losing a reminder before erasure would be
worse than a visible duplicate.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from privacydesk.audit.services import record
from privacydesk.spine import mail
from privacydesk.vault import links, sizes
from privacydesk.vault.models import RecoveryJob, VaultItem

log = logging.getLogger(__name__)

#: A claim older than this, without ``reminder_sent_at``, was left by a process that died.
CLAIM_TIMEOUT = timedelta(minutes=30)


@dataclass(frozen=True)
class _Reminder:
    job_id: int
    to: str
    subject: str
    body: str
    claimed_at: datetime
    retry: bool


def due_jobs(now: datetime):
    """Open jobs with items to be erased within ``VAULT_REMINDER_DAYS`` and no reminder yet
    (nor one being sent right now)."""
    horizon = timezone.localtime(now).date() + timedelta(days=settings.VAULT_REMINDER_DAYS)
    return (
        RecoveryJob.objects.filter(
            Q(reminder_claimed_at__isnull=True) | Q(reminder_claimed_at__lt=now - CLAIM_TIMEOUT),
            status=RecoveryJob.Status.OPEN,
            restricted=False,
            reminder_sent_at__isnull=True,
            link_revoked_at__isnull=True,  # a revoked link is not sent out again
            items__state=VaultItem.State.STORED,
        )
        .annotate(first_expiry=Min("items__expires_on"))
        .filter(first_expiry__lte=horizon)
        .exclude(contact_email="")
        .distinct()
    )


def send_due(now: datetime | None = None) -> int:
    """Send every due reminder; returns how many were handed to the mail server.

    Called outside a transaction (the worker's job): each reminder is sent when its claim
    has committed. Inside an outer transaction they would wait for that one's commit."""
    now = now or timezone.now()
    sent: list[bool] = []
    for job in due_jobs(now):
        with transaction.atomic():
            reminder = _claim(job.pk, job.first_expiry, now)
            if reminder is not None:
                transaction.on_commit(lambda r=reminder: sent.append(_deliver(r)))
    return sum(sent)


def _claim(job_id: int, erase_after, now: datetime) -> _Reminder | None:
    """Step 1, under the row lock: mark the job as being reminded and render the message."""
    locked = RecoveryJob.objects.select_for_update().get(pk=job_id)
    if locked.reminder_sent_at is not None:
        return None  # another worker sent it
    if locked.reminder_claimed_at is not None and locked.reminder_claimed_at >= now - CLAIM_TIMEOUT:
        return None  # another worker is sending it
    retry = locked.reminder_claimed_at is not None
    locked.reminder_claimed_at = now
    locked.save(update_fields=["reminder_claimed_at"])
    items = locked.items.filter(state=VaultItem.State.STORED)
    count, total = len(items), sum(item.size for item in items)
    context = {
        "job": locked,
        "erase_after": erase_after,
        "link": links.portal_url(locked),
        "days": settings.VAULT_REMINDER_DAYS,
        "count": count,
    }
    for lang in ("nl", "en"):  # each half of the message in its own number format
        with translation.override(lang):
            context[f"size_{lang}"] = sizes.format_size(total)
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("vault/reminder_subject.txt", context).strip()
        body = render_to_string("vault/reminder.txt", context)
    return _Reminder(locked.pk, locked.contact_email, subject, body, now, retry)


def _deliver(reminder: _Reminder) -> bool:
    """Step 2, after the claim committed: send, then record that it was sent."""
    if reminder.retry:
        log.warning(
            "the reminder for recovery job %s was claimed but never recorded as sent; "
            "sending it again (the customer may receive it twice)",
            reminder.job_id,
        )
    claimed = RecoveryJob.objects.filter(
        pk=reminder.job_id, reminder_claimed_at=reminder.claimed_at
    )
    try:
        mail.send(reminder.to, reminder.subject, reminder.body)
    except (smtplib.SMTPException, OSError, mail.UnsafeHeader):
        log.warning("the reminder for recovery job %s could not be sent", reminder.job_id)
        claimed.update(reminder_claimed_at=None)  # the next run tries again
        return False
    with transaction.atomic():
        # A claim taken over meanwhile (a new link was issued) keeps the job due.
        claimed.update(reminder_sent_at=reminder.claimed_at, reminder_claimed_at=None)
        job = RecoveryJob.objects.get(pk=reminder.job_id)
        record(
            actor="system:vault-reminders",
            action="vault.reminder_sent",
            obj=job,
            subject=job.subject(),
            detail={"retry": reminder.retry},
        )
    return True
