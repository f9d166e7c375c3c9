"""The customer is told before erasure: the date, the link, and to keep an own backup (P12)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Min
from django.template.loader import render_to_string
from django.utils import timezone, translation

from privacydesk.audit.services import record, subject_ref
from privacydesk.vault import links, sizes
from privacydesk.vault.models import RecoveryJob, VaultItem


def due_jobs(now: datetime):
    """Open jobs with items to be erased within ``VAULT_REMINDER_DAYS`` and no reminder yet."""
    horizon = timezone.localtime(now).date() + timedelta(days=settings.VAULT_REMINDER_DAYS)
    return (
        RecoveryJob.objects.filter(
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
    now = now or timezone.now()
    sent = 0
    for job in due_jobs(now):
        with transaction.atomic():
            locked = RecoveryJob.objects.select_for_update().get(pk=job.pk)
            if locked.reminder_sent_at is not None:
                continue  # another worker sent it
            items = locked.items.filter(state=VaultItem.State.STORED)
            count, total = len(items), sum(item.size for item in items)
            context = {
                "job": locked,
                "erase_after": job.first_expiry,
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
            send_mail(subject, body, None, [locked.contact_email])
            locked.reminder_sent_at = now
            locked.save(update_fields=["reminder_sent_at"])
            record(
                actor="system:vault-reminders",
                action="vault.reminder_sent",
                obj=locked,
                subject=subject_ref("email", locked.contact_email),
            )
            sent += 1
    return sent
