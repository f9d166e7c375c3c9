from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from privacydesk.registers import services
from privacydesk.registers.models import Processor
from privacydesk.spine.panels import panel


@panel
def registers_panel(request: HttpRequest) -> dict | None:
    """Undecided breaches with their clock; agreements that are not valid or end soon."""
    if not request.user.has_perm("registers.view_breach"):
        return None
    lines = services.open_breach_lines()
    today = timezone.localdate()
    invalid = [p for p in Processor.objects.all() if p.agreement_problem(today)]
    if invalid:
        lines.append(
            ngettext(
                "%(count)d processor without a valid agreement",
                "%(count)d processors without a valid agreement",
                len(invalid),
            )
            % {"count": len(invalid)}
        )
    return {
        "title": _("Registers"),
        "lines": lines,
        "link": reverse("admin:registers_home"),
        "link_text": _("Disclosures, processors and data breaches"),
    }
