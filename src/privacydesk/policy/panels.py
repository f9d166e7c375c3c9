from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from privacydesk.policy import services
from privacydesk.spine.panels import panel


@panel
def policy_panel(request: HttpRequest) -> dict | None:
    if not request.user.has_perm("policy.view_processingactivity"):
        return None
    latest = services.latest_version()
    lines = []
    if latest:
        lines.append(
            _("Published policy: version %(number)d of %(date)s")
            % {"number": latest.number, "date": date_format(latest.effective_date)}
        )
    return {
        "title": _("Privacy policy and register"),
        "lines": lines,
        "link": reverse("admin:art30_register"),
        "link_text": _("Record of processing activities"),
    }
