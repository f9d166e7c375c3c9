from django.http import HttpRequest
from django.utils.translation import gettext as _

from privacydesk.accounts.roles import ROLES
from privacydesk.spine.panels import panel


@panel
def me_panel(request: HttpRequest) -> dict | None:
    role = ROLES.get(request.user.role or "")
    return {
        "title": _("Signed in"),
        "lines": [
            _("Role: %(role)s") % {"role": role.label if role else _("none")},
            _("Two-step sign-in: active"),
        ],
    }
