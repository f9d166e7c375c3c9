from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from privacydesk.promises import services
from privacydesk.spine.panels import panel


@panel
def promises_panel(request: HttpRequest) -> dict | None:
    if not request.user.has_perm("promises.view_promisecheck"):
        return None
    latest = [r["latest"] for r in services.board() if r["latest"]]
    failed = [c.promise for c in latest if c.status == "failed"]
    lines = [_("Failed: %(promises)s") % {"promises": ", ".join(failed)}] if failed else []
    if not latest:
        lines.append(_("Not checked yet."))
    return {
        "title": _("Promise board"),
        "lines": lines,
        "alert": bool(failed),
        "link": reverse("admin:promises_board"),
        "link_text": _("Every promise of the policy, checked"),
    }
