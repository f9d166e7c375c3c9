"""The privacy model as loaded into the database, and the published policy versions (P15)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from privacydesk.policy import labels


class ImmutableError(RuntimeError):
    """A published policy version cannot be changed or deleted."""


class ModelRevision(models.Model):
    """Each distinct content of ``privacy_model.yaml`` that was loaded, kept for good."""

    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    content = models.JSONField(_("content"))
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at"]
        verbose_name = _("privacy model revision")
        verbose_name_plural = _("privacy model revisions")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.sha256[:12]


class ProcessingActivity(models.Model):
    """One processing activity of the current model; other apps' records may point here."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    # Choices give every page the human name in its language (``get_legal_basis_display``).
    legal_basis = models.CharField(
        _("legal basis"), max_length=30, choices=labels.legal_basis_choices
    )
    retention = models.CharField(_("retention (ISO 8601)"), max_length=20)
    retention_from = models.CharField(
        _("retention runs from"), max_length=30, choices=labels.retention_event_choices
    )
    active = models.BooleanField(_("in the current model"), default=True)
    revision = models.ForeignKey(ModelRevision, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["key"]
        verbose_name = _("processing activity")
        verbose_name_plural = _("processing activities")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.name  # the page's language; ``key`` is the id other code uses

    @property
    def name(self) -> str:
        """The activity's name in the active language."""
        from django.utils import translation

        return self.name_en if translation.get_language() == "en" else self.name_nl

    def retention_display(self) -> str:
        """``7 jaar na het einde van het boekjaar``: period and event, in the page's language."""
        return labels.retention(self.retention, self.retention_from)


class PolicyVersion(models.Model):
    """A published privacy policy: its rendered text in both languages, never changed again."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    published_at = models.DateTimeField(_("published at"))
    effective_date = models.DateField(_("last changed on"))
    note = models.TextField(_("change note"))
    html_nl = models.TextField(_("text (Dutch, HTML)"))
    html_en = models.TextField(_("text (English, HTML)"))
    text_nl = models.TextField(_("text (Dutch)"))
    text_en = models.TextField(_("text (English)"))
    revision = models.ForeignKey(
        ModelRevision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sha256 = models.CharField(_("SHA-256 of the texts"), max_length=64)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableError("a published policy version cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("a published policy version cannot be deleted")

    def html(self, lang: str) -> str:
        return self.html_en if lang == "en" else self.html_nl

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_nl
