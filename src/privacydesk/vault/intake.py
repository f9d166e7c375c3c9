"""Intake and the life of the customer's link: a job with its PIN and link, the e-mail with
the link, revocation, a new link, and the end of the link with the job's last item (P4).

The PIN exists in plaintext only in the answer of :func:`create_job` / :func:`issue_new_link`
(shown once, never e-mailed); the link goes to the customer by e-mail at once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from privacydesk.audit.services import record
from privacydesk.vault import emails, links
from privacydesk.vault.errors import VaultError
from privacydesk.vault.models import RecoveryJob, VaultItem


@dataclass(frozen=True)
class NewJob:
    job: RecoveryJob
    pin: str
    link: str
    mailed: bool = False


#: Who may be a job's technician: a job is seen in the web UI by its technician (and, as
#: metadata, by the privacy officer and the admin), so a job without one is lost work.
TECHNICIAN_PERMISSION = "vault.add_vaultitem"


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def create_job(
    *, contact_email: str, device: str, technician, actor: str, site_url: str | None = None
) -> NewJob:
    """A recovery job with a fresh PIN (shown once, never e-mailed) and the customer's
    download link, which is e-mailed to the customer at once (P4).

    ``site_url`` is the base of the link (a page passes its request's; default ``SITE_URL``).
    """
    from django.core.validators import validate_email

    contact_email = contact_email.strip()
    validate_email(contact_email)
    if not device.strip():
        raise VaultError("describe the device")
    if technician is None or not technician.is_active:
        raise VaultError("a job needs a technician (an active staff user)")
    if not technician.has_perm(TECHNICIAN_PERMISSION):
        raise VaultError(f"{technician.get_username()} does not have the technician role")
    pin = new_pin()
    with transaction.atomic():
        job = RecoveryJob.objects.create(
            contact_email=contact_email,
            device=device.strip()[:300],
            intake_date=timezone.localdate(),
            technician=technician,
            pin_hash=make_password(pin),
        )
        record(actor=actor, action="vault.job_created", obj=job, subject=job.subject())
    link = links.portal_url(job, base=site_url)
    mailed = emails.send_link(job, link, actor=actor)
    return NewJob(job=job, pin=pin, link=link, mailed=mailed)


def revoke_link(job: RecoveryJob, *, actor: str) -> RecoveryJob:
    """End the customer's link now: the old link and its PIN stop working, and nothing
    stored later appears under them (a new link version; no usable PIN until a new one is
    issued). Audited; reminders skip a revoked job."""
    with transaction.atomic():
        job = RecoveryJob.objects.select_for_update().get(pk=job.pk)
        _end_link(job)
        job.link_revoked_at = timezone.now()
        job.save(update_fields=["link_version", "pin_hash", "link_revoked_at"])
        record(actor=actor, action="vault.link_revoked", obj=job, subject=job.subject())
    return job


def issue_new_link(job: RecoveryJob, *, actor: str, site_url: str | None = None) -> NewJob:
    """A new link and PIN for an open job (after a revocation, or a lost PIN); every earlier
    link and PIN stops working. The link is e-mailed, the PIN shown once."""
    pin = new_pin()
    with transaction.atomic():
        job = RecoveryJob.objects.select_for_update().get(pk=job.pk)
        if job.status != RecoveryJob.Status.OPEN:
            raise VaultError(f"job #{job.pk} is {job.status}; its link cannot come back")
        job.link_version += 1
        job.pin_hash = make_password(pin)
        job.link_revoked_at = None
        job.locked_at = None
        job.failed_pin_attempts = 0
        job.reminder_sent_at = None
        job.reminder_claimed_at = None  # a reminder being sent names the old link
        job.save(
            update_fields=[
                "link_version",
                "pin_hash",
                "link_revoked_at",
                "locked_at",
                "failed_pin_attempts",
                "reminder_sent_at",
                "reminder_claimed_at",
            ]
        )
        record(actor=actor, action="vault.link_issued", obj=job, subject=job.subject())
    link = links.portal_url(job, base=site_url)
    mailed = emails.send_link(job, link, actor=actor, reissued=True)
    return NewJob(job=job, pin=pin, link=link, mailed=mailed)


def _end_link(job: RecoveryJob) -> None:
    """A new link version (every token made so far is refused) and an unusable PIN."""
    job.link_version += 1
    job.pin_hash = make_password(None)


def close_if_erased(job_id: int, *, actor: str) -> bool:
    """When nothing of a job is left (every item shredded or swept), the job is erased and
    its link ends: the old link and PIN stop working, and no new item can be stored in it,
    so nothing can appear under them again (P4). Returns True if it closed the job now."""
    with transaction.atomic():
        job = RecoveryJob.objects.select_for_update().get(pk=job_id)
        if job.status == RecoveryJob.Status.ERASED:
            return False
        items = job.items.all()
        if not items.exists() or items.exclude(state=VaultItem.State.ERASED).exists():
            return False
        job.status = RecoveryJob.Status.ERASED
        _end_link(job)
        job.save(update_fields=["status", "link_version", "pin_hash"])
        record(actor=actor, action="vault.job_closed", obj=job, subject=job.subject())
    return True
