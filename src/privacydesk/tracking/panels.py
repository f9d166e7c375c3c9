from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacydesk.spine.panels import panel, public_link


@panel
def analytics_panel(request: HttpRequest) -> dict | None:
    """Sales, privacy officer, admin: the last 7 days at a glance, and the analytics page."""
    from privacydesk.tracking import analytics

    if not request.user.has_perm("tracking.view_analytics"):
        return None
    week = analytics.overview(7)
    return {
        "title": _("Website"),
        "lines": [
            _("%(count)d page views in the last 7 days") % {"count": week.totals["pageviews"]},
            _("%(count)d downloads in the last 7 days") % {"count": week.totals["downloads"]},
            _("%(count)d cookie decisions in the last 7 days")
            % {"count": week.totals["decisions"]},
        ],
        "alert": False,
        "link": reverse("admin:tracking"),
        "link_text": _("Open the website analytics"),
    }


@panel
def downloads_panel(request: HttpRequest) -> dict | None:
    """Who keeps or reads the gated downloads: how many are published."""
    from privacydesk.tracking.models import Download

    if not request.user.has_perm("tracking.view_download"):
        return None
    published = Download.objects.filter(published=True).count()
    return {
        "title": _("Gated downloads"),
        "lines": [_("%(count)d published") % {"count": published}],
        "alert": False,
        "link": reverse("admin:tracking_downloads"),
        "link_text": _("Open the gated downloads"),
    }


public_link(
    "tracking:downloads",
    gettext_lazy("Downloads"),
    gettext_lazy("Checklists and whitepapers to download."),
    order=10,
)
