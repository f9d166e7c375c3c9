"""Every evaluation of every promise, kept for the board's history (issue 13, item 4)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PromiseCheck(models.Model):
    class Status(models.TextChoices):
        OK = "ok", _("kept")
        FAILED = "failed", _("failed")
        NOT_BUILT = "not-built", _("not built")

    promise = models.CharField(_("promise"), max_length=3, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    evidence = models.TextField(_("evidence"))
    evidence_nl = models.TextField(_("evidence (Dutch)"))
    checked_at = models.DateTimeField(_("checked at"), db_index=True)

    class Meta:
        verbose_name = _("promise check")
        verbose_name_plural = _("promise checks")
        ordering = ["-checked_at", "-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.promise} {self.status}"

    def evidence_in(self, lang: str) -> str:
        return self.evidence_nl if lang == "nl" else self.evidence
