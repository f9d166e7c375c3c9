"""First-party tracking and gated downloads, personal data only with tracking consent (P1, P7).

A :class:`Visitor` is one consent id with tracking accepted (the id is its primary key). An
:class:`Event` is a page view, a click on a link, a download or the time a page was visible.
Addresses are kept as the privacy model's ``website_tracking`` activity says (truncated); URLs
without query values that hold personal data.

Gated downloads (progressive profiling): staff upload a :class:`Download` and choose its
questions in order. A consenting visitor's answers are kept on their :class:`Profile` (one per
visitor), so a later download asks only what is not known yet. Each download handed out is a
:class:`Delivery`; it names the profile only under tracking consent, so without consent
nothing links two downloads and nothing of the answers is kept.
"""

import uuid
from pathlib import PurePosixPath

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class Visitor(models.Model):
    id = models.UUIDField(_("consent id"), primary_key=True)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return str(self.id)


class Event(models.Model):
    class Kind(models.TextChoices):
        PAGEVIEW = "pageview", _("Page view")
        CLICK = "click", _("Click")
        DOWNLOAD = "download", _("Download")
        LEAVE = "leave", _("Time on page")

    id = models.BigAutoField(primary_key=True)
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    site = models.CharField(_("site"), max_length=200)
    path = models.CharField(_("page"), max_length=500)
    target = models.CharField(_("link"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("time on page (ms)"), null=True)
    ip_address = models.CharField(
        _("IP address (as the privacy model says)"), max_length=45, blank=True
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        default_permissions = ("view",)
        # Aggregates only (counts per day, top pages, consent rates): sales, privacy officer,
        # admin. Single visitors are ``view_visitor`` (the privacy officer).
        permissions = [("view_analytics", "Can view website analytics (aggregates)")]

    def __str__(self) -> str:
        return f"{self.kind} {self.path}"


class Question(models.TextChoices):
    """What a download form may ask, in the order staff choose per download."""

    NAME = "name", _("Name")
    EMAIL = "email", _("E-mail address")
    COMPANY = "company", _("Company")
    PHONE = "phone", _("Phone number")
    FUNCTION = "function", _("Job title")


def _blob_name(instance: "Download", filename: str) -> str:
    """Stored under a random name (MEDIA_ROOT/downloads/): nothing of an uploaded name is a path."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"downloads/{uuid.uuid4().hex}{suffix}"


class Download(models.Model):
    """Content staff offer behind a form (a whitepaper, a checklist). Holds no personal data."""

    slug = models.SlugField(_("address"), max_length=80, unique=True)
    title_nl = models.CharField(_("title (Dutch)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    summary_nl = models.TextField(_("summary (Dutch)"), max_length=1000, blank=True)
    summary_en = models.TextField(_("summary (English)"), max_length=1000, blank=True)
    file = models.FileField(_("file"), upload_to=_blob_name, max_length=200)
    file_name = models.CharField(_("file name"), max_length=120)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    questions = models.JSONField(_("questions, in order"), default=list)
    published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("gated download")
        verbose_name_plural = _("gated downloads")
        default_permissions = ("add", "change", "view")

    def __str__(self) -> str:
        return self.title_nl

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_nl

    def summary(self, lang: str) -> str:
        return self.summary_en if lang == "en" else self.summary_nl


class Profile(models.Model):
    """What a visitor with tracking consent answered in download forms. Erased with the
    visitor (withdrawal, erasure, retention) and by "Not you?", which starts a new one."""

    visitor = models.OneToOneField(
        Visitor, on_delete=models.CASCADE, related_name="profile", verbose_name=_("visitor")
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("e-mail address"), max_length=254, blank=True, db_index=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    function = models.CharField(_("job title"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("changed at"), db_index=True)

    class Meta:
        verbose_name = _("download profile")
        verbose_name_plural = _("download profiles")
        default_permissions = ("view",)
        # A data-subject request finds a profile by address (``email__ieq``, any case).
        indexes = [models.Index(Lower("email"), name="tracking_profile_email_lower")]

    def __str__(self) -> str:
        return f"profile {self.pk}"

    def known(self) -> set[str]:
        """The questions this profile has an answer to."""
        return {q for q in Question.values if getattr(self, q)}


class Delivery(models.Model):
    """One download handed out. ``profile`` is set only under tracking consent; without it the
    row is a count (content and time) that names nobody."""

    id = models.BigAutoField(primary_key=True)
    download = models.ForeignKey(
        Download, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("download")
    )
    profile = models.ForeignKey(
        Profile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("profile"),
    )
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("download handed out")
        verbose_name_plural = _("downloads handed out")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"delivery {self.pk}"
