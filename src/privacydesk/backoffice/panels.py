"""Home-page panels of the back office. Each domain adds its own with ``@panel``.

A panel is a function of the request returning a dict for the template (title, lines, link)
or None when the user's role may not see it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

Panel = Callable[[HttpRequest], dict | None]
_PANELS: list[Panel] = []


def panel(fn: Panel) -> Panel:
    _PANELS.append(fn)
    return fn


def panels_for(request: HttpRequest) -> list[dict]:
    shown = []
    for fn in _PANELS:
        data = fn(request)
        if data:
            shown.append(data)
    return shown


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
