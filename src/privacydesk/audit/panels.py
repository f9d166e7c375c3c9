from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from privacydesk.audit.models import AuditEntry
from privacydesk.spine.panels import panel


@panel
def audit_panel(request: HttpRequest) -> dict | None:
    if not request.user.has_perm("audit.view_auditentry"):
        return None
    verified = (
        AuditEntry.objects.filter(action__in=["audit.verified", "audit.verify_failed"])
        .order_by("-id")
        .values_list("action", "at")
        .first()
    )
    lines = [_("%(count)d entries") % {"count": AuditEntry.objects.count()}]
    if verified:
        state = _("intact") if verified[0] == "audit.verified" else _("BROKEN")
        lines.append(_("Last chain check: %(state)s") % {"state": state})
    return {
        "title": _("Audit log"),
        "lines": lines,
        "alert": bool(verified and verified[0] == "audit.verify_failed"),
        "link": reverse("admin:audit_auditentry_changelist"),
        "link_text": _("Browse the audit log"),
    }
