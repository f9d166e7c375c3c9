"""First-party tracking: visitors and what they did, stored only with tracking consent (P1, P7).

A :class:`Visitor` is one consent id with tracking accepted (the id is its primary key); it is
the profile later rounds hang more on (answers given in download forms). An :class:`Event` is
a page view, a click on a link, a download or the time a page was visible. Addresses are kept
as the privacy model's ``website_tracking`` activity says (truncated); URLs without query
values that hold personal data.
"""

from django.db import models
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

    def __str__(self) -> str:
        return f"{self.kind} {self.path}"
