"""The shell's own home-page panel: the local outbox."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from privacydesk.spine.panels import panel, public_link


@panel
def outbox_panel(request: HttpRequest) -> dict | None:
    from django.conf import settings
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from privacydesk.backoffice.outbox import list_messages

    if not request.user.has_perm("backoffice.view_outbox"):
        return None
    if settings.EMAIL_BACKEND != "privacydesk.backoffice.outbox.OutboxBackend":
        return None
    count = len(list_messages())
    return {
        "title": _("E-mail outbox"),
        "lines": [_("%(count)d messages written to the local outbox") % {"count": count}],
        "link": reverse("admin:outbox"),
        "link_text": _("Open the outbox"),
    }


public_link(
    "services",
    gettext_lazy("Services"),
    gettext_lazy("Computer repair, data recovery and network services."),
    order=5,
)
