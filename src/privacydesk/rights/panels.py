from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from privacydesk.spine.panels import panel, public_link


@panel
def rights_panel(request: HttpRequest) -> dict | None:
    """Privacy officer and admin: open requests, those near their deadline and overdue ones."""
    from privacydesk.rights import deadlines
    from privacydesk.rights.models import CLOSED, Request
    from privacydesk.rights.staff_views import VIEW

    if not request.user.has_perm(VIEW):
        return None
    today = timezone.localdate()
    open_requests = Request.objects.exclude(state__in=CLOSED)
    near = late = 0
    for req in open_requests.only("due_on", "extended_to"):
        st = deadlines.status(req.deadline, today=today)
        late += st.overdue
        near += st.warning is not None
    lines = [
        _("%(count)d open requests") % {"count": open_requests.count()},
        _("%(count)d due within 7 days") % {"count": near},
    ]
    if late:
        lines.append(_("%(count)d overdue") % {"count": late})
    return {
        "title": _("Data-subject requests"),
        "lines": lines,
        "alert": late > 0,
        "link": reverse("admin:rights_queue"),
        "link_text": _("Open the requests"),
    }


public_link(
    "rights:form",
    gettext_lazy("Your privacy rights"),
    gettext_lazy("Ask to see, correct or erase what we hold about you, or object."),
    order=30,
)
