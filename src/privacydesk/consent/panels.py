from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from privacydesk.spine.panels import panel


@panel
def consent_panel(request: HttpRequest) -> dict | None:
    """Privacy officer, admin: decisions by kind, and the look-up of one consent number."""
    from privacydesk.consent import services
    from privacydesk.consent.staff_views import VIEW

    if not request.user.has_perm(VIEW):
        return None
    counts = services.counts_by_kind()
    return {
        "title": _("Cookie consent"),
        "lines": [
            _("%(count)d times accept all") % {"count": counts["accept_all"]},
            _("%(count)d times reject all") % {"count": counts["reject_all"]},
            _("%(count)d own choices") % {"count": counts["custom"]},
            _("%(count)d withdrawals") % {"count": counts["withdrawal"]},
            _("%(count)d with Global Privacy Control") % {"count": counts["gpc"]},
        ],
        "alert": False,
        "link": reverse("admin:consent_lookup"),
        "link_text": _("Look up a consent number"),
    }
