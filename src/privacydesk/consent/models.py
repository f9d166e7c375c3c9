"""Consent records (AVG art. 7(1): the controller must be able to show consent was given).

One row per decision of a visitor, never changed: the ORM refuses updates and database
triggers refuse them too (migration 0002). Each row's SHA-256 covers its own fields and the
hash of the previous decision under the same consent id, and is anchored in the audit log
(``consent.recorded``), so a record edited behind the application's back no longer fits its
own hash, its successor or its anchor, and one deleted behind its back leaves an anchor
without its record and without an audited erasure (``services.verify``). Rows are deleted
only by the retention sweep and by an erasure request (``privacy.py``), each audited.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change a consent record."""


class ConsentRecordQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("consent records cannot be changed")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("consent records cannot be changed")


class ConsentRecord(models.Model):
    class Kind(models.TextChoices):
        ACCEPT_ALL = "accept_all", _("Accept all")
        REJECT_ALL = "reject_all", _("Reject all")
        CUSTOM = "custom", _("Own choice")
        WITHDRAWAL = "withdrawal", _("Withdrawal")

    id = models.BigAutoField(primary_key=True)
    consent_id = models.UUIDField(_("consent id"), db_index=True)
    at = models.DateTimeField(_("time"))
    kind = models.CharField(_("decision"), max_length=20, choices=Kind.choices)
    analytics = models.BooleanField(_("analytics"))
    tracking = models.BooleanField(_("tracking"))
    gpc = models.BooleanField(_("Global Privacy Control"))
    policy_version = models.PositiveIntegerField(_("policy version"), null=True)
    banner_version = models.CharField(_("banner version"), max_length=64)
    language = models.CharField(_("language"), max_length=8)
    origin = models.CharField(_("site"), max_length=200, blank=True)
    ua_hash = models.CharField(_("user agent hash"), max_length=64)
    ip_address = models.CharField(_("IP address (truncated)"), max_length=45, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        default_permissions = ("view",)
        indexes = [models.Index(fields=["consent_id", "-id"], name="consent_latest")]

    def __str__(self) -> str:
        return f"{self.consent_id} #{self.pk} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("consent records cannot be changed")
        super().save(*args, **kwargs)
