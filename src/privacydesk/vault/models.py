"""Recovery jobs, their encrypted items and the deletion certificates (P4, P11, P12)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class RecoveryJob(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ERASED = "erased", _("erased")

    id = models.BigAutoField(primary_key=True)
    contact_email = models.EmailField(_("customer contact e-mail"), blank=True)
    device = models.CharField(_("device"), max_length=300)
    intake_date = models.DateField(_("intake date"))
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recovery_jobs",
        verbose_name=_("technician"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    pin_hash = models.CharField(_("PIN (hashed)"), max_length=200)
    link_version = models.PositiveIntegerField(default=1, editable=False)
    failed_pin_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(_("link locked at"), null=True, blank=True)
    link_revoked_at = models.DateTimeField(_("link revoked at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    # Set while the reminder is being sent (vault.reminders): a claim without
    # ``reminder_sent_at`` after a while was left by a process that died.
    reminder_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Art. 18 GDPR: a restricted job is stored, not used (no uploads, downloads or reminders).
    restricted = models.BooleanField(_("restricted"), default=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("recovery job")
        verbose_name_plural = _("recovery jobs")
        permissions = [("unlock_portal", _("Can unlock a locked download link"))]
        # A data-subject request finds a customer's jobs by address (``contact_email__ieq``).
        indexes = [models.Index(Lower("contact_email"), name="vault_job_email_lower")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    def subject(self) -> str:
        """The customer's reference in the audit log (P1: never the address itself)."""
        from privacydesk.audit.services import subject_ref

        return subject_ref("email", self.contact_email)


class VaultItem(models.Model):
    class State(models.TextChoices):
        STORED = "stored", _("stored")
        HELD = "held", _("under legal hold")
        ERASED = "erased", _("erased")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job = models.ForeignKey(RecoveryJob, on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("name"), max_length=1000, help_text=_("shown escaped"))
    raw_name = models.BinaryField(_("name as on the disk"))
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256 of the content"), max_length=64)
    blob = models.CharField(_("storage name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("stored at"))
    expires_on = models.DateField(_("erased after"), db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.STORED)
    key_name = models.CharField(_("wrapped under"), max_length=20, db_index=True)
    wrapped_key = models.BinaryField(_("wrapped item key"), null=True)
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        ordering = ["job", "name"]
        verbose_name = _("vault item")
        verbose_name_plural = _("vault items")
        permissions = [
            ("hold_vaultitem", _("Can put a vault item under legal hold")),
            ("export_key_vaultitem", _("Can export a vault item's key")),
        ]

    def __str__(self) -> str:
        return self.name


class DeletionCertificate(models.Model):
    """Signed proof of what was erased, when, and under which rule (Ed25519, offline-checkable)."""

    job = models.ForeignKey(RecoveryJob, on_delete=models.PROTECT, related_name="certificates")
    issued_at = models.DateTimeField(_("issued at"))
    document = models.JSONField(_("certificate"))
    signature = models.CharField(_("signature (base64)"), max_length=200)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("deletion certificate")
        verbose_name_plural = _("deletion certificates")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"certificate {self.pk} for job #{self.job_id}"
