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
    revision = models.ForeignKey(
        ModelRevision,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("privacy model revision"),
    )

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
        ModelRevision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("privacy model revision"),
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


class LegalHold(models.Model):
    """A legal hold: a data subject, or named records, kept out of erasure and retention (P14).

    Art. 17(3)(b) and (e) GDPR: data needed for a legal obligation or for legal claims is not
    erased while the need lasts. A hold names the subject by kind and identifier (kept, like the
    hold itself, on that ground) or lists records as ``[source label, key]`` pairs; it says why
    and who placed it, and is released, never deleted (placing and releasing are audited).
    """

    kind = models.CharField(_("kind of identifier"), max_length=20, blank=True)
    value = models.CharField(_("identifier"), max_length=320, blank=True)
    records = models.JSONField(_("records"), default=list, blank=True)
    reason = models.TextField(_("reason"))
    placed_by = models.CharField(_("placed by"), max_length=150)
    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True)
    released_by = models.CharField(_("released by"), max_length=150, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"legal hold {self.pk}"

    @property
    def on_subject(self) -> bool:
        return bool(self.kind)


class Plan(models.Model):
    """A data-subject request or retention sweep as steps, one per source (P12, P14).

    The find phase stores every affected key in the steps before any step acts, so re-running
    an interrupted plan continues with the same rows; the rights app shows a plan by its
    ``key`` (e.g. ``rights-request:42``). The subject is named only by its pseudonymous
    reference.
    """

    class Verb(models.TextChoices):
        EXPORT = "export", _("access")
        RECTIFY = "rectify", _("rectification")
        RESTRICT = "restrict", _("restriction")
        ERASE = "erase", _("erasure")
        EXPIRE = "expire", _("retention")
        OBJECT = "object", _("objection")

    key = models.CharField(_("key"), max_length=200, unique=True)
    verb = models.CharField(_("verb"), max_length=10, choices=Verb)
    subject_ref = models.CharField(_("data subject reference"), max_length=100, blank=True)
    created_by = models.CharField(_("created by"), max_length=150)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("request plan")
        verbose_name_plural = _("request plans")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.key


class PlanStep(models.Model):
    """One source's part of a plan: the keys it acts on, the keys a hold keeps, its outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DONE = "done", _("done")
        FAILED = "failed", _("failed; retried on the next run")
        HELD = "held", _("kept by a legal hold")
        KEPT = "kept", _("kept by a legal duty")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("position"))
    source = models.CharField(_("source"), max_length=100)
    keys = models.JSONField(_("keys"), default=list)
    held_keys = models.JSONField(_("keys under a legal hold"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.CharField(_("error"), max_length=100, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "position"]
        verbose_name = _("plan step")
        verbose_name_plural = _("plan steps")
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(fields=["plan", "source"], name="one_step_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.plan.key}: {self.source}"
